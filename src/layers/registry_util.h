// Private to src/layers: the helpers that build LayerInfo rows, and the per-family tables that
// registry.cpp concatenates (one file per family, so each family lists its own layers).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gradnet/layer_registry.h"

namespace gradnet {

template <template <typename> class L>
inline LayerInfo simple(std::string type, std::string doc, std::vector<KeySpec> keys, bool is_activation) {
  return {std::move(type), std::move(doc), std::move(keys), is_activation,
          [](const LayerSpec& s) -> std::unique_ptr<Layer<float>> { return std::make_unique<L<float>>(s); },
          [](const LayerSpec& s) -> std::unique_ptr<Layer<double>> { return std::make_unique<L<double>>(s); }};
}

// Parameterless layers are built without reading the spec.
template <template <typename> class L>
inline LayerInfo stateless(std::string type, std::string doc) {
  return {std::move(type), std::move(doc), {}, true,
          [](const LayerSpec&) -> std::unique_ptr<Layer<float>> { return std::make_unique<L<float>>(); },
          [](const LayerSpec&) -> std::unique_ptr<Layer<double>> { return std::make_unique<L<double>>(); }};
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

// Conv nets: conv2d, pooling, flatten, dropout, batch norm (registry_conv.cpp).
void add_conv_layers(std::vector<LayerInfo>& v);
// Layer/group/instance/weight norm, softmax, log_softmax, elu, gelu, silu (registry_extra.cpp).
void add_extra_layers(std::vector<LayerInfo>& v);

}  // namespace gradnet
