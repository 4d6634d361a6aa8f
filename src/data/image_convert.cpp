// Conversions of raw planar images for `gradnet predict` (image.h): channel count, size, and the
// background level predict compares with the training data's.
#include <algorithm>
#include <cstdint>

#include "gradnet/data/image.h"
#include "gradnet/error.h"

namespace gradnet {

namespace {

// weights[o] lists (input index, share) for output pixel o of a box resample of n inputs to m
// outputs: output o covers input coordinates [o * n / m, (o + 1) * n / m), each input pixel
// weighted by the length of its overlap, the shares summing to 1.
std::vector<std::vector<std::pair<Index, double>>> box_weights(Index n, Index m) {
  std::vector<std::vector<std::pair<Index, double>>> weights(static_cast<std::size_t>(m));
  const double scale = static_cast<double>(n) / static_cast<double>(m);
  for (Index o = 0; o < m; ++o) {
    const double lo = static_cast<double>(o) * scale, hi = static_cast<double>(o + 1) * scale;
    for (Index i = static_cast<Index>(lo); i < n && static_cast<double>(i) < hi; ++i) {
      const double overlap = std::min(hi, static_cast<double>(i + 1)) - std::max(lo, static_cast<double>(i));
      if (overlap > 0) weights[static_cast<std::size_t>(o)].emplace_back(i, overlap / scale);
    }
  }
  return weights;
}

template <typename T>
double border_mean_of(const T* pixels, const Shape& shape) {
  GRADNET_ASSERT(shape.size() == 3);
  const Index channels = shape[0], h = shape[1], w = shape[2];
  double sum = 0;
  Index count = 0;
  for (Index c = 0; c < channels; ++c)
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < w; ++x)
        if (y == 0 || y == h - 1 || x == 0 || x == w - 1) {
          sum += static_cast<double>(pixels[(c * h + y) * w + x]);
          ++count;
        }
  return count ? sum / static_cast<double>(count) : 0.0;
}

}  // namespace

std::vector<float> to_grayscale(const float* rgb, const Shape& shape) {
  GRADNET_ASSERT(shape.size() == 3 && shape[0] == 3);
  const Index plane = shape[1] * shape[2];
  std::vector<float> gray(static_cast<std::size_t>(plane));
  for (Index p = 0; p < plane; ++p)
    gray[p] = static_cast<float>(0.299 * rgb[p] + 0.587 * rgb[plane + p] + 0.114 * rgb[2 * plane + p]);
  return gray;
}

std::vector<float> to_rgb(const float* gray, const Shape& shape) {
  GRADNET_ASSERT(shape.size() == 3 && shape[0] == 1);
  const Index plane = shape[1] * shape[2];
  std::vector<float> rgb(static_cast<std::size_t>(3 * plane));
  for (Index c = 0; c < 3; ++c) std::copy(gray, gray + plane, rgb.begin() + c * plane);
  return rgb;
}

std::vector<float> resize_image(const float* pixels, const Shape& shape, Index height, Index width) {
  GRADNET_ASSERT(shape.size() == 3 && height > 0 && width > 0);
  const Index channels = shape[0], h = shape[1], w = shape[2];
  const auto rows = box_weights(h, height), cols = box_weights(w, width);
  std::vector<double> across(static_cast<std::size_t>(h * width));  // columns resampled, one channel
  std::vector<float> out(static_cast<std::size_t>(channels * height * width));
  for (Index c = 0; c < channels; ++c) {
    const float* in = pixels + c * h * w;
    for (Index y = 0; y < h; ++y)
      for (Index x = 0; x < width; ++x) {
        double v = 0;
        for (const auto& [i, share] : cols[static_cast<std::size_t>(x)]) v += share * in[y * w + i];
        across[static_cast<std::size_t>(y * width + x)] = v;
      }
    for (Index y = 0; y < height; ++y)
      for (Index x = 0; x < width; ++x) {
        double v = 0;
        for (const auto& [i, share] : rows[static_cast<std::size_t>(y)]) v += share * across[static_cast<std::size_t>(i * width + x)];
        out[static_cast<std::size_t>((c * height + y) * width + x)] = static_cast<float>(std::clamp(v, 0.0, 255.0));
      }
  }
  return out;
}

double border_mean(const float* pixels, const Shape& shape) { return border_mean_of(pixels, shape); }
// Bytes: an integer sum over the border alone (exact, so the same value as the float walk above,
// without visiting the interior; describe_dataset runs it on every training image).
double border_mean(const std::uint8_t* pixels, const Shape& shape) {
  GRADNET_ASSERT(shape.size() == 3);
  const Index channels = shape[0], h = shape[1], w = shape[2];
  if (h <= 2 || w <= 2) return border_mean_of(pixels, shape);  // every pixel is on the border
  std::uint64_t sum = 0;
  for (Index c = 0; c < channels; ++c) {
    const std::uint8_t* plane = pixels + c * h * w;
    for (Index x = 0; x < w; ++x) sum += plane[x] + plane[(h - 1) * w + x];
    for (Index y = 1; y < h - 1; ++y) sum += plane[y * w] + plane[y * w + w - 1];
  }
  const Index count = channels * (2 * w + 2 * (h - 2));
  return static_cast<double>(sum) / static_cast<double>(count);
}

}  // namespace gradnet
