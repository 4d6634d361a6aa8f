#include "image.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>

#include "gradnet/error.h"
#include "html.h"

namespace gradnet::report {

namespace {
std::uint32_t gray(double t) {
  const auto v = static_cast<std::uint32_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255));
  return v << 16 | v << 8 | v;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}
}  // namespace

Image image_from_planes(const float* values, int channels, int height, int width, double lo, double hi) {
  Image img{width, height, std::vector<std::uint32_t>(static_cast<std::size_t>(width) * height)};
  const double span = hi > lo ? hi - lo : 1;
  const std::size_t plane = static_cast<std::size_t>(width) * height;
  for (std::size_t i = 0; i < plane; ++i) {
    if (channels == 3) {
      std::uint32_t px = 0;
      for (int c = 0; c < 3; ++c) {
        const double t = std::clamp((values[c * plane + i] - lo) / span, 0.0, 1.0);
        px = px << 8 | static_cast<std::uint32_t>(std::lround(t * 255));
      }
      img.rgb[i] = px;
    } else {
      img.rgb[i] = gray((values[i] - lo) / span);
    }
  }
  return img;
}

Image diverging_heatmap(const float* values, int rows, int cols) {
  Image img{cols, rows, std::vector<std::uint32_t>(static_cast<std::size_t>(rows) * cols)};
  double m = 0;
  for (std::size_t i = 0; i < img.rgb.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(values[i])));
  if (m == 0) m = 1;
  for (std::size_t i = 0; i < img.rgb.size(); ++i) {
    const double t = std::clamp(values[i] / m, -1.0, 1.0);
    // white at 0, towards #b2182b (positive) or #2166ac (negative)
    const double r = t >= 0 ? 1 - t * (1 - 0.698) : 1 - (-t) * (1 - 0.129);
    const double g = t >= 0 ? 1 - t * (1 - 0.094) : 1 - (-t) * (1 - 0.400);
    const double b = t >= 0 ? 1 - t * (1 - 0.169) : 1 - (-t) * (1 - 0.675);
    img.rgb[i] = static_cast<std::uint32_t>(std::lround(r * 255)) << 16 |
                 static_cast<std::uint32_t>(std::lround(g * 255)) << 8 | static_cast<std::uint32_t>(std::lround(b * 255));
  }
  return img;
}

Image tile_grid(const std::vector<Image>& tiles, int cols, int gap, std::uint32_t background) {
  if (tiles.empty()) return {};
  const int tw = tiles[0].width, th = tiles[0].height;
  const int n = static_cast<int>(tiles.size());
  cols = std::max(1, std::min(cols, n));
  const int rows = (n + cols - 1) / cols;
  Image img{cols * tw + (cols + 1) * gap, rows * th + (rows + 1) * gap, {}};
  img.rgb.assign(static_cast<std::size_t>(img.width) * img.height, 0xffffff);  // white where no tile is
  for (int t = 0; t < n; ++t) {
    const int x0 = gap + (t % cols) * (tw + gap), y0 = gap + (t / cols) * (th + gap);
    for (int y = -gap; y < th + gap; ++y)  // the tile with its frame of `gap` background pixels
      for (int x = -gap; x < tw + gap; ++x) {
        const bool inside = x >= 0 && x < tw && y >= 0 && y < th;
        img.rgb[static_cast<std::size_t>(y0 + y) * img.width + x0 + x] =
            inside ? tiles[t].rgb[static_cast<std::size_t>(y) * tw + x] : background;
      }
  }
  return img;
}

std::string png_bytes(const Image& img, int scale) {
  GRADNET_ASSERT(img.width > 0 && img.height > 0 && scale >= 1);
  const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, img.width);
  std::vector<unsigned char> buffer(static_cast<std::size_t>(stride) * img.height);
  for (int y = 0; y < img.height; ++y)
    std::copy_n(img.rgb.data() + static_cast<std::size_t>(y) * img.width, img.width,
                reinterpret_cast<std::uint32_t*>(buffer.data() + static_cast<std::size_t>(y) * stride));
  cairo_surface_t* src =
      cairo_image_surface_create_for_data(buffer.data(), CAIRO_FORMAT_RGB24, img.width, img.height, stride);
  cairo_surface_t* dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img.width * scale, img.height * scale);
  cairo_t* cr = cairo_create(dst);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, src, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_flush(dst);
  std::string png;
  const cairo_status_t status = cairo_surface_write_to_png_stream(dst, append, &png);
  cairo_surface_destroy(dst);
  cairo_surface_destroy(src);
  if (status != CAIRO_STATUS_SUCCESS) fail(ErrorKind::runtime, "cannot encode a PNG image: {}", cairo_status_to_string(status));
  return png;
}

std::string png_data_uri(const Image& img, int scale) { return "data:image/png;base64," + base64(png_bytes(img, scale)); }

}  // namespace gradnet::report
