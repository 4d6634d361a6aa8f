// [optimizer]: flat keys <-> the typed OptimizerConfig (optimizer_section.h).
#include "optimizer_section.h"

#include <algorithm>

#include <fmt/format.h>

#include "rules.h"
#include "schema.h"

namespace gradnet {

OptimizerConfig default_optimizer(OptimizerType type) {
  OptimizerConfig c;
  c.options = OptimizerOptions::of(type);
  c.lr = config_schema::flat_defaults(type).lr;
  return c;
}

namespace config_schema {
namespace {

using Problem = std::pair<std::string, std::string>;
using T = OptimizerType;
constexpr std::size_t kTypes = EnumNames<OptimizerType>::words.size();

// Which types read each type-specific option (lr and the rest are read by every type).
struct OptionUse {
  const char* key;
  std::vector<OptimizerType> types;
  bool (*is_default)(const FlatOptimizer& c, const FlatOptimizer& d);
};

const std::vector<OptionUse>& option_uses() {
  using C = const FlatOptimizer&;
  const std::vector<T> first_order = {T::sgd, T::adagrad, T::rmsprop, T::adam, T::adamw, T::adadelta};
  static const std::vector<OptionUse> uses = {
      {"momentum", {T::sgd, T::rmsprop}, [](C c, C d) { return c.momentum == d.momentum; }},
      {"dampening", {T::sgd}, [](C c, C d) { return c.dampening == d.dampening; }},
      {"nesterov", {T::sgd}, [](C c, C d) { return c.nesterov == d.nesterov; }},
      {"weight_decay", first_order, [](C c, C d) { return c.weight_decay == d.weight_decay; }},
      {"betas", {T::adam, T::adamw}, [](C c, C d) { return c.betas == d.betas; }},
      {"eps", {T::adagrad, T::rmsprop, T::adam, T::adamw, T::adadelta}, [](C c, C d) { return c.eps == d.eps; }},
      {"amsgrad", {T::adam, T::adamw}, [](C c, C d) { return c.amsgrad == d.amsgrad; }},
      {"bias_correction", {T::adam, T::adamw}, [](C c, C d) { return c.bias_correction == d.bias_correction; }},
      {"alpha", {T::rmsprop}, [](C c, C d) { return c.alpha == d.alpha; }},
      {"centered", {T::rmsprop}, [](C c, C d) { return c.centered == d.centered; }},
      {"rho", {T::adadelta}, [](C c, C d) { return c.rho == d.rho; }},
      {"lr_decay", {T::adagrad}, [](C c, C d) { return c.lr_decay == d.lr_decay; }},
      {"initial_accumulator_value", {T::adagrad},
       [](C c, C d) { return c.initial_accumulator_value == d.initial_accumulator_value; }},
      {"history_size", {T::lbfgs}, [](C c, C d) { return c.history_size == d.history_size; }},
      {"max_iter", {T::lbfgs}, [](C c, C d) { return c.max_iter == d.max_iter; }},
      {"max_eval", {T::lbfgs}, [](C c, C d) { return c.max_eval == d.max_eval; }},
      {"tolerance_grad", {T::lbfgs}, [](C c, C d) { return c.tolerance_grad == d.tolerance_grad; }},
      {"tolerance_change", {T::lbfgs}, [](C c, C d) { return c.tolerance_change == d.tolerance_change; }},
      {"line_search", {T::lbfgs}, [](C c, C d) { return c.line_search == d.line_search; }},
      {"clip_norm", first_order, [](C c, C d) { return c.clip_norm == d.clip_norm; }},
      {"clip_value", first_order, [](C c, C d) { return c.clip_value == d.clip_value; }},
      {"no_decay_bias", first_order, [](C c, C d) { return c.no_decay_bias == d.no_decay_bias; }},
  };
  return uses;
}

// The first option set away from its type's default that the type does not read.
Problem ignored_option(const FlatOptimizer& c) {
  const FlatOptimizer d = flat_defaults(c.type);
  for (const OptionUse& use : option_uses()) {
    if (std::find(use.types.begin(), use.types.end(), c.type) != use.types.end() || use.is_default(c, d)) continue;
    const std::string key = std::string("optimizer.") + use.key;
    std::vector<std::string_view> names;
    for (T t : use.types) names.push_back(name_of(t));
    const std::string who = use.types.size() == kTypes - 1 ? fmt::format("not an {}", c.type)
                                                            : fmt::format("an {}", fmt::join(names, "/"));
    return {key, fmt::format("{} is {} option; optimizer.type is \"{}\"", key, who, c.type)};
  }
  return {};
}

OptimizerRule rule_of(const FlatOptimizer& f) {
  switch (f.type) {
    case T::sgd: return SgdOptions{f.momentum, f.dampening, f.nesterov};
    case T::adagrad: return AdagradOptions{f.lr_decay, f.initial_accumulator_value, f.eps};
    case T::rmsprop: return RmspropOptions{f.alpha, f.eps, f.momentum, f.centered};
    case T::adam:
    case T::adamw: return AdamOptions{f.betas, f.eps, f.amsgrad, f.bias_correction};
    case T::adadelta: return AdadeltaOptions{f.rho, f.eps};
    case T::lbfgs:
      return LbfgsOptions{f.history_size, f.max_iter, f.max_eval, f.tolerance_grad, f.tolerance_change, f.line_search};
  }
  return SgdOptions{};
}

}  // namespace

FlatOptimizer flat_defaults(OptimizerType type) {
  FlatOptimizer d;
  d.type = type;
  d.lr = type == T::adadelta || type == T::lbfgs ? 1.0 : 0.01;
  d.eps = type == T::adagrad ? AdagradOptions{}.eps : type == T::adadelta ? AdadeltaOptions{}.eps : 1e-8;
  d.weight_decay = OptimizerOptions::of(type).update.weight_decay;
  return d;
}

FlatOptimizer flatten(const OptimizerConfig& c) {
  const OptimizerOptions& o = c.options;
  FlatOptimizer f = flat_defaults(o.type);
  f.lr = c.lr;
  f.lr_scaling = c.lr_scaling;
  if (o.type != T::lbfgs) {
    f.weight_decay = o.update.weight_decay;
    f.clip_norm = o.update.clip_norm;
    f.clip_value = o.update.clip_value;
    f.no_decay_bias = o.update.no_decay_bias;
  }
  std::visit(
      [&f](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, SgdOptions>) f.momentum = r.momentum, f.dampening = r.dampening, f.nesterov = r.nesterov;
        if constexpr (std::is_same_v<R, AdagradOptions>)
          f.lr_decay = r.lr_decay, f.initial_accumulator_value = r.initial_accumulator_value, f.eps = r.eps;
        if constexpr (std::is_same_v<R, RmspropOptions>)
          f.alpha = r.alpha, f.eps = r.eps, f.momentum = r.momentum, f.centered = r.centered;
        if constexpr (std::is_same_v<R, AdamOptions>)
          f.betas = r.betas, f.eps = r.eps, f.amsgrad = r.amsgrad, f.bias_correction = r.bias_correction;
        if constexpr (std::is_same_v<R, AdadeltaOptions>) f.rho = r.rho, f.eps = r.eps;
        if constexpr (std::is_same_v<R, LbfgsOptions>)
          f.history_size = r.history_size, f.max_iter = r.max_iter, f.max_eval = r.max_eval,
          f.tolerance_grad = r.tolerance_grad, f.tolerance_change = r.tolerance_change, f.line_search = r.line_search;
      },
      o.rule);
  return f;
}

OptimizerConfig build_optimizer(const std::vector<std::pair<const ConfigKey*, Value>>& given, Problem& problem) {
  OptimizerType type = T::sgd;
  for (const auto& [key, value] : given)
    if (key->spec.name == "type") type = *parse_enum<OptimizerType>(std::get<std::string>(value));
  FlatOptimizer f = flat_defaults(type);
  for (const auto& [key, value] : given) key->stage(f, value);
  OptimizerConfig c;
  c.lr = f.lr;
  c.lr_scaling = f.lr_scaling;
  c.options.type = f.type;
  c.options.update = {f.weight_decay, f.clip_norm, f.clip_value, f.no_decay_bias};
  c.options.rule = rule_of(f);
  problem = config_rules::optimizer_problem(c);  // nesterov's rule first, as the keys' rules
  if (problem.first.empty()) problem = ignored_option(f);
  return c;
}

}  // namespace config_schema
}  // namespace gradnet
