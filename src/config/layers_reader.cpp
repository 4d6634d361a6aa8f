// model.layers: each entry an inline table { type = "...", <keys of that type> }, validated
// against the layer registry's KeySpec tables, defaults filled.
#include <algorithm>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "toml_reader.h"

namespace gradnet::config_reader {
namespace {

constexpr std::int64_t kMaxLayerInteger = std::int64_t(1) << 24;

std::vector<std::string> type_names() {
  std::vector<std::string> names;
  for (const LayerInfo& info : layer_infos()) names.push_back(info.type);
  return names;
}

// init_nonlinearity = "auto" (the default): what the registry row of the first layer after this
// one that init does not look through names (an activation that init knows; leaky_relu also lends
// its slope), else "linear" (gain 1): a weighted layer or the end of the net comes first. The
// registry tests check that every row names one of key.choices.
void resolve_auto(const toml::array& layers, std::size_t i, const KeySpec& key, const toml::table& entry,
                  LayerSpec& spec) {
  const toml::table* next = nullptr;
  const LayerInfo* info = nullptr;
  for (std::size_t j = i + 1; j < layers.size(); ++j) {
    next = layers[j].as_table();
    const auto* next_type = next ? next->get_as<std::string>("type") : nullptr;
    info = next_type ? find_layer_info(next_type->get()) : nullptr;
    if (!info || !info->init_looks_through) break;
  }
  if (info && info->init_looks_through) info = nullptr;  // only look-through layers up to the end
  const std::string nonlinearity = info ? info->init_nonlinearity : "linear";
  spec.attrs[key.name] = Value(nonlinearity);
  if (nonlinearity != "leaky_relu" || entry.get("init_slope")) return;
  double slope = 0.01;
  for (const KeySpec& k : info->keys)
    if (k.name == "slope" && k.default_value) slope = std::get<double>(*k.default_value);
  if (const toml::node* given = next->get("slope")) {
    if (auto x = given->value<double>()) slope = *x;
  }
  spec.attrs["init_slope"] = Value(slope);
}

LayerSpec read_layer(const toml::array& layers, std::size_t i, const Context& ctx) {
  const std::string at = fmt::format("model.layers[{}]", i);
  const toml::table* entry = layers[i].as_table();
  if (!entry)
    fail(ErrorKind::config, "{}: {} = {}: expected an inline table such as {{ type = \"relu\" }}", ctx.where(at), at,
         node_to_string(layers[i]));
  const toml::node* type_node = entry->get("type");
  if (!type_node)
    fail(ErrorKind::config, "{}: {}: missing key 'type' (one of {})", ctx.where(at), at, fmt::join(type_names(), ", "));
  const auto* type = type_node->as_string();
  if (!type)
    fail(ErrorKind::config, "{}: {}.type = {}: expected a string (one of {})", ctx.where(at + ".type"), at,
         node_to_string(*type_node), fmt::join(type_names(), ", "));
  const LayerInfo* info = find_layer_info(type->get());
  if (!info)
    fail(ErrorKind::config, "{}: {}: unknown layer type '{}'{}; known: {}", ctx.where(at + ".type"), at, type->get(),
         did_you_mean(type->get(), type_names()), fmt::join(type_names(), ", "));

  std::vector<std::string> key_names;
  for (const KeySpec& k : info->keys) key_names.push_back(k.name);
  for (const auto& [k, v] : *entry) {
    const std::string name(k.str());
    if (name == "type" || std::find(key_names.begin(), key_names.end(), name) != key_names.end()) continue;
    const std::string takes = key_names.empty() ? fmt::format("{} takes no keys besides type", info->type)
                                                : fmt::format("{} takes: {}", info->type, fmt::join(key_names, ", "));
    fail(ErrorKind::config, "{}: {}.{}: unknown key{}; {}", ctx.where(at + "." + name), at, name,
         did_you_mean(name, key_names), takes);
  }

  LayerSpec spec;
  spec.type = info->type;
  spec.index = static_cast<Index>(i);
  for (const KeySpec& key : info->keys) {
    const toml::node* node = entry->get(key.name);
    const bool auto_nonlinearity =
        key.name == "init_nonlinearity" && (!node || node->value<std::string>() == std::string("auto"));
    if (auto_nonlinearity) {
      resolve_auto(layers, i, key, *entry, spec);
    } else if (!node) {
      if (!key.default_value)
        fail(ErrorKind::config, "{}: {}: missing key '{}' ({} needs it: {})", ctx.where(at), at, key.name, info->type,
             key.doc);
      spec.attrs.emplace(key.name, *key.default_value);  // init_slope may come from "auto"
    } else {
      spec.attrs[key.name] = read_value(*node, key, ctx, at + "." + key.name);
      // A size beyond this is a typo, and would end as out of memory (or an overflow) while building the net.
      const auto* v = std::get_if<std::int64_t>(&spec.attrs[key.name]);
      if (v && *v > kMaxLayerInteger)
        fail(ErrorKind::config, "{}: {}.{} = {}: expected at most {}", ctx.where(at + "." + key.name), at, key.name, *v,
             kMaxLayerInteger);
    }
  }
  return spec;
}

}  // namespace

std::vector<LayerSpec> read_layers(const toml::node& node, const Context& ctx) {
  const toml::array* layers = node.as_array();
  if (!layers)
    fail(ErrorKind::config, "{}: model.layers = {}: expected an array of inline tables, e.g. [{{ type = \"linear\", "
         "out = 10 }}]", ctx.where("model.layers"), node_to_string(node));
  if (layers->empty())
    fail(ErrorKind::config, "{}: model.layers = []: expected at least one layer", ctx.where("model.layers"));
  std::vector<LayerSpec> specs;
  for (std::size_t i = 0; i < layers->size(); ++i) specs.push_back(read_layer(*layers, i, ctx));
  return specs;
}

}  // namespace gradnet::config_reader
