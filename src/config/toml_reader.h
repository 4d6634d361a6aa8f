// Reading a parsed TOML tree (toml++, private to src/config) into checked Values, LayerSpecs and
// --set overrides. Every failure is Error{config} naming where (the file, or the --set that
// supplied the value), the dotted key, the value and what was expected.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "gradnet/value.h"

namespace gradnet::config_reader {

struct Context {
  std::string source;                            // the config file's name, as given
  std::map<std::string, std::string> overrides;  // "model.layers[0].out" -> "--set model.layers.0.out=32"

  // The --set that supplied key (or one of its parents), else the file.
  std::string where(const std::string& key) const;
};

// closest_match (value.h), plus one adjacent swap ("rleu" -> "relu", "mnsit" -> "mnist") that its
// plain edit distance counts as two edits.
std::optional<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// The value as TOML would spell it, for messages: "fast" stays quoted, [1, 2], { type = "relu" }.
std::string node_to_string(const toml::node& node);

// node as spec.kind (an integer is accepted where a number is expected, never the reverse),
// within spec's bounds (for lists: every element) and choices. key is the dotted name.
Value read_value(const toml::node& node, const KeySpec& spec, const Context& ctx, const std::string& key,
                 bool min_open = false, bool max_open = false);

// model.layers: an array of inline tables, each { type = "...", <that type's keys> }, with defaults
// filled and init_nonlinearity = "auto" resolved from the next layer.
std::vector<LayerSpec> read_layers(const toml::node& node, const Context& ctx);

// Beyond these a TOML text is refused before toml++ parses it (Error{config} naming the source and
// line): toml++ 3.3 recurses once per dotted key part, without a limit.
constexpr std::size_t kMaxTomlKeyParts = 64;
constexpr std::size_t kMaxTomlNesting = 64;
void check_toml_depth(std::string_view text, const std::string& source);

// Applies "KEY=VALUE" overrides to the tree (before validation, so the same checks run) and
// records in ctx which keys they set.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides, Context& ctx);

}  // namespace gradnet::config_reader
