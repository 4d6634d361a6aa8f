// Norms, update ratios, activation statistics, histograms and the weight grid image.
#include "gradnet/train/monitor_stats.h"

#include <cairo.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "gradnet/error.h"

namespace gradnet::monitor {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void append_png(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}

// An 8-bit RGB PNG of cairo's RGB24 pixels, with zlib's fastest level and no row filters: the image
// is written at histogram epochs, inside the training loop (cairo's own writer, at zlib's default
// level with adaptive filtering, takes ~10x longer on a 242x242 grid of weights).
std::string encode_png(cairo_surface_t* surface) {
  const int width = cairo_image_surface_get_width(surface), height = cairo_image_surface_get_height(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  GRADNET_CHECK(png && info, runtime, "cannot encode the weight image as PNG: out of memory");
  std::vector<png_byte> row(static_cast<std::size_t>(width) * 3);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fail(ErrorKind::runtime, "cannot encode the weight image as PNG");
  }
  png_set_write_fn(png, &out, append_png, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 1);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r) {
    const auto* px = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(r) * stride);
    for (int c = 0; c < width; ++c) {
      row[3 * c] = static_cast<png_byte>(px[c] >> 16);
      row[3 * c + 1] = static_cast<png_byte>(px[c] >> 8);
      row[3 * c + 2] = static_cast<png_byte>(px[c]);
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

// The reductions below run once per sampled step over every parameter: `omp simd` lets the compiler
// split the double sum into vector lanes (a plain loop is one serial chain of dependent adds).
double l2_norm(const float* x, Index n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (Index i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s);
}

double diff_norm(const float* a, const float* b, Index n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (Index i = 0; i < n; ++i) {
    const double d = static_cast<double>(b[i]) - a[i];
    s += d * d;
  }
  return std::sqrt(s);
}

double update_ratio(const float* before, const float* after, Index n) {
  const double w = l2_norm(before, n);
  return w > 0 ? diff_norm(before, after, n) / w : kNaN;
}

double copy_and_norm(const float* x, float* copy, Index n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (Index i = 0; i < n; ++i) {
    copy[i] = x[i];
    s += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(s);
}

ActivationStats activation_stats(ConstView<float> y, const MonitorRule& rule) {
  ActivationStats s;
  const Index n = y.size();
  if (n == 0) return {kNaN, kNaN, kNaN, kNaN, kNaN};
  const bool saturating = rule.kind == MonitorRule::Kind::saturating;
  const bool relu = rule.kind == MonitorRule::Kind::rectifier;
  const float* x = y.data;
  double sum = 0, sum2 = 0;
  for (Index i0 = 0; i0 < n; i0 += 4096) {  // float sums over short blocks, double across them
    const Index i1 = std::min(n, i0 + 4096);
    float bs = 0, bs2 = 0;
#pragma omp simd reduction(+ : bs, bs2)
    for (Index i = i0; i < i1; ++i) bs += x[i], bs2 += x[i] * x[i];
    sum += bs;
    sum2 += bs2;
  }
  Index count = 0;  // saturated (sigmoid, tanh) or zero (relu) outputs
  if (saturating) {
    const float low = rule.low, high = rule.high;
#pragma omp simd reduction(+ : count)
    for (Index i = 0; i < n; ++i) count += (x[i] < low) | (x[i] > high);
  } else if (relu) {
#pragma omp simd reduction(+ : count)
    for (Index i = 0; i < n; ++i) count += x[i] == 0.0f;
  }
  s.mean = sum / static_cast<double>(n);
  s.std = std::sqrt(std::max(0.0, sum2 / static_cast<double>(n) - s.mean * s.mean));
  s.saturated = saturating ? static_cast<double>(count) / static_cast<double>(n) : kNaN;
  s.dead = relu ? static_cast<double>(count) / static_cast<double>(n) : kNaN;
  s.dead_units = kNaN;
  if (relu && y.cols > 0) {
    Index dead_units = 0;
    for (Index j = 0; j < y.cols; ++j) {
      bool all_zero = true;
      for (Index r = 0; r < y.rows && all_zero; ++r) all_zero = y(r, j) == 0.0f;
      dead_units += all_zero;
    }
    s.dead_units = static_cast<double>(dead_units) / static_cast<double>(y.cols);
  }
  return s;
}

HistogramData histogram(const float* x, Index n, Index bins) {
  GRADNET_ASSERT(bins >= 1);
  HistogramData h;
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    h.sum += v;
    h.sum_squares += v * v;
    ++h.finite;
  }
  if (h.finite == 0) return h;
  h.min = lo;
  h.max = hi;
  const double scale = hi > lo ? static_cast<double>(bins) / (hi - lo) : 0.0;
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    if (!std::isfinite(v)) continue;
    const auto b = std::min<Index>(static_cast<Index>((v - lo) * scale), bins - 1);  // max -> last bin
    ++h.counts[static_cast<std::size_t>(b)];
  }
  return h;
}

std::optional<WeightImage> weight_grid(const float* weight, Index units, const Shape& tile_shape) {
  Index channels = 1, th = 0, tw = 0;
  if (tile_shape.size() == 3 && (tile_shape[0] == 1 || tile_shape[0] == 3)) {
    channels = tile_shape[0];
    th = tile_shape[1];
    tw = tile_shape[2];
  } else if (tile_shape.size() == 2) {
    th = tile_shape[0];
    tw = tile_shape[1];
  } else if (tile_shape.size() == 1) {
    const auto side = static_cast<Index>(std::llround(std::sqrt(static_cast<double>(tile_shape[0]))));
    if (side * side != tile_shape[0]) return std::nullopt;
    th = tw = side;
  }
  if (units <= 0 || th <= 1 || tw <= 1) return std::nullopt;
  const Index plane = th * tw, rest = channels * plane;
  const Index cols = static_cast<Index>(std::ceil(std::sqrt(static_cast<double>(units))));
  const Index rows = (units + cols - 1) / cols;
  // Tiles of at least 64 pixels: one pixel per weight (MNIST's 28x28) is too small to read.
  constexpr Index kMinTile = 64;
  const int zoom = static_cast<int>(std::max<Index>(1, (kMinTile + std::max(th, tw) - 1) / std::max(th, tw)));
  const int gap = 2;
  const int cell_w = static_cast<int>(tw) * zoom, cell_h = static_cast<int>(th) * zoom;
  WeightImage image;
  image.width = static_cast<int>(cols) * (cell_w + gap) + gap;
  image.height = static_cast<int>(rows) * (cell_h + gap) + gap;

  cairo_surface_t* canvas = cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height);
  cairo_t* cr = cairo_create(canvas);
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);  // the gaps between tiles
  cairo_paint(cr);
  const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, static_cast<int>(tw));
  std::vector<unsigned char> tile(static_cast<std::size_t>(stride) * static_cast<std::size_t>(th));
  for (Index u = 0; u < units; ++u) {
    const float* w = weight + u * rest;
    float lo = w[0], hi = w[0];
    for (Index i = 1; i < rest; ++i) {
      lo = std::min(lo, w[i]);
      hi = std::max(hi, w[i]);
    }
    const double scale = hi > lo ? 255.0 / (static_cast<double>(hi) - lo) : 0.0;
    for (Index r = 0; r < th; ++r) {
      auto* px = reinterpret_cast<std::uint32_t*>(tile.data() + r * stride);
      for (Index c = 0; c < tw; ++c) {
        std::uint32_t rgb[3];
        for (Index k = 0; k < 3; ++k) {
          const float v = w[(channels == 3 ? k : 0) * plane + r * tw + c];
          rgb[k] = static_cast<std::uint32_t>((v - lo) * scale + 0.5);
        }
        px[c] = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2];  // cairo's RGB24: 0x00RRGGBB, native endian
      }
    }
    cairo_surface_t* src = cairo_image_surface_create_for_data(tile.data(), CAIRO_FORMAT_RGB24, static_cast<int>(tw),
                                                                static_cast<int>(th), stride);
    cairo_save(cr);
    cairo_translate(cr, gap + static_cast<double>(u % cols) * (cell_w + gap),
                    gap + static_cast<double>(u / cols) * (cell_h + gap));
    cairo_scale(cr, zoom, zoom);
    cairo_set_source_surface(cr, src, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, static_cast<double>(tw), static_cast<double>(th));
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(src);
  }
  cairo_destroy(cr);
  cairo_surface_flush(canvas);
  GRADNET_CHECK(cairo_surface_status(canvas) == CAIRO_STATUS_SUCCESS, runtime, "cannot draw the weight image: {}",
                cairo_status_to_string(cairo_surface_status(canvas)));
  try {
    image.png = encode_png(canvas);
  } catch (...) {
    cairo_surface_destroy(canvas);
    throw;
  }
  cairo_surface_destroy(canvas);
  return image;
}

}  // namespace gradnet::monitor
