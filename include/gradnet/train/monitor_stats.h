// The arithmetic behind TrainingMonitor (docs/monitoring.md), as plain functions over float
// arrays: norms, the update/param ratio, activation statistics, equal-width histograms, and the
// first layer's weights as an image grid. Accumulation is in double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradnet/layer_registry.h"
#include "gradnet/tensor.h"

namespace gradnet::monitor {

double l2_norm(const float* x, Index n);
double diff_norm(const float* a, const float* b, Index n);  // ‖b - a‖
double copy_and_norm(const float* x, float* copy, Index n);  // copies x, returns ‖x‖ (one pass)
// ‖after - before‖ / ‖before‖; NaN when ‖before‖ is 0 (a zero-initialised bias at step 1).
double update_ratio(const float* before, const float* after, Index n);

// One layer's output over a batch, read as the layer's registry row says (MonitorRule).
// saturated: for a saturating rule, the share of outputs below rule.low or above rule.high (within
// 0.05 of an asymptote: sigmoid y < 0.05 or y > 0.95, tanh |y| > 0.95), else NaN. dead: for a
// rectifier (relu), the share of outputs that are exactly 0, else NaN; dead_units: for a
// rectifier, the share of units (columns) that are 0 for every row of the batch, else NaN.
struct ActivationStats {
  double mean = 0, std = 0;
  double saturated = 0, dead = 0, dead_units = 0;
};
ActivationStats activation_stats(ConstView<float> y, const MonitorRule& rule);

// Equal-width bins between the smallest and the largest finite value (all in bin 0 when they are
// equal); values that are not finite are left out. counts sum to `finite`.
struct HistogramData {
  double min = 0, max = 0;
  std::vector<std::int64_t> counts;
  std::int64_t finite = 0;
  double sum = 0, sum_squares = 0;
};
HistogramData histogram(const float* x, Index n, Index bins);

// An image grid: one tile per output unit, each min-max scaled on its own, drawn with cairo.
struct WeightImage {
  int width = 0, height = 0;  // pixels
  std::string png;            // 8-bit RGB PNG
};
// weight: (units, rest) row-major. tile_shape: how one unit's row (numel(tile_shape) == rest)
// reads as an image: {H, W}, {1, H, W} (gray) or {3, H, W} (RGB, planar); anything else, or a
// {D} that is not a perfect square, gives no image. The tiles are enlarged to at least 64 pixels.
std::optional<WeightImage> weight_grid(const float* weight, Index units, const Shape& tile_shape);

}  // namespace gradnet::monitor
