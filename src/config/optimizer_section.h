// Private to src/config: [optimizer] as its keys spell it. The file's keys are flat (momentum
// means SGD's or RMSprop's, eps's default depends on the type); the Config holds the typed
// OptimizerConfig. Reading stages every given key, then resolves them together, so the order of
// the keys never matters: the type's defaults first, the given keys over them, then the rules
// (nesterov's; no option the type would ignore). Writing flattens the typed config back.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradnet/config.h"

namespace gradnet::config_schema {

struct ConfigKey;

// Every [optimizer] key, with the type's defaults where it has none of its own.
struct FlatOptimizer {
  OptimizerType type = OptimizerType::sgd;
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  bool amsgrad = false;
  bool bias_correction = true;
  double alpha = 0.99;
  bool centered = false;
  double rho = 0.9;
  double lr_decay = 0.0;
  double initial_accumulator_value = 0.0;
  std::int64_t history_size = 100;
  std::int64_t max_iter = 20;
  std::int64_t max_eval = 0;
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  LineSearch line_search = LineSearch::none;
  double clip_norm = 0.0;
  double clip_value = 0.0;
  bool no_decay_bias = false;
  LrScaling lr_scaling = LrScaling::none;
};

// The keys' values for a type nobody set anything for: lr (adadelta, lbfgs: 1), eps (adagrad:
// 1e-10, adadelta: 1e-6) and weight_decay (adamw: 0.01) depend on it.
FlatOptimizer flat_defaults(OptimizerType type);
// The typed config as keys (to_toml): the type's own options, defaults for the rest.
FlatOptimizer flatten(const OptimizerConfig& c);

// Builds the typed config from the given [optimizer] keys (key, value), in any order. Returns the
// first broken rule as {dotted key, message} in `problem` (then the result is unusable).
OptimizerConfig build_optimizer(const std::vector<std::pair<const ConfigKey*, Value>>& given,
                                std::pair<std::string, std::string>& problem);

}  // namespace gradnet::config_schema
