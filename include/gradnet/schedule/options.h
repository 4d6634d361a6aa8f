// [schedule]: the learning-rate policy and its settings, as the config reads them (one field per
// key, the words already turned into enums). docs/schedules.md has every formula; Caffe's solver
// words where it has one (gamma, power, step_size, milestones, max_iter), PyTorch's for the rest,
// Keras's for plateau. Times count `unit`s (steps or epochs) unless the key's name says otherwise.
// Each policy reads only its own keys (make_schedule hands each the ones it needs); a key another
// policy uses is kept as written, so config.toml gives it back unchanged. The config reader checks
// the rules across keys (src/config/rules_schedule.cpp); make_schedule trusts what it is given.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/metric.h"

namespace gradnet {

enum class Policy {
  fixed, step, multistep, exp, inv, poly, sigmoid, inverse_time,       // Caffe's lr_policy and 1/t decay
  cosine, cosine_restarts, cyclic, one_cycle,                           // PyTorch's
  plateau                                                               // Keras's ReduceLROnPlateau
};
enum class ScheduleUnit { epoch, step };
enum class CyclicMode { triangular, triangular2, exp_range };
enum class AnnealStrategy { cos, linear };
enum class ThresholdMode { rel, abs };

template <>
struct EnumNames<Policy> {
  static constexpr std::array<std::string_view, 13> words = {
      "fixed", "step", "multistep", "exp", "inv", "poly", "sigmoid", "inverse_time",
      "cosine", "cosine_restarts", "cyclic", "one_cycle", "plateau"};
};
template <>
struct EnumNames<ScheduleUnit> {
  static constexpr std::array<std::string_view, 2> words = {"epoch", "step"};
};
template <>
struct EnumNames<CyclicMode> {
  static constexpr std::array<std::string_view, 3> words = {"triangular", "triangular2", "exp_range"};
};
template <>
struct EnumNames<AnnealStrategy> {
  static constexpr std::array<std::string_view, 2> words = {"cos", "linear"};
};
template <>
struct EnumNames<ThresholdMode> {
  static constexpr std::array<std::string_view, 2> words = {"rel", "abs"};
};

struct ScheduleConfig {
  Policy policy = Policy::fixed;
  ScheduleUnit unit = ScheduleUnit::epoch;  // what t counts
  double gamma = 0.1;                // step, multistep, exp, inv, inverse_time, sigmoid, cyclic exp_range
  std::int64_t step_size = 1;        // step: units between decays; sigmoid: the centre
  std::vector<std::int64_t> milestones;  // multistep: units, strictly increasing
  double power = 1.0;                // inv, poly
  std::int64_t max_iter = 0;         // poly, one_cycle: length in units; 0: the run's
  std::int64_t t_max = 0;            // cosine: half period in units; 0: the run's length
  std::int64_t t_0 = 10;             // cosine_restarts: first period in units
  std::int64_t t_mult = 1;           // cosine_restarts: period growth factor
  double min_lr = 0.0;               // cosine, cosine_restarts, cyclic (its lower bound), plateau
  double max_lr = 0.0;               // cyclic, one_cycle
  CyclicMode cyclic_mode = CyclicMode::triangular;
  std::int64_t step_size_up = 2000;  // cyclic: units from min_lr up to max_lr
  std::int64_t step_size_down = 0;   // cyclic: units back down; 0: step_size_up
  double pct_start = 0.3;            // one_cycle
  double div_factor = 25.0;          // one_cycle: initial lr = max_lr / div_factor
  double final_div_factor = 1e4;     // one_cycle: final lr = initial lr / final_div_factor
  AnnealStrategy anneal_strategy = AnnealStrategy::cos;  // one_cycle
  std::int64_t warmup_steps = 0;     // linear warm-up in front of the policy, in steps
  std::int64_t warmup_epochs = 0;    // ... or in epochs (at most one of the two)
  double warmup_start_factor = 0.1;  // warm-up starts at lr * this factor
  Metric monitor = Metric::val_loss;           // plateau
  MetricMode mode = MetricMode::automatic;     // plateau
  double factor = 0.1;               // plateau: lr *= factor on a plateau
  std::int64_t patience = 10;        // plateau: epochs without improvement before reducing
  std::int64_t cooldown = 0;         // plateau: epochs to wait after a reduction
  double min_delta = 1e-4;           // plateau: smallest change that counts as improvement
  ThresholdMode threshold_mode = ThresholdMode::rel;  // plateau: how min_delta is applied
};

}  // namespace gradnet
