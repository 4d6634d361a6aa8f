// --set KEY=VALUE: KEY is a dotted schema key (optimizer.lr, name, model.input) or a layer key
// (model.layers.0.out, also model.layers[0].out); VALUE is read as a TOML value, else taken as a
// bare string (data.dataset=fashion-mnist). Applied to the tree, so validation is the same.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "schema.h"
#include "toml_reader.h"

namespace gradnet::config_reader {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split_key(std::string key) {
  std::replace(key.begin(), key.end(), '[', '.');
  key.erase(std::remove(key.begin(), key.end(), ']'), key.end());
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The value as TOML (x = VALUE), or the raw text as a string when that fails or a string is wanted.
toml::table parse_value(const std::string& raw, bool want_string) {
  std::optional<toml::table> parsed;
  try {
    check_toml_depth(raw, "--set");  // too deep for toml++: taken as the raw text, like any non-TOML value
    parsed = toml::parse(std::string_view("x = " + raw), std::string_view("--set"));
  } catch (const toml::parse_error&) {
  } catch (const Error&) {
  }
  const toml::node* x = parsed && parsed->size() == 1 ? parsed->get("x") : nullptr;
  if (!x || (want_string && !x->is_string())) {
    toml::table t;
    t.insert("x", raw);
    return t;
  }
  return std::move(*parsed);
}

toml::table& child_table(toml::table& parent, const std::string& name, const std::string& where) {
  if (!parent.get(name)) parent.insert(name, toml::table{});
  toml::table* t = parent.get(name)->as_table();
  if (!t) fail(ErrorKind::config, "{}: '{}' in the config is not a table", where, name);
  return *t;
}

struct Target {
  toml::table* table = nullptr;  // where the value goes
  std::string name;              // its key there
  std::string canonical;         // the key as messages spell it: model.layers[0].out
  bool want_string = false;
};

Target layer_target(toml::table& root, const std::vector<std::string>& parts, const std::string& where) {
  toml::table& model = child_table(root, "model", where);
  const toml::array* layers = model.get("layers") ? model.get("layers")->as_array() : nullptr;
  const std::size_t n = layers ? layers->size() : 0;
  const std::size_t i = std::stoul(parts[2]);
  if (i >= n)
    fail(ErrorKind::config, "{}: model.layers[{}] does not exist (the config has {} layers{})", where, i, n,
         n ? fmt::format(", 0 to {}", n - 1) : "");
  toml::table* entry = model.get("layers")->as_array()->get(i)->as_table();
  if (!entry) fail(ErrorKind::config, "{}: model.layers[{}] is not an inline table", where, i);
  Target t{entry, parts[3], fmt::format("model.layers[{}].{}", i, parts[3]), parts[3] == "type"};
  const auto* type = entry->get_as<std::string>("type");
  const LayerInfo* info = type ? find_layer_info(type->get()) : nullptr;
  if (!info || t.name == "type") return t;  // an unknown type is reported by validation
  std::vector<std::string> names, short_names;
  for (const KeySpec& k : info->keys) {
    short_names.push_back(k.name);
    names.push_back(fmt::format("model.layers.{}.{}", i, k.name));
    if (k.name == t.name) {
      t.want_string = k.kind == ValueKind::string;
      return t;
    }
  }
  const std::string key = fmt::format("model.layers.{}.{}", i, t.name);
  fail(ErrorKind::config, "{}: unknown key '{}'{}; {} takes: {}", where, key, did_you_mean(key, names), info->type,
       fmt::join(short_names, ", "));
}

// A path in the file is relative to the file's folder, but one typed on the command line is
// relative to where it was typed: --set data.dir=data/x is made absolute against the current
// directory here, so that the config's folder is never put in front of it.
void absolute_path_key(const std::string& canonical, toml::table& value) {
  if (canonical != "data.dir" && canonical != "data.path" && canonical != "data.test_path" &&
      canonical != "train.init_from")
    return;
  const auto* path = value.get_as<std::string>("x");
  if (!path || path->get().empty() || std::filesystem::path(path->get()).is_absolute()) return;
  value.insert_or_assign("x", std::filesystem::absolute(path->get()).lexically_normal().string());
}

void apply_one(toml::table& root, const std::string& text, Context& ctx) {
  const std::string where = "--set " + clip(text, 120);
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    fail(ErrorKind::config, "{}: expected KEY=VALUE, e.g. --set optimizer.lr=0.05", where);
  const std::string key = trim(text.substr(0, eq));
  const std::string raw = trim(text.substr(eq + 1));
  GRADNET_CHECK(key.size() <= 200, config, "{}: unknown key '{}' (no key is that long)", where, clip(key));
  const std::vector<std::string> parts = split_key(key);

  Target target;
  if (parts.size() == 4 && parts[0] == "model" && parts[1] == "layers" && is_index(parts[2])) {
    target = layer_target(root, parts, where);
  } else {
    const config_schema::ConfigKey* k = nullptr;
    if (parts.size() == 1) k = config_schema::find_key("", parts[0]);
    if (parts.size() == 2) k = config_schema::find_key(parts[0], parts[1]);
    if (!k) {
      fail(ErrorKind::config, "{}: unknown key '{}'{}", where, key, did_you_mean(key, config_schema::dotted_names()));
    }
    target.table = k->section.empty() ? &root : &child_table(root, k->section, where);
    target.name = k->spec.name;
    target.canonical = k->dotted();
    target.want_string = !k->is_layers && k->spec.kind == ValueKind::string;
  }
  toml::table value = parse_value(raw, target.want_string);
  absolute_path_key(target.canonical, value);
  value.get("x")->visit([&](const auto& v) { target.table->insert_or_assign(target.name, v); });
  ctx.overrides[target.canonical] = where;
}

}  // namespace

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides, Context& ctx) {
  for (const std::string& text : overrides) apply_one(root, text, ctx);
}

}  // namespace gradnet::config_reader
