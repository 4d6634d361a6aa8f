// Value: one configuration value (a TOML scalar or a list of numbers), and the key tables that
// validate them. Layers, losses and config sections describe their keys with KeySpec, so one
// validator gives every key the same errors, defaults and docs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

enum class ValueKind { boolean, integer, number, string, int_list, number_list };

// number accepts integers too; int_list/number_list hold any TOML array of numbers.
using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                           std::vector<double>>;

const char* kind_name(ValueKind kind);  // "an integer", "a string", ...
std::string value_to_string(const Value& value);  // TOML spelling: 0.1, "relu", [1, 28, 28]

struct KeySpec {
  std::string name;
  ValueKind kind;
  std::optional<Value> default_value;  // empty: the key is required
  std::string doc;
  std::vector<std::string> choices;    // for strings: the allowed values (empty: any)
  std::optional<double> min;           // for numbers: inclusive bounds
  std::optional<double> max;
};

// A validated layer entry of [model] layers = [...]: type plus every key, defaults filled.
struct LayerSpec {
  std::string type;
  Index index = 0;                     // position in model.layers
  std::map<std::string, Value> attrs;

  bool has(const std::string& key) const { return attrs.count(key) != 0; }
  std::int64_t get_int(const std::string& key) const;
  double get_number(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  std::vector<std::int64_t> get_ints(const std::string& key) const;
};

// Levenshtein-closest candidate within a small distance, for "did you mean ...?".
std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gradnet
