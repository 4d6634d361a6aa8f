// write_augment_preview (augment.h): the grid `gradnet augment-preview` writes, one row per
// example (the original, then its augmented versions), as an 8-bit PNG (libpng's simplified API).
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gradnet/data/augment.h"
#include "gradnet/error.h"

namespace gradnet {

namespace {
constexpr Index kGap = 2;        // pixels between tiles and around the grid
constexpr Index kSeparator = 8;  // pixels between the originals' column and the augmented ones
constexpr std::uint8_t kBackground = 255;
}  // namespace

std::pair<Index, Index> write_augment_preview(const std::string& path, ConstView<float> examples, Augmenter& augmenter,
                                              const Shape& shape, const Normalizer& normalizer, Index versions,
                                              Index zoom, Rng& rng) {
  GRADNET_CHECK(shape.size() == 3 && examples.cols == numel(shape), shape,
                "augment-preview: examples of {} values do not fit the image shape {}", examples.cols,
                shape_str(shape));
  GRADNET_CHECK(examples.rows >= 1 && versions >= 0 && zoom >= 1, usage,
                "augment-preview: needs at least one example and a zoom >= 1");
  const Index C = shape[0], H = shape[1], W = shape[2], plane = H * W, features = C * plane;
  const int channels = C == 3 ? 3 : 1;
  const Index tile_w = W * zoom + kGap, tile_h = H * zoom + kGap;
  const Index width = (versions + 1) * tile_w + kGap + (kSeparator - kGap);
  const Index height = examples.rows * tile_h + kGap;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width * height * channels), kBackground);
  std::vector<float> image(static_cast<std::size_t>(features));
  // Per-feature normalization is undone (x·std + mean: pixels 0..255); anything else (a whitening
  // rotation) is shown stretched from each tile's min to its max.
  const bool per_feature = normalizer.mean.empty() || (static_cast<Index>(normalizer.mean.size()) == features &&
                                                       normalizer.std.size() == normalizer.mean.size());
  float lo = 0, span = 1;
  auto to_byte = [&](Index j) {
    float v = image[j];
    if (!per_feature) v = (v - lo) * span;
    else if (!normalizer.mean.empty()) v = v * normalizer.std[j] + normalizer.mean[j];
    return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
  };
  for (Index r = 0; r < examples.rows; ++r) {
    for (Index k = 0; k <= versions; ++k) {
      std::memcpy(image.data(), examples.row(r), static_cast<std::size_t>(features) * sizeof(float));
      if (k > 0) {  // one seed per version, drawn in order: the same generator gives the same grid
        Rng image_rng(rng.next_u64());
        augmenter.apply_one(image.data(), image_rng);
      }
      if (!per_feature) {
        const auto [mn, mx] = std::minmax_element(image.begin(), image.end());
        lo = *mn;
        span = *mx > *mn ? 255.0f / (*mx - *mn) : 0.0f;
      }
      const Index left = kGap + k * tile_w + (k > 0 ? kSeparator - kGap : 0), top = kGap + r * tile_h;
      for (Index y = 0; y < H * zoom; ++y)
        for (Index x = 0; x < W * zoom; ++x) {
          std::uint8_t* out = pixels.data() + ((top + y) * width + left + x) * channels;
          const Index p = (y / zoom) * W + x / zoom;
          for (int c = 0; c < channels; ++c) out[c] = to_byte(c * plane + p);
        }
    }
  }
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (!png_image_write_to_file(&png, path.c_str(), 0, pixels.data(), 0, nullptr))
    fail(ErrorKind::runtime, "{}: cannot write PNG ({})", path, png.message);
  return {width, height};
}

}  // namespace gradnet
