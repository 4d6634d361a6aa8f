#include "gradnet/value.h"

#include <algorithm>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace gradnet {

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::boolean: return "a boolean";
    case ValueKind::integer: return "an integer";
    case ValueKind::number: return "a number";
    case ValueKind::string: return "a string";
    case ValueKind::int_list: return "a list of integers";
    case ValueKind::number_list: return "a list of numbers";
  }
  return "a value";
}

static std::string number_str(double v) {
  std::string s = fmt::format("{}", v);  // shortest round-trip form
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep TOML's float type
  return s;
}

std::string value_to_string(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<V, std::int64_t>) return fmt::format("{}", v);
        else if constexpr (std::is_same_v<V, double>) return number_str(v);
        else if constexpr (std::is_same_v<V, std::string>) {
          std::string out = "\"";
          for (char c : v) {
            if (c == '"' || c == '\\') {
              out += '\\';
              out += c;
            } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
              out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            } else {
              out += c;
            }
          }
          return out + "\"";
        } else if constexpr (std::is_same_v<V, std::vector<std::int64_t>>) {
          return fmt::format("[{}]", fmt::join(v, ", "));
        } else {
          std::vector<std::string> parts;
          for (double d : v) parts.push_back(number_str(d));
          return fmt::format("[{}]", fmt::join(parts, ", "));
        }
      },
      value);
}

static const Value& attr(const LayerSpec& spec, const std::string& key) {
  auto it = spec.attrs.find(key);
  if (it == spec.attrs.end())
    fail(ErrorKind::internal, "internal error: layers.{} ({}) has no key '{}'", spec.index, spec.type, key);
  return it->second;
}

std::int64_t LayerSpec::get_int(const std::string& key) const {
  const Value& v = attr(*this, key);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  fail(ErrorKind::internal, "internal error: layers.{}.{} is not an integer", index, key);
}

double LayerSpec::get_number(const std::string& key) const {
  const Value& v = attr(*this, key);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  fail(ErrorKind::internal, "internal error: layers.{}.{} is not a number", index, key);
}

bool LayerSpec::get_bool(const std::string& key) const {
  const Value& v = attr(*this, key);
  if (auto p = std::get_if<bool>(&v)) return *p;
  fail(ErrorKind::internal, "internal error: layers.{}.{} is not a boolean", index, key);
}

const std::string& LayerSpec::get_string(const std::string& key) const {
  const Value& v = attr(*this, key);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  fail(ErrorKind::internal, "internal error: layers.{}.{} is not a string", index, key);
}

std::vector<std::int64_t> LayerSpec::get_ints(const std::string& key) const {
  const Value& v = attr(*this, key);
  if (auto p = std::get_if<std::vector<std::int64_t>>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return {*p};
  fail(ErrorKind::internal, "internal error: layers.{}.{} is not a list of integers", index, key);
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters ("rleu" -> "relu") each count as one edit.
static std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = 0;
  for (const auto& c : candidates) {
    // The distance is at least the difference in length, and more than 3 is never a typo: a 1 MB
    // value is not compared letter by letter with every candidate.
    if (std::max(word.size(), c.size()) - std::min(word.size(), c.size()) > 3) continue;
    const std::size_t d = edit_distance(word, c);
    if (!best || d < best_d) {
      best = c;
      best_d = d;
    }
  }
  // Close enough to be a typo: at most a third of the word wrong (and never more than 3 edits).
  const std::size_t limit = std::min<std::size_t>(3, std::max<std::size_t>(1, word.size() / 3));
  if (best && best_d <= limit) return best;
  return std::nullopt;
}

}  // namespace gradnet
