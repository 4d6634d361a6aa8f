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
  void update(std::size_t k, Param<T>& p, double rate_d, double decay_d, ParamSlice at) override {
    const kernels::RmspropStep<T> s{static_cast<T>(rate_d), static_cast<T>(decay_d), static_cast<T>(o_.alpha),
                                    static_cast<T>(o_.eps), static_cast<T>(o_.momentum)};
    T* ga = o_.centered ? grad_avg_[k].data() + at.at : nullptr;       // null: not centered
    T* buf = o_.momentum > 0 ? momentum_[k].data() + at.at : nullptr;  // null: no momentum
    kernels::rmsprop_update(s, p.value.data() + at.at, p.grad.data() + at.at, square_avg_[k].data() + at.at, ga, buf,
                            at.n);
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
