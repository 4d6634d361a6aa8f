// RMSprop: torch.optim.RMSprop.
//   g = grad + decay·w;  sq = alpha·sq + (1 - alpha)·g²
//   centered: ga = alpha·ga + (1 - alpha)·g;  avg = sqrt(sq - ga²) + eps   else avg = sqrt(sq) + eps
//   momentum > 0: buf = momentum·buf + g / avg;  w -= rate·buf      else w -= rate · g / avg
#include "common.h"

namespace gradnet::optim_detail {
namespace {

template <typename T>
class RmspropOptimizer final : public ParamOptimizer<T> {
 public:
  RmspropOptimizer(const RmspropOptions& o, const UpdateOptions& u, std::vector<Param<T>*> params)
      : ParamOptimizer<T>(u, std::move(params)), o_(o) {
    this->add_buffer("square_avg", square_avg_);
    if (o.centered) this->add_buffer("grad_avg", grad_avg_);
    if (o.momentum > 0) this->add_buffer("momentum_buffer", momentum_);
  }
  std::string_view type() const override { return "rmsprop"; }

 protected:
  void update(std::size_t k, Param<T>& p, double rate_d, double decay_d) override {
    const T rate = static_cast<T>(rate_d), decay = static_cast<T>(decay_d);
    const T alpha = static_cast<T>(o_.alpha), eps = static_cast<T>(o_.eps);
    const T momentum = static_cast<T>(o_.momentum);
    const bool centered = o_.centered, use_momentum = o_.momentum > 0;
    T* w = p.value.data();
    const T* g = p.grad.data();
    T* sq = square_avg_[k].data();
    T* ga = centered ? grad_avg_[k].data() : nullptr;
    T* buf = use_momentum ? momentum_[k].data() : nullptr;
    for (Index i = 0; i < p.value.size(); ++i) {
      const T gi = g[i] + decay * w[i];
      sq[i] = alpha * sq[i] + (T(1) - alpha) * gi * gi;
      T avg;
      if (centered) {
        ga[i] = alpha * ga[i] + (T(1) - alpha) * gi;
        avg = std::sqrt(sq[i] - ga[i] * ga[i]) + eps;
      } else {
        avg = std::sqrt(sq[i]) + eps;
      }
      if (use_momentum) {
        buf[i] = momentum * buf[i] + gi / avg;
        w[i] -= rate * buf[i];
      } else {
        w[i] -= rate * gi / avg;
      }
    }
  }

 private:
  RmspropOptions o_;
  std::vector<Tensor<T>> square_avg_, grad_avg_, momentum_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_rmsprop(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  return std::make_unique<RmspropOptimizer<T>>(o.rmsprop(), o.update, std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_rmsprop);

}  // namespace gradnet::optim_detail
