// What each optimizer reads: PyTorch 1.13's option names, defaults and meanings
// (docs/optimizers.md has every update rule). One struct per optimizer family, plus the options
// every first-order optimizer shares (clipping, weight decay); OptimizerOptions holds the type and
// exactly its own struct. The config reads [optimizer] into it (src/config/optimizer_section.cpp:
// defaults by type, options the type would ignore refused); make_optimizer trusts it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "gradnet/enum_names.h"

namespace gradnet {

enum class OptimizerType { sgd, adagrad, rmsprop, adam, adamw, adadelta, lbfgs };
enum class LineSearch { none, strong_wolfe };

template <>
struct EnumNames<OptimizerType> {
  static constexpr std::array<std::string_view, 7> words = {"sgd",   "adagrad",  "rmsprop", "adam",
                                                            "adamw", "adadelta", "lbfgs"};
};
template <>
struct EnumNames<LineSearch> {
  static constexpr std::array<std::string_view, 2> words = {"none", "strong_wolfe"};
};

// Shared by every optimizer but lbfgs, applied in this order each step (optimizer.h):
// clip_norm (global L2 norm; 0: off), clip_value (each element; 0: off), then the rule with
// decay = weight_decay · decay_mult (0 for biases and 1-D params with no_decay_bias).
struct UpdateOptions {
  double weight_decay = 0.0;   // coupled L2 (adamw: decoupled)
  double clip_norm = 0.0;
  double clip_value = 0.0;
  bool no_decay_bias = false;
  bool operator==(const UpdateOptions&) const = default;
};

struct SgdOptions {
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;       // needs momentum > 0 and dampening = 0
  bool operator==(const SgdOptions&) const = default;
};

struct AdagradOptions {
  double lr_decay = 0.0;       // lr / (1 + (step - 1)·lr_decay)
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool operator==(const AdagradOptions&) const = default;
};

struct RmspropOptions {
  double alpha = 0.99;         // decay of the squared-gradient average
  double eps = 1e-8;
  double momentum = 0.0;
  bool centered = false;
  bool operator==(const RmspropOptions&) const = default;
};

struct AdamOptions {           // adam and adamw (decoupled weight decay)
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  bool amsgrad = false;
  bool bias_correction = true;
  bool operator==(const AdamOptions&) const = default;
};

struct AdadeltaOptions {
  double rho = 0.9;
  double eps = 1e-6;
  bool operator==(const AdadeltaOptions&) const = default;
};

struct LbfgsOptions {
  std::int64_t history_size = 100;
  std::int64_t max_iter = 20;   // iterations per step
  std::int64_t max_eval = 0;    // loss evaluations per step; 0: max_iter·5/4
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  LineSearch line_search = LineSearch::none;
  bool operator==(const LbfgsOptions&) const = default;
};

using OptimizerRule =
    std::variant<SgdOptions, AdagradOptions, RmspropOptions, AdamOptions, AdadeltaOptions, LbfgsOptions>;

struct OptimizerOptions {
  OptimizerType type = OptimizerType::sgd;
  UpdateOptions update;
  OptimizerRule rule;  // the struct of `type` (AdamOptions for adam and adamw)

  // The type with PyTorch's defaults (adamw: weight_decay 0.01).
  static OptimizerOptions of(OptimizerType type);

  // The type's struct; the type must be one that reads it.
  SgdOptions& sgd() { return std::get<SgdOptions>(rule); }
  AdagradOptions& adagrad() { return std::get<AdagradOptions>(rule); }
  RmspropOptions& rmsprop() { return std::get<RmspropOptions>(rule); }
  AdamOptions& adam() { return std::get<AdamOptions>(rule); }
  AdadeltaOptions& adadelta() { return std::get<AdadeltaOptions>(rule); }
  LbfgsOptions& lbfgs() { return std::get<LbfgsOptions>(rule); }
  const SgdOptions& sgd() const { return std::get<SgdOptions>(rule); }
  const AdagradOptions& adagrad() const { return std::get<AdagradOptions>(rule); }
  const RmspropOptions& rmsprop() const { return std::get<RmspropOptions>(rule); }
  const AdamOptions& adam() const { return std::get<AdamOptions>(rule); }
  const AdadeltaOptions& adadelta() const { return std::get<AdadeltaOptions>(rule); }
  const LbfgsOptions& lbfgs() const { return std::get<LbfgsOptions>(rule); }

  bool operator==(const OptimizerOptions&) const = default;
};

inline OptimizerOptions OptimizerOptions::of(OptimizerType type) {
  OptimizerOptions o;
  o.type = type;
  switch (type) {
    case OptimizerType::sgd: o.rule = SgdOptions{}; break;
    case OptimizerType::adagrad: o.rule = AdagradOptions{}; break;
    case OptimizerType::rmsprop: o.rule = RmspropOptions{}; break;
    case OptimizerType::adam: o.rule = AdamOptions{}; break;
    case OptimizerType::adamw:
      o.rule = AdamOptions{};
      o.update.weight_decay = 1e-2;
      break;
    case OptimizerType::adadelta: o.rule = AdadeltaOptions{}; break;
    case OptimizerType::lbfgs: o.rule = LbfgsOptions{}; break;
  }
  return o;
}

}  // namespace gradnet
