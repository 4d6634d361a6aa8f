// make_optimizer, load_state, and the per-type config rules (type defaults, ignored options).
#include "gradnet/optim/optimizer.h"

#include <fmt/format.h>

#include "common.h"
#include "gradnet/error.h"

namespace gradnet {

const std::vector<std::string>& optimizer_types() {
  static const std::vector<std::string> types = {"sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta", "lbfgs"};
  return types;
}

void optimizer_type_defaults(OptimizerConfig& c) {
  const OptimizerConfig d;
  c.lr = c.type == "adadelta" || c.type == "lbfgs" ? 1.0 : d.lr;
  c.eps = c.type == "adagrad" ? 1e-10 : c.type == "adadelta" ? 1e-6 : d.eps;
  c.weight_decay = c.type == "adamw" ? 1e-2 : d.weight_decay;
}

namespace {

// Which types read each type-specific option (lr and the rest are read by every type).
struct OptionUse {
  const char* key;
  std::vector<std::string> types;
  bool (*is_default)(const OptimizerConfig& c, const OptimizerConfig& d);
};

const std::vector<OptionUse>& option_uses() {
  using C = const OptimizerConfig&;
  static const std::vector<OptionUse> uses = {
      {"momentum", {"sgd", "rmsprop"}, [](C c, C d) { return c.momentum == d.momentum; }},
      {"dampening", {"sgd"}, [](C c, C d) { return c.dampening == d.dampening; }},
      {"nesterov", {"sgd"}, [](C c, C d) { return c.nesterov == d.nesterov; }},
      {"weight_decay", {"sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"},
       [](C c, C d) { return c.weight_decay == d.weight_decay; }},
      {"betas", {"adam", "adamw"}, [](C c, C d) { return c.betas == d.betas; }},
      {"eps", {"adagrad", "rmsprop", "adam", "adamw", "adadelta"}, [](C c, C d) { return c.eps == d.eps; }},
      {"amsgrad", {"adam", "adamw"}, [](C c, C d) { return c.amsgrad == d.amsgrad; }},
      {"bias_correction", {"adam", "adamw"}, [](C c, C d) { return c.bias_correction == d.bias_correction; }},
      {"alpha", {"rmsprop"}, [](C c, C d) { return c.alpha == d.alpha; }},
      {"centered", {"rmsprop"}, [](C c, C d) { return c.centered == d.centered; }},
      {"rho", {"adadelta"}, [](C c, C d) { return c.rho == d.rho; }},
      {"lr_decay", {"adagrad"}, [](C c, C d) { return c.lr_decay == d.lr_decay; }},
      {"initial_accumulator_value", {"adagrad"},
       [](C c, C d) { return c.initial_accumulator_value == d.initial_accumulator_value; }},
      {"history_size", {"lbfgs"}, [](C c, C d) { return c.history_size == d.history_size; }},
      {"max_iter", {"lbfgs"}, [](C c, C d) { return c.max_iter == d.max_iter; }},
      {"max_eval", {"lbfgs"}, [](C c, C d) { return c.max_eval == d.max_eval; }},
      {"tolerance_grad", {"lbfgs"}, [](C c, C d) { return c.tolerance_grad == d.tolerance_grad; }},
      {"tolerance_change", {"lbfgs"}, [](C c, C d) { return c.tolerance_change == d.tolerance_change; }},
      {"line_search", {"lbfgs"}, [](C c, C d) { return c.line_search == d.line_search; }},
      {"clip_norm", {"sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"},
       [](C c, C d) { return c.clip_norm == d.clip_norm; }},
      {"clip_value", {"sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"},
       [](C c, C d) { return c.clip_value == d.clip_value; }},
      {"no_decay_bias", {"sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"},
       [](C c, C d) { return c.no_decay_bias == d.no_decay_bias; }},
  };
  return uses;
}

}  // namespace

std::pair<std::string, std::string> optimizer_ignored_option(const OptimizerConfig& c) {
  OptimizerConfig d;
  d.type = c.type;
  optimizer_type_defaults(d);
  for (const OptionUse& use : option_uses()) {
    if (std::find(use.types.begin(), use.types.end(), c.type) != use.types.end() || use.is_default(c, d)) continue;
    const std::string key = std::string("optimizer.") + use.key;
    const bool everyone_but = use.types.size() == optimizer_types().size() - 1;
    return {key, fmt::format("{} is {} option; optimizer.type is \"{}\"", key,
                             everyone_but ? "not an " + c.type : fmt::format("an {}", fmt::join(use.types, "/")),
                             c.type)};
  }
  return {};
}

template <typename T>
void Optimizer<T>::load_state(const std::map<std::string, Tensor<T>>& saved) {
  const auto current = state();
  for (const auto& [name, tensor] : current) {
    auto it = saved.find(name);
    GRADNET_CHECK(it != saved.end(), checkpoint, "optimizer state ({}): missing tensor '{}'", type(), name);
    GRADNET_CHECK(it->second.shape() == tensor->shape(), checkpoint,
                  "optimizer state ({}): '{}' has shape {}, expected {}", type(), name, shape_str(it->second.shape()),
                  shape_str(tensor->shape()));
  }
  for (const auto& [name, tensor] : saved) {
    const bool known = std::any_of(current.begin(), current.end(), [&](const auto& e) { return e.first == name; });
    GRADNET_CHECK(known, checkpoint, "optimizer state ({}): unexpected tensor '{}' (saved by another optimizer "
                  "or other options?)", type(), name);
  }
  for (const auto& [name, tensor] : current) *tensor = saved.at(name);
  state_loaded();
}

template <typename T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& c, std::vector<Param<T>*> params) {
  using namespace optim_detail;
  if (c.type == "sgd") return make_sgd<T>(c, std::move(params));
  if (c.type == "adagrad") return make_adagrad<T>(c, std::move(params));
  if (c.type == "rmsprop") return make_rmsprop<T>(c, std::move(params));
  if (c.type == "adam" || c.type == "adamw") return make_adam<T>(c, std::move(params));
  if (c.type == "adadelta") return make_adadelta<T>(c, std::move(params));
  if (c.type == "lbfgs") return make_lbfgs<T>(c, std::move(params));
  const auto hint = closest_match(c.type, optimizer_types());
  fail(ErrorKind::config, "optimizer.type = \"{}\": unknown optimizer{}; known: {}", c.type,
       hint ? " (did you mean '" + *hint + "'?)" : std::string(), fmt::join(optimizer_types(), ", "));
}

template class Optimizer<float>;
template class Optimizer<double>;
template std::unique_ptr<Optimizer<float>> make_optimizer(const OptimizerConfig&, std::vector<Param<float>*>);
template std::unique_ptr<Optimizer<double>> make_optimizer(const OptimizerConfig&, std::vector<Param<double>*>);

}  // namespace gradnet
