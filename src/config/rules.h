// Private to src/config: the rules that involve more than one key, each returning the first
// problem it finds as {dotted key to blame, message} ({"", ""} when there is none). The config is
// the one place that validates: the modules that consume it (optim/, schedule/, data/) trust
// what they are given. config_problem() (config.h) runs them all, in this order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradnet/config.h"

namespace gradnet::config_rules {

using Problem = std::pair<std::string, std::string>;

inline Problem problem(const std::string& key, std::string message) { return {key, std::move(message)}; }

// Every entry >= 1, each above the one before.
inline bool strictly_increasing_from_1(const std::vector<std::int64_t>& v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 1 || (i > 0 && v[i] <= v[i - 1])) return false;
  return true;
}

Problem optimizer_problem(const OptimizerConfig& o);                  // nesterov (sgd)
Problem schedule_problem(const ScheduleConfig& s, double lr);         // rules_schedule.cpp
Problem batch_size_problem(const TrainConfig& t);                     // train.batch_sizes vs milestones
Problem augment_problem(const AugmentConfig& a, const Shape& input, NormalizeMethod normalize);
Problem transfer_problem(const Config& c);                            // init_layers, unfreeze
Problem data_problem(const Config& c);                                // csv path, pca_components
Problem autoencoder_problem(const Config& c);                         // rules_autoencoder.cpp: target, noise, [pretrain]

}  // namespace gradnet::config_rules
