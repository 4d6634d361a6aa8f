// TOML nodes -> checked Values, and how a value is shown in messages.
#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "schema.h"
#include "toml_reader.h"

namespace gradnet::config_reader {

std::string Context::where(const std::string& key) const {
  std::string k = key;
  while (!k.empty()) {
    if (auto it = overrides.find(k); it != overrides.end()) return it->second;
    const auto cut = k.find_last_of(".[");
    if (cut == std::string::npos) break;
    k.resize(cut);
  }
  return source;
}

std::optional<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates) {
  if (auto hint = closest_match(word, candidates)) return hint;
  for (const std::string& c : candidates) {
    if (c.size() != word.size()) continue;
    std::size_t i = 0;
    while (i < c.size() && c[i] == word[i]) ++i;
    if (i + 1 < c.size() && c[i] == word[i + 1] && c[i + 1] == word[i] && c.substr(i + 2) == word.substr(i + 2))
      return c;
  }
  return std::nullopt;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const auto hint = suggest(word, candidates);
  return hint ? fmt::format(" (did you mean '{}'?)", *hint) : "";
}

namespace {

std::string node_text(const toml::node& node) {
  return node.visit([](const auto& n) -> std::string {
    using N = std::decay_t<decltype(n)>;
    if constexpr (std::is_same_v<N, toml::table>) {
      std::vector<std::string> parts;
      for (const auto& [k, v] : n) parts.push_back(fmt::format("{} = {}", k.str(), node_text(v)));
      return parts.empty() ? "{}" : fmt::format("{{ {} }}", fmt::join(parts, ", "));
    } else if constexpr (std::is_same_v<N, toml::array>) {
      std::vector<std::string> parts;
      for (const auto& v : n) parts.push_back(node_text(v));
      return fmt::format("[{}]", fmt::join(parts, ", "));
    } else if constexpr (std::is_same_v<N, toml::value<std::string>>) {
      return value_to_string(Value(n.get()));
    } else if constexpr (std::is_same_v<N, toml::value<double>>) {
      return value_to_string(Value(n.get()));
    } else if constexpr (std::is_same_v<N, toml::value<std::int64_t>>) {
      return fmt::format("{}", n.get());
    } else if constexpr (std::is_same_v<N, toml::value<bool>>) {
      return n.get() ? "true" : "false";
    } else {
      std::ostringstream os;  // dates and times
      os << n;
      return os.str();
    }
  });
}

}  // namespace

std::string node_to_string(const toml::node& node) {
  std::string text = node_text(node);
  return text.size() > 200 ? clip(text, 200) : text;  // a message quotes the start of a long value
}

namespace {

bool within(double x, const KeySpec& spec, bool min_open, bool max_open) {
  if (!std::isfinite(x)) return false;
  if (spec.min && (min_open ? !(x > *spec.min) : !(x >= *spec.min))) return false;
  if (spec.max && (max_open ? !(x < *spec.max) : !(x <= *spec.max))) return false;
  return true;
}

std::optional<double> as_number(const toml::node& n) {
  if (auto i = n.as_integer()) return static_cast<double>(i->get());
  if (auto f = n.as_floating_point()) return f->get();
  return std::nullopt;
}

[[noreturn]] void fail_value(const toml::node& node, const Context& ctx, const std::string& key,
                             const std::string& expected, const std::string& extra = "") {
  fail(ErrorKind::config, "{}: {} = {}: expected {}{}", ctx.where(key), key, node_to_string(node), expected, extra);
}

}  // namespace

Value read_value(const toml::node& node, const KeySpec& spec, const Context& ctx, const std::string& key,
                 bool min_open, bool max_open) {
  const std::string range = config_schema::expected_text(spec, min_open, max_open);
  const std::string type = spec.choices.empty() ? std::string(kind_name(spec.kind)) : range;
  switch (spec.kind) {
    case ValueKind::boolean:
      if (auto b = node.as_boolean()) return Value(b->get());
      fail_value(node, ctx, key, type);
    case ValueKind::integer: {
      auto i = node.as_integer();
      if (!i) fail_value(node, ctx, key, type);
      if (!within(static_cast<double>(i->get()), spec, min_open, max_open)) fail_value(node, ctx, key, range);
      return Value(i->get());
    }
    case ValueKind::number: {
      auto x = as_number(node);
      if (!x) fail_value(node, ctx, key, type);
      if (!std::isfinite(*x)) fail_value(node, ctx, key, "a finite number");
      if (!within(*x, spec, min_open, max_open)) fail_value(node, ctx, key, range);
      return Value(*x);
    }
    case ValueKind::string: {
      auto s = node.as_string();
      if (!s) fail_value(node, ctx, key, type);
      const std::string& text = s->get();
      if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        fail_value(node, ctx, key, range, did_you_mean(text, spec.choices));
      }
      return Value(text);
    }
    case ValueKind::int_list:
    case ValueKind::number_list: {
      auto a = node.as_array();
      if (!a) fail_value(node, ctx, key, type);
      std::vector<std::int64_t> ints;
      std::vector<double> numbers;
      for (const toml::node& e : *a) {
        if (spec.kind == ValueKind::int_list) {
          auto i = e.as_integer();
          if (!i) fail_value(node, ctx, key, type);
          ints.push_back(i->get());
          numbers.push_back(static_cast<double>(i->get()));
        } else {
          auto x = as_number(e);
          if (!x) fail_value(node, ctx, key, type);
          numbers.push_back(*x);
        }
        if (!within(numbers.back(), spec, min_open, max_open)) fail_value(node, ctx, key, range);
      }
      if (spec.kind == ValueKind::int_list) return Value(std::move(ints));
      return Value(std::move(numbers));
    }
  }
  fail(ErrorKind::internal, "internal error: unknown ValueKind for {}", key);
}

}  // namespace gradnet::config_reader
