// SGD with momentum, dampening, Nesterov and coupled L2 weight decay: torch.optim.SGD's update.
//   g = grad + decay·w
//   momentum > 0: buf = g (first step), else buf = momentum·buf + (1 - dampening)·g
//                 g = nesterov ? g + momentum·buf : buf
//   w -= rate·g
#include "common.h"

namespace gradnet::optim_detail {
namespace {

template <typename T>
class SgdOptimizer final : public ParamOptimizer<T> {
 public:
  SgdOptimizer(const SgdOptions& o, const UpdateOptions& u, std::vector<Param<T>*> params)
      : ParamOptimizer<T>(u, std::move(params)), o_(o) {
    if (o.momentum != 0.0) this->add_buffer("momentum_buffer", momentum_);
  }
  std::string_view type() const override { return "sgd"; }

 protected:
  void update(std::size_t k, Param<T>& p, double rate_d, double decay_d, ParamSlice at) override {
    const kernels::SgdStep<T> s{static_cast<T>(rate_d), static_cast<T>(decay_d), static_cast<T>(o_.momentum),
                                static_cast<T>(1.0 - o_.dampening), o_.nesterov, this->steps_ == 1};
    T* buf = o_.momentum == 0.0 ? nullptr : momentum_[k].data() + at.at;  // no buffer: plain SGD
    kernels::sgd_update(s, p.value.data() + at.at, p.grad.data() + at.at, buf, at.n);
  }

 private:
  SgdOptions o_;
  std::vector<Tensor<T>> momentum_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_sgd(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  return std::make_unique<SgdOptimizer<T>>(o.sgd(), o.update, std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_sgd);

}  // namespace gradnet::optim_detail
