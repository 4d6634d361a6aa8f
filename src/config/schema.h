// The config schema: one table that describes every key of every section (name, kind, default,
// doc, choices, bounds) and how it maps onto a Config field. Validation, --set overrides,
// to_toml and docs/config.md are all driven by this table, so they cannot drift apart.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/value.h"
#include "optimizer_section.h"

namespace gradnet::config_schema {

struct ConfigKey {
  std::string section;          // "" (top level), "data", "model", "optimizer", "schedule", "train"
  KeySpec spec;                 // default_value empty: the key is required
  bool min_open = false;        // spec.min is exclusive (lr > 0)
  bool max_open = false;        // spec.max is exclusive (momentum < 1)
  bool is_layers = false;       // model.layers: an array of inline tables, read by read_layers()
  // A rule the bounds cannot say: returns "" when value is fine, else what was expected.
  std::function<std::string(const Value&)> check;
  std::string rule_doc;         // that rule in words, for docs/config.md
  std::function<Value(const Config&)> get;
  std::function<void(Config&, const Value&)> set;
  // [optimizer] keys are staged instead (set is empty): read into a FlatOptimizer, then resolved
  // together by build_optimizer (optimizer_section.h), so their order cannot matter.
  std::function<void(FlatOptimizer&, const Value&)> stage;

  std::string dotted() const { return section.empty() ? spec.name : section + "." + spec.name; }
};

// Sections in to_toml order (the top-level keys come first).
const std::vector<std::string>& sections();
// Every key, grouped by section in to_toml order.
const std::vector<ConfigKey>& keys();
const ConfigKey* find_key(std::string_view section, std::string_view name);
std::vector<std::string> key_names(std::string_view section);  // short names of one section
std::vector<std::string> dotted_names();                        // every key, dotted

// "a number > 0", "an integer >= 1", "a number in [0, 1)", "one of fixed, step, multistep".
std::string expected_text(const KeySpec& spec, bool min_open = false, bool max_open = false);

}  // namespace gradnet::config_schema
