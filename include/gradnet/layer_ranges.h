// Layer ranges: how train.freeze, train.init_layers and train.unfreeze name layers of the net.
//   "layers.3"                one layer (its index in model.layers, as its tensors are named)
//   "layers.0-3"              layers 0, 1, 2 and 3
//   "layers.0-3, layers.5"    a comma-separated list of either
// The unfreeze schedule is "EPOCH: RANGES" entries separated by ';' ("3: layers.2-3; 5: layers.0-1").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

struct LayerRange {
  Index first = 0, last = 0;  // inclusive
};

// "" when spec is well formed (an empty spec names no layer), else what is wrong, for a message.
std::string layer_ranges_problem(const std::string& spec);
// The ranges of a well-formed spec (check layer_ranges_problem first; Error{config} naming key otherwise).
std::vector<LayerRange> parse_layer_ranges(const std::string& spec, const std::string& key);
// Which of a net's `layers` layers spec names; Error{config} naming key when a range reaches past
// the last layer.
std::vector<bool> select_layers(const std::string& spec, Index layers, const std::string& key);

struct UnfreezeStep {
  std::int64_t epoch = 0;  // from this epoch on (counting from 1) ...
  std::string layers;      // ... these layers train (a range spec)
};
std::string unfreeze_problem(const std::string& schedule);
std::vector<UnfreezeStep> parse_unfreeze(const std::string& schedule, const std::string& key);

// The layer a tensor name belongs to: "layers.3.weight" -> 3; -1 for a name of another form.
Index layer_of_tensor(const std::string& name);

}  // namespace gradnet
