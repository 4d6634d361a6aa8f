// Private to src/layers: the helpers that turn a registration row into a LayerInfo.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gradnet/layer_registry.h"

namespace gradnet {

// Fills the row's factories for layer template L: L<T>(spec), or L<T>() for a layer without keys.
template <template <typename> class L>
LayerInfo layer(LayerInfo row) {
  if constexpr (std::is_constructible_v<L<float>, const LayerSpec&>) {
    row.make_float = [](const LayerSpec& s) -> std::unique_ptr<Layer<float>> { return std::make_unique<L<float>>(s); };
    row.make_double = [](const LayerSpec& s) -> std::unique_ptr<Layer<double>> {
      return std::make_unique<L<double>>(s);
    };
  } else {
    row.make_float = [](const LayerSpec&) -> std::unique_ptr<Layer<float>> { return std::make_unique<L<float>>(); };
    row.make_double = [](const LayerSpec&) -> std::unique_ptr<Layer<double>> { return std::make_unique<L<double>>(); };
  }
  return row;
}

// The keys every layer with params accepts (Caffe's per-blob multipliers); Net applies them to each
// of the layer's Params.
inline std::vector<KeySpec> with_param_keys(std::vector<KeySpec> keys) {
  keys.push_back({"lr_mult", ValueKind::number, Value(1.0),
                  "multiplies optimizer.lr for this layer's params (default 1; 0 leaves them in place)", {}, 0.0, {}});
  keys.push_back({"decay_mult", ValueKind::number, Value(1.0),
                  "multiplies optimizer.weight_decay for this layer's params (default 1)", {}, 0.0, {}});
  keys.push_back({"frozen", ValueKind::boolean, Value(false),
                  "no updates for this layer's params (fine-tuning); grads are still computed (default false)", {},
                  {}, {}});
  return keys;
}

}  // namespace gradnet
