// Small helpers for the layer tests: building specs, nets and views in a line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gradnet/layer_registry.h"
#include "gradnet/net.h"

namespace gradnet::testing {

inline LayerSpec layer_spec(const std::string& type, std::map<std::string, Value> attrs = {}, Index index = 0) {
  LayerSpec s;
  s.type = type;
  s.index = index;
  s.attrs = std::move(attrs);
  return s;
}

inline ModelSpec model_spec(Shape input, const std::string& loss, std::vector<LayerSpec> layers) {
  ModelSpec m;
  m.input = std::move(input);
  m.loss = *parse_enum<LossType>(loss);
  for (std::size_t i = 0; i < layers.size(); ++i) layers[i].index = static_cast<Index>(i);
  m.layers = std::move(layers);
  return m;
}

template <typename T>
ConstView<T> cview(const std::vector<T>& v, Index rows) {
  return ConstView<T>(v.data(), rows, static_cast<Index>(v.size()) / rows);
}

template <typename T>
View<T> mview(std::vector<T>& v, Index rows) {
  return View<T>{v.data(), rows, static_cast<Index>(v.size()) / rows};
}

}  // namespace gradnet::testing
