#include "gradnet/data/image.h"

#include <png.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gradnet/error.h"

namespace gradnet {

namespace {

// Beyond this a PNG is not an example: refused before decoding (1 GB of pixels is not allocated).
constexpr std::uint64_t kMaxPngBytes = std::uint64_t(1) << 28;

// The file's PNG header, read with libpng's simplified API (the caller frees it); Error{data}
// naming the file when it is missing or not a PNG.
png_image open_png(const std::string& path) {
  std::error_code ec;
  GRADNET_CHECK(std::filesystem::is_regular_file(path, ec), data, "{}: no such file", path);
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    fail(ErrorKind::data, "{}: not a readable PNG ({})", path, image.message);
  return image;
}

ImageBytes read_png(const std::string& path, Index expect_values) {
  png_image image = open_png(path);
  const bool color = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  // Without an alpha flag the simplified API composites any transparency onto black (MNIST's
  // background), so an RGBA or gray+alpha file reads as what it looks like on a dark page.
  image.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  ImageBytes d;
  d.width = image.width;
  d.height = image.height;
  d.channels = color ? 3 : 1;
  const std::uint64_t values = std::uint64_t(image.width) * image.height * static_cast<std::uint64_t>(d.channels);
  if (values > kMaxPngBytes || (expect_values > 0 && values != static_cast<std::uint64_t>(expect_values))) {
    png_image_free(&image);
    if (expect_values > 0)
      fail(ErrorKind::data, "{}: a {}x{} {} image is {} values; the model takes {}", path, d.width, d.height,
           color ? "RGB" : "grayscale", values, expect_values);
    fail(ErrorKind::data, "{}: a {}x{} image is too large to read (at most {} bytes of pixels)", path, d.width,
         d.height, kMaxPngBytes);
  }
  d.pixels.resize(PNG_IMAGE_SIZE(image));
  png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, d.pixels.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    fail(ErrorKind::data, "{}: cannot decode PNG ({})", path, message);
  }
  return d;
}

bool starts_with_png_signature(const std::string& path) {
  unsigned char head[8] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;  // open_png names the problem
  const std::size_t got = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return got == sizeof head && png_sig_cmp(head, 0, sizeof head) == 0;
}

// A JPEG's size is known only once its header is parsed: the same refusal, after the decode.
ImageBytes read_png_or_jpeg(const std::string& path, Index expect_values) {
  if (starts_with_png_signature(path)) return read_png(path, expect_values);
  ImageBytes img = read_jpeg_bytes(path);
  const Index values = img.width * img.height * img.channels;
  GRADNET_CHECK(expect_values <= 0 || values == expect_values, data, "{}: a {}x{} {} image is {} values; the model takes {}",
                path, img.width, img.height, img.channels == 1 ? "grayscale" : "RGB", values, expect_values);
  return img;
}

}  // namespace

ImageBytes read_image_bytes(const std::string& path) { return read_png_or_jpeg(path, 0); }

Shape image_file_shape(const std::string& path) {
  if (starts_with_png_signature(path)) return png_shape(path);
  const ImageBytes img = read_jpeg_bytes(path);  // small files: decoding is the simplest header read
  return {img.channels, img.height, img.width};
}

Dataset load_png_images(const std::vector<std::string>& paths, Index expect_values) {
  GRADNET_CHECK(!paths.empty(), usage, "no image files given");
  Dataset d;
  d.source = paths.front();
  Index features = 0;
  for (std::size_t k = 0; k < paths.size(); ++k) {
    const ImageBytes img = read_png_or_jpeg(paths[k], expect_values);
    if (k == 0) {
      d.shape = {img.channels, img.height, img.width};
      features = numel(d.shape);
      d.x.resize({static_cast<Index>(paths.size()), features});
    }
    GRADNET_CHECK(img.channels == d.shape[0] && img.height == d.shape[1] && img.width == d.shape[2], data,
                  "{}: {}x{} {}, but {} is {}x{} {}: every image must have the same size and kind", paths[k],
                  img.width, img.height, img.channels == 1 ? "grayscale" : "RGB", paths.front(), d.shape[2],
                  d.shape[1], d.shape[0] == 1 ? "grayscale" : "RGB");
    // Interleaved HWC -> planar CHW, the layout the layers expect.
    float* x = d.x.data() + static_cast<Index>(k) * features;
    const Index plane = img.width * img.height;
    for (Index p = 0; p < plane; ++p)
      for (Index c = 0; c < img.channels; ++c) x[c * plane + p] = img.pixels[p * img.channels + c];
  }
  d.y.assign(paths.size(), 0);
  return d;
}

namespace {
void write_png(const std::string& path, const std::uint8_t* pixels, Index width, Index height, png_uint_32 format) {
  GRADNET_CHECK(width > 0 && height > 0, runtime, "{}: cannot write a {}x{} image", path, width, height);
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels, 0, nullptr))
    fail(ErrorKind::runtime, "{}: cannot write PNG ({})", path, image.message);
}
}  // namespace

void write_png_gray(const std::string& path, const std::uint8_t* pixels, Index width, Index height) {
  write_png(path, pixels, width, height, PNG_FORMAT_GRAY);
}

void write_png_rgb(const std::string& path, const std::uint8_t* pixels, Index width, Index height) {
  write_png(path, pixels, width, height, PNG_FORMAT_RGB);
}

Shape png_shape(const std::string& path) {
  png_image image = open_png(path);
  const Shape shape = {(image.format & PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1, static_cast<Index>(image.height),
                       static_cast<Index>(image.width)};
  png_image_free(&image);
  return shape;
}

}  // namespace gradnet
