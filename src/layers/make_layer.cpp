// Looking a type up in the registry table (registry.cpp) and building its layer; the default
// kink_state() of Layer<T>.
#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"

namespace gradnet {

template <typename T>
std::vector<std::int32_t> Layer<T>::kink_state(ConstView<T> x) const {
  // -1, 0, +1: a move to or from exactly 0 counts as a crossing too (relu's kink is at 0).
  std::vector<std::int32_t> s(static_cast<std::size_t>(x.size()));
  for (Index i = 0; i < x.size(); ++i) s[i] = (x.data[i] > T(0)) - (x.data[i] < T(0));
  return s;
}

template class Layer<float>;
template class Layer<double>;

namespace {

std::vector<std::string> type_names() {
  std::vector<std::string> names;
  for (const LayerInfo& info : layer_infos()) names.push_back(info.type);
  return names;
}

}  // namespace

const LayerInfo* find_layer_info(std::string_view type) {
  for (const LayerInfo& info : layer_infos())
    if (info.type == type) return &info;
  return nullptr;
}

template <typename T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec) {
  const LayerInfo* info = find_layer_info(spec.type);
  if (!info) {
    const std::vector<std::string> names = type_names();
    const auto hint = closest_match(spec.type, names);
    fail(ErrorKind::config, "layers.{}: unknown layer type '{}'{}; known: {}", spec.index, spec.type,
         hint ? " (did you mean '" + *hint + "'?)" : std::string(), fmt::join(names, ", "));
  }
  // The config validator fills defaults; specs built in code (tests, tools) may omit them, so
  // fill any missing key here and refuse only a missing required one.
  LayerSpec full = spec;
  for (const KeySpec& key : info->keys) {
    if (full.has(key.name)) continue;
    GRADNET_CHECK(key.default_value.has_value(), config, "layers.{} ({}): missing required key '{}' ({})",
                  spec.index, spec.type, key.name, key.doc);
    full.attrs[key.name] = *key.default_value;
  }
  if constexpr (std::is_same_v<T, float>) return info->make_float(full);
  else return info->make_double(full);
}

template std::unique_ptr<Layer<float>> make_layer<float>(const LayerSpec&);
template std::unique_ptr<Layer<double>> make_layer<double>(const LayerSpec&);

}  // namespace gradnet
