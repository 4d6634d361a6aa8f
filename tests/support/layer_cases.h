// The layer case table, tests/golden/layer_cases.json (written by tests/golden/layer_cases.py): per
// registered type, its gradient-check cases and its PyTorch golden cases (or why it has none), and
// the losses' golden cases. Read by the gradient-check test (tests/layers/registry_test.cpp), the
// golden test (tests/golden/layer_cases_golden_test.cpp) and the docs test, which lists the cases
// in docs/layers.md with the descriptions below.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "golden_json.h"
#include "gradnet/layer_registry.h"

namespace gradnet::testing {

// Every gradient-check case must pass at this maximum relative error (as `gradnet gradcheck`).
constexpr double kGradcheckTolerance = 1e-7;

inline const nlohmann::json& layer_case_table() {
  static const nlohmann::json j = load_golden("layer_cases.json");
  return j;
}

// One type's entry: {"gradcheck": [...], "golden": [...]} or {"gradcheck": [...], "golden_exempt":
// "why"}; null when the table has none.
inline const nlohmann::json* layer_cases_of(const std::string& type) {
  const nlohmann::json& layers = layer_case_table().at("layers");
  const auto it = layers.find(type);
  return it == layers.end() ? nullptr : &*it;
}

// A case's attrs as a spec of `type`, each value read as the kind its KeySpec says (so 1.0 and 1
// mean the same to a number key). Throws for a key the type does not have: make_layer would fill
// the default in place of a misspelt key and the case would test something else.
inline LayerSpec case_spec(const std::string& type, const nlohmann::json& attrs) {
  const LayerInfo* info = find_layer_info(type);
  if (!info) throw std::runtime_error("the case table names '" + type + "', which is not a registered layer type");
  LayerSpec spec;
  spec.type = type;
  for (const auto& [key, v] : attrs.items()) {
    const auto k = std::find_if(info->keys.begin(), info->keys.end(), [&](const KeySpec& s) { return s.name == key; });
    if (k == info->keys.end()) throw std::runtime_error(type + " has no key '" + key + "'");
    switch (k->kind) {
      case ValueKind::boolean: spec.attrs[key] = v.get<bool>(); break;
      case ValueKind::integer: spec.attrs[key] = v.get<std::int64_t>(); break;
      case ValueKind::number: spec.attrs[key] = v.get<double>(); break;
      case ValueKind::string: spec.attrs[key] = v.get<std::string>(); break;
      case ValueKind::int_list: spec.attrs[key] = v.get<std::vector<std::int64_t>>(); break;
      case ValueKind::number_list: spec.attrs[key] = v.get<std::vector<double>>(); break;
    }
  }
  return spec;
}

// ---- descriptions for docs/layers.md ----

inline std::string shape_text(const nlohmann::json& shape) {
  return fmt::format("[{}]", fmt::join(shape.get<std::vector<Index>>(), ", "));
}

// ": `out = 4`, `bias = false`" in the type's key spelling, or "" without attrs.
inline std::string attrs_text(const std::string& type, const nlohmann::json& attrs) {
  if (attrs.empty()) return "";
  const LayerSpec spec = case_spec(type, attrs);
  std::vector<std::string> items;
  for (const auto& [key, v] : attrs.items())
    items.push_back("`" + key + " = " + value_to_string(spec.attrs.at(key)) + "`");
  return ": " + fmt::format("{}", fmt::join(items, ", "));
}

inline std::string gradcheck_case_text(const std::string& type, const nlohmann::json& c) {
  return fmt::format("in {}, batch {}, {}{}", shape_text(c.at("in")), c.at("batch").get<Index>(),
                     c.at("mode").get<std::string>(), attrs_text(type, c.at("attrs")));
}

inline std::string golden_case_text(const std::string& type, const nlohmann::json& c) {
  const nlohmann::json& steps = c.at("steps");
  std::vector<std::string> runs;
  for (const nlohmann::json& s : steps)
    runs.push_back(fmt::format("{} {}", s.at("mode").get<std::string>(), s.at("x").size()));
  std::vector<std::string> compared = {"y"};
  const nlohmann::json& first = steps.front();
  if (first.contains("dx")) compared.push_back("dx");
  if (first.contains("grads"))
    for (const auto& [name, _] : first.at("grads").items()) compared.push_back("d" + name);
  if (first.contains("buffers"))
    for (const auto& [name, _] : first.at("buffers").items()) compared.push_back(name);
  Index largest = 0;
  for (const nlohmann::json& s : steps) largest = std::max(largest, static_cast<Index>(s.at("x").size()));
  std::string text = fmt::format("in {}, ", shape_text(c.at("in")));
  if (steps.size() == 1)
    text += fmt::format("batch {}, {}", steps.front().at("x").size(), steps.front().at("mode").get<std::string>());
  else
    text += fmt::format("steps (mode, batch) {}", fmt::join(runs, ", "));
  const Index max_batch = c.at("max_batch");
  if (max_batch > largest) text += fmt::format(", set up for batch {}", max_batch);
  text += attrs_text(type, c.at("attrs"));
  const std::string note = c.at("note").get<std::string>();
  if (!note.empty()) text += " (" + note + ")";
  return text + fmt::format("; compares {}{}", fmt::join(compared, ", "), steps.size() == 1 ? "" : " after every step");
}

// 1e-07 -> 1e-7, as the docs write it.
inline std::string number_text(double x) {
  std::string s = fmt::format("{}", x);
  if (const auto e = s.find("e-0"); e != std::string::npos) s.erase(e + 2, 1);
  return s;
}

inline std::string tolerance_text(const nlohmann::json& tolerance) {
  const double rel = tolerance.at("rel"), abs_of_max = tolerance.at("abs_of_max");
  if (abs_of_max == 0.0) return number_text(rel) + " relative";
  return number_text(rel) + " relative + " + number_text(abs_of_max) + " of the tensor's largest value";
}

}  // namespace gradnet::testing
