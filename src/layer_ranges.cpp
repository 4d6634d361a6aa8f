#include "gradnet/layer_ranges.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace gradnet {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = s.find(sep, start);
    parts.push_back(trim(s.substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// A non-negative decimal without sign or spaces, at most 9 digits.
bool read_index(const std::string& s, Index& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  out = std::stoll(s);
  return true;
}

// One "layers.N" or "layers.N-M"; "" when fine.
std::string read_range(const std::string& item, LayerRange& r) {
  const std::string example = "expected layers.N or layers.N-M, e.g. \"layers.0-3, layers.5\"";
  if (item.rfind("layers.", 0) != 0) return fmt::format("'{}': {}", clip(item), example);
  const std::string rest = item.substr(7);
  const auto dash = rest.find('-');
  const std::string a = rest.substr(0, dash), b = dash == std::string::npos ? a : rest.substr(dash + 1);
  if (!read_index(a, r.first) || !read_index(b, r.last)) return fmt::format("'{}': {}", clip(item), example);
  if (r.last < r.first) return fmt::format("'{}': the range runs backwards ({} > {})", clip(item), r.first, r.last);
  return "";
}

}  // namespace

std::string layer_ranges_problem(const std::string& spec) {
  if (trim(spec).empty()) return "";
  for (const std::string& item : split(spec, ',')) {
    LayerRange r;
    if (std::string p = read_range(item, r); !p.empty()) return p;
  }
  return "";
}

std::vector<LayerRange> parse_layer_ranges(const std::string& spec, const std::string& key) {
  std::vector<LayerRange> out;
  if (trim(spec).empty()) return out;
  for (const std::string& item : split(spec, ',')) {
    LayerRange r;
    const std::string p = read_range(item, r);
    GRADNET_CHECK(p.empty(), config, "{} = \"{}\": {}", key, clip(spec), p);
    out.push_back(r);
  }
  return out;
}

std::vector<bool> select_layers(const std::string& spec, Index layers, const std::string& key) {
  std::vector<bool> chosen(static_cast<std::size_t>(layers), false);
  for (const LayerRange& r : parse_layer_ranges(spec, key)) {
    GRADNET_CHECK(r.last < layers, config, "{} = \"{}\": layers.{} does not exist; the net has {} layers (layers.0-{})",
                  key, clip(spec), r.last, layers, layers - 1);
    for (Index i = r.first; i <= r.last; ++i) chosen[static_cast<std::size_t>(i)] = true;
  }
  return chosen;
}

std::string unfreeze_problem(const std::string& schedule) {
  if (trim(schedule).empty()) return "";
  std::int64_t previous = 0;
  for (const std::string& entry : split(schedule, ';')) {
    const auto colon = entry.find(':');
    Index epoch = 0;
    if (colon == std::string::npos || !read_index(trim(entry.substr(0, colon)), epoch) || epoch < 1)
      return fmt::format("'{}': expected EPOCH: LAYERS with EPOCH >= 1, e.g. \"3: layers.2-3; 5: layers.0-1\"",
                         clip(entry));
    if (epoch <= previous) return fmt::format("'{}': the epochs must increase from one entry to the next", clip(entry));
    previous = epoch;
    const std::string layers = trim(entry.substr(colon + 1));
    if (layers.empty()) return fmt::format("'{}': no layers after the epoch", clip(entry));
    if (std::string p = layer_ranges_problem(layers); !p.empty()) return p;
  }
  return "";
}

std::vector<UnfreezeStep> parse_unfreeze(const std::string& schedule, const std::string& key) {
  const std::string p = unfreeze_problem(schedule);
  GRADNET_CHECK(p.empty(), config, "{} = \"{}\": {}", key, clip(schedule), p);
  std::vector<UnfreezeStep> out;
  if (trim(schedule).empty()) return out;
  for (const std::string& entry : split(schedule, ';')) {
    const auto colon = entry.find(':');
    out.push_back({std::stoll(trim(entry.substr(0, colon))), trim(entry.substr(colon + 1))});
  }
  return out;
}

Index layer_of_tensor(const std::string& name) {
  if (name.rfind("layers.", 0) != 0) return -1;
  const auto dot = name.find('.', 7);
  Index i = -1;
  if (!read_index(name.substr(7, dot == std::string::npos ? std::string::npos : dot - 7), i)) return -1;
  return i;
}

}  // namespace gradnet
