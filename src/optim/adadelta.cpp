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
  void update(std::size_t k, Param<T>& p, double rate_d, double decay_d) override {
    const T rate = static_cast<T>(rate_d), decay = static_cast<T>(decay_d);
    const T rho = static_cast<T>(o_.rho), eps = static_cast<T>(o_.eps);
    T* w = p.value.data();
    const T* g = p.grad.data();
    T* sq = square_avg_[k].data();
    T* acc = acc_delta_[k].data();
    for (Index i = 0; i < p.value.size(); ++i) {
      const T gi = g[i] + decay * w[i];
      sq[i] = rho * sq[i] + (T(1) - rho) * gi * gi;
      const T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * gi;
      acc[i] = rho * acc[i] + (T(1) - rho) * delta * delta;
      w[i] -= rate * delta;
    }
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
