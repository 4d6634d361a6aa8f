// load_config / parse_config / to_toml: TOML text -> validated Config (every key checked against
// the schema, defaults filled, --set applied first) and back.
#include "gradnet/config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "schema.h"
#include "toml_reader.h"

namespace gradnet {
namespace {

using config_reader::Context;
using config_reader::node_to_string;
using config_schema::ConfigKey;

// Every key and section in the tree must be one the schema knows.
void check_known(const toml::table& root, const Context& ctx) {
  const auto& sections = config_schema::sections();
  for (const auto& [k, node] : root) {
    const std::string name(k.str());
    if (std::find(sections.begin(), sections.end(), name) != sections.end()) {
      const toml::table* table = node.as_table();
      if (!table)
        fail(ErrorKind::config, "{}: {} = {}: expected a table ([{}])", ctx.where(name), name, node_to_string(node),
             name);
      for (const auto& [k2, node2] : *table) {
        const std::string key(k2.str());
        if (config_schema::find_key(name, key)) continue;
        fail(ErrorKind::config, "{}: unknown key '{}.{}'{}", ctx.where(name + "." + key), name, key,
             config_reader::did_you_mean(key, config_schema::key_names(name)));
      }
      continue;
    }
    if (config_schema::find_key("", name)) continue;
    std::vector<std::string> candidates = sections;
    for (const std::string& top : config_schema::key_names("")) candidates.push_back(top);
    const auto hint = config_reader::did_you_mean(name, candidates);
    if (node.is_table()) fail(ErrorKind::config, "{}: unknown section [{}]{}", ctx.source, name, hint);
    fail(ErrorKind::config, "{}: unknown key '{}'{}", ctx.source, name, hint);
  }
}

// Where a broken rule is blamed: the key's own place (the file or its --set) when it was given.
// One left at its default is wrong only because of the section's choice (a one_cycle schedule
// needs max_lr): that choice's place is blamed, so `--set schedule.policy=one_cycle` on a file
// that never mentions one_cycle names the --set, not the file.
std::string blame(const toml::table& root, const Context& ctx, const std::string& key) {
  const auto dot = key.find('.');
  const toml::table* section = dot == std::string::npos ? &root : root.get_as<toml::table>(key.substr(0, dot));
  const bool given = section && section->get(dot == std::string::npos ? key : key.substr(dot + 1));
  if (given) return ctx.where(key);
  for (const std::string choice : {"schedule.policy", "optimizer.type"})
    if (dot != std::string::npos && choice.compare(0, dot + 1, key, 0, dot + 1) == 0) return ctx.where(choice);
  return ctx.where(key);
}

// Rules that involve more than one key (rules.cpp), reported at the key to blame.
void check_across(const Config& c, const toml::table& root, const Context& ctx) {
  if (const auto [key, message] = config_problem(c); !key.empty())
    fail(ErrorKind::config, "{}: {}", blame(root, ctx, key), message);
}

// Reads one key into config, or (a staged [optimizer] key) into `staged`.
void read_key(const ConfigKey& key, const toml::table& root, const Context& ctx, Config& config,
              std::vector<std::pair<const ConfigKey*, Value>>& staged) {
  const toml::table* section = key.section.empty() ? &root : root.get_as<toml::table>(key.section);
  const toml::node* node = section ? section->get(key.spec.name) : nullptr;
  const std::string dotted = key.dotted();
  if (!node) {
    if (key.is_layers)
      fail(ErrorKind::config, "{}: missing key 'model.layers' (at least one layer, e.g. [{{ type = \"linear\", "
           "out = 10 }}])", ctx.source);
    if (!key.spec.default_value)
      fail(ErrorKind::config, "{}: missing key '{}' ({})", ctx.source, dotted,
           config_schema::expected_text(key.spec, key.min_open, key.max_open));
    return;  // config already holds the default
  }
  if (key.is_layers) {
    config.model.layers = config_reader::read_layers(*node, ctx);
    return;
  }
  const Value value = config_reader::read_value(*node, key.spec, ctx, dotted, key.min_open, key.max_open);
  if (key.check) {
    const std::string expected = key.check(value);
    if (!expected.empty())
      fail(ErrorKind::config, "{}: {} = {}: expected {}", ctx.where(dotted), dotted, node_to_string(*node), expected);
  }
  if (key.stage) staged.emplace_back(&key, value);
  else key.set(config, value);
}

std::string layer_line(const LayerSpec& spec) {
  std::vector<std::string> parts = {fmt::format("type = {}", value_to_string(Value(spec.type)))};
  std::vector<std::string> written;
  if (const LayerInfo* info = find_layer_info(spec.type)) {
    for (const KeySpec& k : info->keys) {
      auto it = spec.attrs.find(k.name);
      if (it == spec.attrs.end()) continue;
      parts.push_back(fmt::format("{} = {}", k.name, value_to_string(it->second)));
      written.push_back(k.name);
    }
  }
  for (const auto& [name, value] : spec.attrs)
    if (std::find(written.begin(), written.end(), name) == written.end())
      parts.push_back(fmt::format("{} = {}", name, value_to_string(value)));
  return fmt::format("  {{ {} }},\n", fmt::join(parts, ", "));
}

}  // namespace

Config parse_config(const std::string& toml_text, const std::string& source,
                    const std::vector<std::string>& overrides) {
  Context ctx{source, {}};
  toml::table root;
  config_reader::check_toml_depth(toml_text, source);
  try {
    root = toml::parse(std::string_view(toml_text), std::string_view(source));
  } catch (const toml::parse_error& e) {
    fail(ErrorKind::config, "{}: line {}, column {}: {}", source, e.source().begin.line, e.source().begin.column,
         e.description());
  }
  config_reader::apply_overrides(root, overrides, ctx);
  check_known(root, ctx);
  Config config;
  config.source = source;
  std::vector<std::pair<const ConfigKey*, Value>> staged;  // [optimizer]: resolved together, in any order
  for (const ConfigKey& key : config_schema::keys()) read_key(key, root, ctx, config, staged);
  std::pair<std::string, std::string> problem;
  config.optimizer = config_schema::build_optimizer(staged, problem);
  if (!problem.first.empty()) fail(ErrorKind::config, "{}: {}", blame(root, ctx, problem.first), problem.second);
  check_across(config, root, ctx);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(ErrorKind::config, "cannot read {}: it is a directory", path);
  // A FIFO would block forever and /dev/zero never end: a config is a regular file, and a small one.
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
    fail(ErrorKind::config, "cannot read {}: not a regular file", path);
  constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t(16) << 20;
  if (const auto size = fs::file_size(path, ec); !ec && size > kMaxConfigBytes)
    fail(ErrorKind::config, "cannot read {}: {} bytes, more than a config can be ({} MiB)", path, size,
         kMaxConfigBytes >> 20);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::config, "cannot read {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ErrorKind::config, "cannot read {}: {}", path, std::strerror(errno));
  return parse_config(text.str(), path, overrides);
}

std::string to_toml(const Config& config) {
  std::string out;
  std::string section = "";
  for (const ConfigKey& key : config_schema::keys()) {
    if (key.section != section) {
      section = key.section;
      out += fmt::format("\n[{}]\n", section);
    }
    if (key.is_layers) {
      out += "layers = [\n";
      for (const LayerSpec& spec : config.model.layers) out += layer_line(spec);
      out += "]\n";
      continue;
    }
    out += fmt::format("{} = {}\n", key.spec.name, value_to_string(key.get(config)));
  }
  return out;
}

std::vector<std::string> changed_keys(const Config& config) {
  const Config plain;
  Config defaults;
  defaults.optimizer = default_optimizer(config.optimizer.type());  // adam's betas are adam's defaults
  std::vector<std::string> out;
  for (const ConfigKey& key : config_schema::keys()) {
    if (key.is_layers || key.dotted() == "model.input") continue;  // the net is summarised layer by layer instead
    const Config& base = key.dotted() == "optimizer.type" ? plain : defaults;
    const std::string value = value_to_string(key.get(config));
    if (value != value_to_string(key.get(base))) out.push_back(fmt::format("{} = {}", key.dotted(), value));
  }
  return out;
}

}  // namespace gradnet
