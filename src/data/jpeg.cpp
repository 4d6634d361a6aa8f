// JPEG reading and writing with libjpeg(-turbo) (image.h). libjpeg reports fatal errors through
// error_exit, which must not return: it longjmps back to the decode, which throws Error{data}
// naming the file. Only C objects live between setjmp and longjmp; the C++ buffers are declared
// before setjmp, so no destructor is skipped.
#include <cstdio>
#include <csetjmp>
#include <cstring>
#include <filesystem>
#include <string>

#include <jpeglib.h>

#include "gradnet/data/image.h"
#include "gradnet/error.h"

namespace gradnet {

namespace {

// Beyond this a JPEG is not an example (the PNG reader's limit).
constexpr std::uint64_t kMaxJpegBytes = std::uint64_t(1) << 28;

struct ErrorManager {
  jpeg_error_mgr base;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  char warning[JMSG_LENGTH_MAX] = {};
};

extern "C" void on_jpeg_error(j_common_ptr info) {
  auto* m = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, m->message);
  std::longjmp(m->jump, 1);
}

// Warnings (level -1): a truncated file ("Premature end of JPEG file") or corrupt data, which
// libjpeg papers over with grey pixels. Kept so the decode can refuse the image.
extern "C" void on_jpeg_message(j_common_ptr info, int level) {
  auto* m = reinterpret_cast<ErrorManager*>(info->err);
  if (level < 0 && info->err->num_warnings++ == 0) (*info->err->format_message)(info, m->warning);
}

struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

}  // namespace

bool is_image_file_name(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

ImageBytes read_jpeg_bytes(const std::string& path) {
  std::error_code ec;
  GRADNET_CHECK(std::filesystem::is_regular_file(path, ec), data, "{}: no such file", path);
  File file;
  file.f = std::fopen(path.c_str(), "rb");
  GRADNET_CHECK(file.f, data, "{}: cannot open ({})", path, std::strerror(errno));
  unsigned char head[3] = {};
  const bool jpeg = std::fread(head, 1, 3, file.f) == 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
  GRADNET_CHECK(jpeg, data, "{}: not a readable PNG or JPEG image (its first bytes are neither signature)", path);
  std::rewind(file.f);

  ImageBytes img;
  std::string problem;
  jpeg_decompress_struct info;
  ErrorManager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  errors.base.emit_message = on_jpeg_message;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    fail(ErrorKind::data, "{}: cannot decode JPEG ({})", path, errors.message);
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file.f);
  jpeg_read_header(&info, TRUE);
  const bool gray = info.jpeg_color_space == JCS_GRAYSCALE;
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    problem = "a CMYK JPEG; convert it to RGB";
  } else {
    info.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    img.width = info.output_width;
    img.height = info.output_height;
    img.channels = info.output_components;
    const std::uint64_t values = std::uint64_t(img.width) * std::uint64_t(img.height) * std::uint64_t(img.channels);
    if (values > kMaxJpegBytes) {
      problem = fmt::format("a {}x{} image is too large to read (at most {} bytes of pixels)", img.width, img.height,
                            kMaxJpegBytes);
    } else {
      img.pixels.resize(values);
      const std::size_t stride = static_cast<std::size_t>(img.width * img.channels);
      while (info.output_scanline < info.output_height) {
        JSAMPROW row = img.pixels.data() + info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
      }
      jpeg_finish_decompress(&info);
    }
  }
  jpeg_destroy_decompress(&info);
  GRADNET_CHECK(problem.empty(), data, "{}: {}", path, problem);
  GRADNET_CHECK(errors.base.num_warnings == 0, data, "{}: a corrupt or truncated JPEG (libjpeg: {})", path,
                errors.warning);
  return img;
}

void write_jpeg(const std::string& path, const std::uint8_t* pixels, Index width, Index height, Index channels,
                int quality) {
  GRADNET_CHECK(width > 0 && height > 0 && (channels == 1 || channels == 3), runtime,
                "{}: cannot write a {}x{} image of {} channels as JPEG", path, width, height, channels);
  File file;
  file.f = std::fopen(path.c_str(), "wb");
  GRADNET_CHECK(file.f, runtime, "{}: cannot write ({})", path, std::strerror(errno));
  jpeg_compress_struct info;
  ErrorManager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    fail(ErrorKind::runtime, "{}: cannot write JPEG ({})", path, errors.message);
  }
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file.f);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = static_cast<int>(channels);
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width * channels);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(pixels) + info.next_scanline * stride;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
}

}  // namespace gradnet
