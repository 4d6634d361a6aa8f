#include "spec_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "../config/toml_reader.h"
#include "gradnet/error.h"

namespace gradnet::search {

void TableReader::fail_at(const std::string& name, const std::string& message) const {
  fail(ErrorKind::config, "{}: {}: {}", file_, key(name), message);
}

void TableReader::only(const std::vector<std::string>& known) const {
  for (const auto& [k, v] : table_) {
    const std::string name(k.str());
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    fail(ErrorKind::config, "{}: unknown key '{}'{}", file_, clip(key(name)), config_reader::did_you_mean(name, known));
  }
}

std::string TableReader::string(const std::string& name, const std::string& fallback) const {
  const toml::node* n = table_.get(name);
  if (!n) return fallback;
  if (!n->is_string()) fail_at(name, fmt::format("expected a string, got {}", clip(config_reader::node_to_string(*n))));
  return n->as_string()->get();
}

std::string TableReader::word(const std::string& name, const std::string& fallback,
                              const std::vector<std::string>& words) const {
  const std::string w = string(name, fallback);
  if (std::find(words.begin(), words.end(), w) == words.end())
    fail_at(name, fmt::format("'{}' is not one of {}{}", clip(w), fmt::join(words, ", "),
                              config_reader::did_you_mean(w, words)));
  return w;
}

std::int64_t TableReader::integer(const std::string& name, std::int64_t fallback, std::int64_t lo,
                                  std::int64_t hi) const {
  const toml::node* n = table_.get(name);
  if (!n) return fallback;
  if (!n->is_integer()) fail_at(name, fmt::format("expected an integer, got {}", clip(config_reader::node_to_string(*n))));
  const std::int64_t v = n->as_integer()->get();
  if (v < lo || v > hi) fail_at(name, fmt::format("{} is out of range: expected {} to {}", v, lo, hi));
  return v;
}

double TableReader::number(const std::string& name, double fallback, double lo, double hi) const {
  const toml::node* n = table_.get(name);
  if (!n) return fallback;
  if (!n->is_number()) fail_at(name, fmt::format("expected a number, got {}", clip(config_reader::node_to_string(*n))));
  const double v = n->is_integer() ? static_cast<double>(n->as_integer()->get()) : n->as_floating_point()->get();
  if (!std::isfinite(v) || v < lo || v > hi) fail_at(name, fmt::format("{} is out of range: expected {} to {}", v, lo, hi));
  return v;
}

std::vector<std::string> TableReader::strings(const std::string& name) const {
  const toml::node* n = table_.get(name);
  if (!n) return {};
  const toml::array* a = n->as_array();
  if (!a) fail_at(name, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    if (!e.is_string()) fail_at(name, fmt::format("expected strings, got {}", clip(config_reader::node_to_string(e))));
    out.push_back(e.as_string()->get());
  }
  return out;
}

const toml::table* TableReader::table(const std::string& name) const {
  const toml::node* n = table_.get(name);
  if (n && !n->is_table()) fail_at(name, "expected a table");
  return n ? n->as_table() : nullptr;
}

const toml::array* TableReader::array(const std::string& name) const {
  const toml::node* n = table_.get(name);
  if (n && !n->is_array()) fail_at(name, "expected an array");
  return n ? n->as_array() : nullptr;
}

std::string float_literal(double value) {
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 1 -> 1.0: a float key stays a float
  return s;
}

std::string literal_of(const toml::node& node) {
  if (node.is_string()) return node.as_string()->get();
  if (node.is_integer()) return std::to_string(node.as_integer()->get());
  if (node.is_floating_point()) return float_literal(node.as_floating_point()->get());
  if (node.is_boolean()) return node.as_boolean()->get() ? "true" : "false";
  return config_reader::node_to_string(node);
}

}  // namespace gradnet::search
