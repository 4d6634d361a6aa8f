// Private to src/train: TrainingMonitor's state (monitor.h), shared by the step hooks
// (monitor.cpp) and the per-epoch reports (monitor_epoch.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/train/monitor.h"
#include "gradnet/train/monitor_stats.h"
#include "gradnet/train/tfevents.h"

namespace gradnet {
namespace monitor_detail {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// Mean of the finite values added.
struct Mean {
  double sum = 0;
  Index n = 0;
  void add(double v) {
    if (std::isfinite(v)) sum += v, ++n;
  }
  double value() const { return n > 0 ? sum / static_cast<double>(n) : kNaN; }
};

struct ParamWatch {
  Param<float>* param = nullptr;
  std::string ratio_tag, weight_tag, grad_tag, json_key;  // "update_ratio/layers.0.weight", ..., "\"layers.0.weight\""
  std::vector<float> before;  // the value before the update of a sampled step
  bool warn = false;          // a weight (2-D or more) that the optimizer moves: the ratio rule applies
  double ratio = kNaN, weight_norm = kNaN, grad_norm = kNaN;  // the current sample
  Mean epoch_ratio, epoch_weight_norm, epoch_grad_norm;
  double max_ratio = 0;  // the epoch's largest sampled ratio, and its step
  Index max_ratio_step = 0;
  // What the warnings judge (docs/monitoring.md): only samples after monitor.ratio_warmup_steps;
  // "above" by the running median of the last kRatioWindow samples (one spike is not a trend),
  // "below" by the epoch's mean of them. The window runs across epochs.
  static constexpr int kRatioWindow = 5;
  std::array<double, kRatioWindow> recent{};
  int recent_count = 0, recent_next = 0;
  Mean judged_ratio;
  double max_median = 0;  // the epoch's largest running median, and the step it ended at
  Index max_median_step = 0;
  void judge(double r, Index step) {
    if (!std::isfinite(r)) return;
    judged_ratio.add(r);
    recent[recent_next] = r;
    recent_next = (recent_next + 1) % kRatioWindow;
    if (recent_count < kRatioWindow && ++recent_count < kRatioWindow) return;
    std::array<double, kRatioWindow> sorted = recent;
    std::nth_element(sorted.begin(), sorted.begin() + kRatioWindow / 2, sorted.end());
    if (sorted[kRatioWindow / 2] > max_median) max_median = sorted[kRatioWindow / 2], max_median_step = step;
  }
};

struct LayerWatch {
  std::string name, type;  // "layers.1", "sigmoid"
  MonitorRule rule;        // the type's registry row: which statistics its output gets
  std::string mean_tag, std_tag, saturated_tag, dead_tag;
  Mean mean, std, saturated, dead, dead_units;
};

}  // namespace monitor_detail

struct TrainingMonitor::Impl {
  using Json = monitor_detail::Json;
  using Clock = monitor_detail::Clock;
  MonitorConfig mc;
  Net<float>& net;
  std::string run_dir;
  std::vector<std::int64_t> histogram_epochs;
  std::vector<monitor_detail::ParamWatch> params;
  std::vector<monitor_detail::LayerWatch> layers;
  std::ofstream steps_file, histograms_file;
  std::unique_ptr<tfevents::EventWriter> events;
  // The first layer's weight as an image: which param, and how one unit's row reads.
  int image_param = -1;
  Shape image_tile;

  // The epoch under way.
  std::int64_t epoch = 0;
  Index last_step = 0;
  bool histogram_epoch = false;
  Index ratio_samples = 0, activation_samples = 0;
  // This step's decisions, taken once per step number.
  Index decided_step = -1;
  bool ratio_step = false, activation_step = false, histogram_step = false;
  Index snapshot_step = -1, grad_step = -1;
  // Each hook does its work once per step: an optimizer that re-evaluates the loss (L-BFGS) may run
  // forward and backward several times in one step; the first evaluation counts.
  Index forward_done = -1, backward_done = -1, update_done = -1;
  // examples/s between two ratio samples.
  Index examples_since = 0;
  Clock::time_point since;
  std::vector<std::string> warnings;
  std::string line;  // steps.jsonl's line, reused
  Index last_update = 0;  // the step of the last after_update
  // The weight image of the last histogram epoch and the step it shows (finish() reuses it).
  std::optional<monitor::WeightImage> image;
  Index image_step = -1;

  Impl(const Config& config, Net<float>& n, std::string dir, Index resume_step);
  void find_image_param();
  void decide(Index step);
  void add_histogram(Index step, const std::string& name, const char* kind, const float* x, Index n);
  std::optional<monitor::WeightImage> first_layer_image() const;
  void after_forward(Index step);
  void after_backward(Index step);
  void before_update(Index step);
  void after_update(Index step, double lr, double loss, Index examples);
  void begin_epoch(std::int64_t e, Index steps_done, Index steps_in_epoch);
  Json layers_json(bool initial);
  Json activations_json();
  void collect_warnings();
  MonitorEpochReport end_epoch(const EpochRecord& r);
  void finish();
  void flush();
};

}  // namespace gradnet
