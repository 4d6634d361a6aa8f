// Adagrad: torch.optim.Adagrad.
//   g = grad + decay·w;  clr = rate / (1 + (step - 1)·lr_decay)
//   sum += g²;  w -= clr · g / (sqrt(sum) + eps)        (sum starts at initial_accumulator_value)
#include "common.h"

namespace gradnet::optim_detail {
namespace {

template <typename T>
class AdagradOptimizer final : public ParamOptimizer<T> {
 public:
  AdagradOptimizer(const AdagradOptions& o, const UpdateOptions& u, std::vector<Param<T>*> params)
      : ParamOptimizer<T>(u, std::move(params)), o_(o) {
    this->add_buffer("sum", sum_, static_cast<T>(o.initial_accumulator_value));
  }
  std::string_view type() const override { return "adagrad"; }

 protected:
  void update(std::size_t k, Param<T>& p, double rate, double decay_d, ParamSlice at) override {
    const T clr = static_cast<T>(rate / (1.0 + static_cast<double>(this->steps_ - 1) * o_.lr_decay));
    const kernels::AdagradStep<T> s{clr, static_cast<T>(decay_d), static_cast<T>(o_.eps)};
    kernels::adagrad_update(s, p.value.data() + at.at, p.grad.data() + at.at, sum_[k].data() + at.at, at.n);
  }

 private:
  AdagradOptions o_;
  std::vector<Tensor<T>> sum_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_adagrad(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  return std::make_unique<AdagradOptimizer<T>>(o.adagrad(), o.update, std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_adagrad);

}  // namespace gradnet::optim_detail
