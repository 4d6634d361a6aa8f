// make_optimizer and load_state. The per-type config rules (type defaults, options a type ignores)
// are the config's (src/config/rules.cpp).
#include "gradnet/optim/optimizer.h"

#include <fmt/format.h>

#include "common.h"
#include "gradnet/error.h"

namespace gradnet {

std::vector<std::string> optimizer_types() { return enum_words<OptimizerType>(); }

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
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  using namespace optim_detail;
  switch (o.type) {
    case OptimizerType::sgd: return make_sgd<T>(o, std::move(params));
    case OptimizerType::adagrad: return make_adagrad<T>(o, std::move(params));
    case OptimizerType::rmsprop: return make_rmsprop<T>(o, std::move(params));
    case OptimizerType::adam:
    case OptimizerType::adamw: return make_adam<T>(o, std::move(params));
    case OptimizerType::adadelta: return make_adadelta<T>(o, std::move(params));
    case OptimizerType::lbfgs: return make_lbfgs<T>(o, std::move(params));
  }
  GRADNET_ASSERT(false);
  return nullptr;
}

template class Optimizer<float>;
template class Optimizer<double>;
template std::unique_ptr<Optimizer<float>> make_optimizer(const OptimizerOptions&, std::vector<Param<float>*>);
template std::unique_ptr<Optimizer<double>> make_optimizer(const OptimizerOptions&, std::vector<Param<double>*>);

}  // namespace gradnet
