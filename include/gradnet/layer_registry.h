// The layer registry: for each type written in TOML, its doc, its key table and its factories.
// Config validation, `gradnet layers`, docs and the gradcheck tests all read this one table.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/layer.h"
#include "gradnet/value.h"

namespace gradnet {

struct LayerInfo {
  std::string type;
  std::string doc;
  std::vector<KeySpec> keys;  // every key but "type"
  bool is_activation = false; // elementwise nonlinearity (used for init's "auto" gain)
  std::unique_ptr<Layer<float>> (*make_float)(const LayerSpec&);
  std::unique_ptr<Layer<double>> (*make_double)(const LayerSpec&);
};

const std::vector<LayerInfo>& layer_infos();
const LayerInfo* find_layer_info(std::string_view type);

// Builds the layer for a validated spec. Error{config} naming the index for an unknown type.
template <typename T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec);

}  // namespace gradnet
