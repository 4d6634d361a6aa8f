// Augmenter: seeded, on-the-fly data augmentation of image training batches (docs/augmentation.md).
// A batch is N rows, each one image of shape [C, H, W] (planar, as the datasets store it), already
// normalized by the run's Normalizer. Per image, in this order:
//   1. colour jitter  brightness, contrast, saturation in random order (torchvision's ColorJitter),
//                     computed on the pixel values (x·std + mean, clamped to 0..255), written back
//                     normalized: exactly the pixel-space operation, whatever data.normalize is
//   2. geometry       rotation and scale (about the centre), translate, crop_padding and hflip,
//                     composed into ONE map sampled once: whole-pixel shifts and flips are exact
//                     copies; with rotation or scale, bilinear. Zeros (in normalized space) enter
//                     wherever the map points outside the image
//   3. noise_std      Gaussian noise, in normalized units
//   4. cutout         a square of `cutout` pixels centred at a uniformly random pixel, clipped at
//                     the borders, set to 0 in every channel
// Randomness: apply() draws one 64-bit number from the given generator and seeds row i's own
// generator with splitmix64's i-th output from it; every draw for that image comes from there. The
// same generator state gives the same batch, on any number of threads (rows are augmented in
// parallel with OpenMP); the trainer's "augment" stream is saved in checkpoints for exact resume.
// Buffers are sized in the constructor: apply() allocates nothing.
//
//   Augmenter aug(config.augment, config.model.input, data.normalizer);
//   if (aug.enabled()) aug.apply(batch_view, rng);
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradnet/data/normalize.h"
#include "gradnet/data/options.h"
#include "gradnet/rng.h"
#include "gradnet/tensor.h"

namespace gradnet {

// The random parameters of one image's augmentation (what Augmenter::draw picks).
struct AugmentDraw {
  int colour_order[3] = {0, 1, 2};  // 0 brightness, 1 contrast, 2 saturation
  double brightness = 1, contrast = 1, saturation = 1;  // factors; 1: unchanged
  bool flip = false;
  Index shift_x = 0, shift_y = 0;   // content moves right / down by this many pixels
  double angle = 0;                 // degrees, counter-clockwise on screen
  double scale = 1;                 // > 1 enlarges
  Index cutout_y = -1, cutout_x = -1;  // the cutout square's centre; -1: none
};

class Augmenter {
 public:
  // shape: the per-example shape (model.input); normalizer: what prepare_data fitted on the
  // training split (its per-feature mean/std map normalized values back to pixels).
  // c must fit shape and the normalization (the config reader checks it: an image shape [C, H, W]
  // when anything is on, 3 channels for saturation).
  Augmenter(const AugmentConfig& c, const Shape& shape, const Normalizer& normalizer);

  bool enabled() const { return enabled_; }
  // Augments every row of batch in place (batch.cols = C·H·W); one draw from rng per call.
  void apply(View<float> batch, Rng& rng);
  // One image in place, every draw from rng.
  void apply_one(float* x, Rng& rng);

  // The steps apply_one takes, for tests and the preview.
  AugmentDraw draw(Rng& rng) const;
  void apply_draw(float* x, const AugmentDraw& d, Rng& noise_rng);

 private:
  void augment(float* x, const AugmentDraw& d, Rng& noise_rng, float* scratch);

  AugmentConfig c_;
  Index channels_, height_, width_, plane_;
  bool enabled_ = false;
  bool colour_ = false, geometry_ = false;
  std::vector<float> mean_, std_;  // per feature; 0 and 1 without normalization
  int threads_ = 1;                // OpenMP threads apply() may use, one scratch image each
  std::vector<float> scratch_;     // threads_ images
};

// The building blocks (x: one image [C, H, W], planar).
// dst(c, y, x) = src(c, y - shift_y, x' - shift_x), x' = flip ? W-1-x : x; 0 outside src.
// src and dst must not overlap.
void shift_flip_image(const float* src, float* dst, Index C, Index H, Index W, Index shift_x, Index shift_y,
                      bool flip);
// The composed geometric map of d (rotation and scale about the centre ((W-1)/2, (H-1)/2), then
// the shift, then the flip), bilinear, 0 outside src. Angle 0, scale 1 copies exactly.
void warp_image(const float* src, float* dst, Index C, Index H, Index W, const AugmentDraw& d);
// Zeroes rows [cy - size/2, cy - size/2 + size) x the same columns around cx, clipped.
void cutout_image(float* x, Index C, Index H, Index W, Index cy, Index cx, Index size);
// Fills out[0..n) with N(0, 1) draws (a ziggurat: fast enough for every pixel of every step) from
// a generator seeded with one draw of rng.
void fill_normal(float* out, Index n, Rng& rng);

// augment-preview: a PNG grid with one row per example, its first column the example as given,
// then `versions` augmented copies, each un-normalized to pixels 0..255 (x·std + mean; after a
// whitening rotation, stretched from the tile's min to its max) and magnified `zoom` times
// (nearest neighbour). examples: (rows, C·H·W) normalized rows; C = 3 gives RGB, anything else
// grey (channel 0). Tiles are separated by 2-pixel gaps, with 8 pixels between the first column
// and the rest: width = (versions + 1)·(W·zoom + 2) + 2 + 6, height = rows·(H·zoom + 2) + 2.
// Returns {width, height}; Error{runtime} when the file cannot be written.
std::pair<Index, Index> write_augment_preview(const std::string& path, ConstView<float> examples, Augmenter& augmenter,
                                              const Shape& shape, const Normalizer& normalizer, Index versions,
                                              Index zoom, Rng& rng);

}  // namespace gradnet
