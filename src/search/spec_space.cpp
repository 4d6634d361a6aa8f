// [search.space]: one dim per --set key, `{ <distribution> = ..., steps = N }`.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "../config/toml_reader.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "sampler.h"
#include "spec_reader.h"

namespace gradnet::search {
namespace {

const std::vector<std::string> distributions = {"log_uniform", "uniform", "int", "int_log", "choice", "grid"};

bool is_numeric(const std::string& distribution) { return distribution != "choice" && distribution != "grid"; }
bool is_integer(const std::string& distribution) { return distribution == "int" || distribution == "int_log"; }

void read_range(SpaceDim& dim, const toml::node& node, const TableReader& r) {
  const toml::array* a = node.as_array();
  const std::string& d = dim.distribution;
  if (!a || a->size() != 2 || !(*a)[0].is_number() || !(*a)[1].is_number())
    r.fail_at(dim.key, fmt::format("{} = {}: expected [low, high], two numbers", d, clip(config_reader::node_to_string(node))));
  double v[2];
  for (int i = 0; i < 2; ++i) {
    const toml::node& e = (*a)[static_cast<std::size_t>(i)];
    if (is_integer(d) && !e.is_integer())
      r.fail_at(dim.key, fmt::format("{} takes integers, got {}", d, clip(config_reader::node_to_string(e))));
    v[i] = e.is_integer() ? static_cast<double>(e.as_integer()->get()) : e.as_floating_point()->get();
    if (!std::isfinite(v[i])) r.fail_at(dim.key, fmt::format("{}: the range must be finite", d));
  }
  if (!(v[0] < v[1])) r.fail_at(dim.key, fmt::format("{} = [{}, {}]: low must be below high", d, v[0], v[1]));
  if (dim.log_scale() && v[0] <= 0)
    r.fail_at(dim.key, fmt::format("{} = [{}, {}]: a log range must be above 0", d, v[0], v[1]));
  dim.low = v[0];
  dim.high = v[1];
}

void read_list(SpaceDim& dim, const toml::node& node, const TableReader& r) {
  const toml::array* a = node.as_array();
  if (!a) r.fail_at(dim.key, fmt::format("{}: expected a list of values", dim.distribution));
  if (a->empty()) r.fail_at(dim.key, fmt::format("{} = []: give at least one value", dim.distribution));
  for (const auto& e : *a) {
    if (e.is_table() || e.is_array())
      r.fail_at(dim.key, fmt::format("{}: values must be numbers, strings or booleans, got {}", dim.distribution,
                                     clip(config_reader::node_to_string(e))));
    dim.choices.push_back(literal_of(e));
  }
}

SpaceDim read_dim(const std::string& key, const toml::node& node, const TableReader& space) {
  const toml::table* t = node.as_table();
  if (!t) space.fail_at(key, "expected a table such as { log_uniform = [1e-3, 1.0] }");
  SpaceDim dim;
  dim.key = key;
  std::int64_t steps = 0;
  for (const auto& [k, v] : *t) {
    const std::string name(k.str());
    if (name == "steps") {
      if (!v.is_integer() || v.as_integer()->get() < 2 || v.as_integer()->get() > 10000)
        space.fail_at(key, "steps must be an integer from 2 to 10000");
      steps = v.as_integer()->get();
      continue;
    }
    if (std::find(distributions.begin(), distributions.end(), name) == distributions.end())
      space.fail_at(key, fmt::format("unknown distribution '{}'{} (one of {}, and steps)", clip(name),
                                     config_reader::did_you_mean(name, distributions), fmt::join(distributions, ", ")));
    if (!dim.distribution.empty())
      space.fail_at(key, fmt::format("two distributions ({} and {}): give one", dim.distribution, name));
    dim.distribution = name;
    if (is_numeric(name)) read_range(dim, v, space);
    else read_list(dim, v, space);
  }
  if (dim.distribution.empty())
    space.fail_at(key, fmt::format("no distribution: give one of {}", fmt::join(distributions, ", ")));
  if (steps > 0 && !is_numeric(dim.distribution))
    space.fail_at(key, fmt::format("steps applies to numeric ranges, not to {}", dim.distribution));
  if (steps > 0) dim.choices = step_points(dim, steps);
  return dim;
}

}  // namespace

std::vector<SpaceDim> read_space(const toml::table& space, const std::string& file) {
  TableReader r(space, file, "search.space");
  std::vector<SpaceDim> dims;
  for (const auto& [k, v] : space) dims.push_back(read_dim(std::string(k.str()), v, r));
  if (dims.empty()) fail(ErrorKind::config, "{}: search.space is empty: give at least one key to search", file);
  return dims;
}

void check_space_against_base(const SearchSpec& spec) {
  try {
    load_config(spec.base, spec.set);
  } catch (const Error& e) {
    fail(ErrorKind::config, "{}: set: the base config {} rejects it: {}", spec.path, spec.base, e.what());
  }
  for (const SpaceDim& dim : spec.space) {
    std::vector<std::string> values;
    if (is_numeric(dim.distribution) && dim.choices.empty()) {
      values = {value_literal(dim, dim.low), value_literal(dim, dim.high)};
    } else {
      values = dim.choices;
    }
    for (const std::string& value : values) {
      std::vector<std::string> overrides = spec.set;
      overrides.push_back(dim.key + "=" + value);
      try {
        load_config(spec.base, overrides);
      } catch (const Error& e) {
        fail(ErrorKind::config, "{}: search.space.\"{}\": the base config {} rejects {}={}: {}", spec.path,
             clip(dim.key), spec.base, clip(dim.key), clip(value), e.what());
      }
    }
  }
}

}  // namespace gradnet::search
