// Adadelta: torch.optim.Adadelta (lr defaults to 1).
//   g = grad + decay·w;  sq = rho·sq + (1 - rho)·g²
//   delta = sqrt(acc + eps) / sqrt(sq + eps) · g;  acc = rho·acc + (1 - rho)·delta²;  w -= rate·delta
#include "common.h"

namespace gradnet::optim_detail {
namespace {

template <typename T>
class AdadeltaOptimizer final : public ParamOptimizer<T> {
 public:
  AdadeltaOptimizer(const AdadeltaOptions& o, const UpdateOptions& u, std::vector<Param<T>*> params)
      : ParamOptimizer<T>(u, std::move(params)), o_(o) {
    this->add_buffer("square_avg", square_avg_);
    this->add_buffer("acc_delta", acc_delta_);
  }
  std::string_view type() const override { return "adadelta"; }

 protected:
  void update(std::size_t k, Param<T>& p, double rate_d, double decay_d, ParamSlice at) override {
    const kernels::AdadeltaStep<T> s{static_cast<T>(rate_d), static_cast<T>(decay_d), static_cast<T>(o_.rho),
                                     static_cast<T>(o_.eps)};
    kernels::adadelta_update(s, p.value.data() + at.at, p.grad.data() + at.at, square_avg_[k].data() + at.at,
                             acc_delta_[k].data() + at.at, at.n);
  }

 private:
  AdadeltaOptions o_;
  std::vector<Tensor<T>> square_avg_, acc_delta_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_adadelta(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  return std::make_unique<AdadeltaOptimizer<T>>(o.adadelta(), o.update, std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_adadelta);

}  // namespace gradnet::optim_detail
