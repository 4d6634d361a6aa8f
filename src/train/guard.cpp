#include "guard.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/plural.h"

namespace gradnet {

namespace {

// A float is inf or NaN exactly when its exponent bits are all ones. Checked on the bits with an
// integer OR, which the compiler vectorises (a float sum would have to keep its order: scalar,
// 3% of W2's step).
bool all_finite(const float* p, Index n) {
  constexpr std::uint32_t kExponent = 0x7f800000u;
  std::uint32_t any_special = 0;
  for (Index i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, p + i, sizeof bits);
    any_special |= (bits & kExponent) == kExponent ? 1u : 0u;
  }
  return any_special == 0;
}

std::string hint(double lr) {
  return fmt::format("the run diverged: try a lower optimizer.lr (now {:g}), e.g. {:g}", lr, lr / 10);
}

}  // namespace

DivergenceGuard::DivergenceGuard(const DivergenceConfig& config, double initial_loss, double base_lr)
    : config_(config), initial_loss_(initial_loss), base_lr_(base_lr) {}

void DivergenceGuard::non_finite_loss(Net<float>& net, double loss, Index step, std::int64_t epoch, double lr) const {
  std::string where = "in the loss itself (every layer's output is finite)";
  for (Index i = 0; i < net.num_layers(); ++i) {
    ConstView<float> a = net.activation(i);
    if (!all_finite(a.data, a.size())) {
      where = fmt::format("first in the output of layers.{} ({})", i, net.layer(i).type());
      break;
    }
  }
  // Step 1's forward pass runs on the initial weights: no lr has acted yet, so it is not to blame.
  const std::string why = step == 1 || !std::isfinite(initial_loss_)
                              ? fmt::format("this is before any update (the initial loss is {}), so not the lr: the "
                                            "inputs or the initial weights are too large (data.normalize, init)",
                                            initial_loss_)
                              : hint(lr);
  fail(ErrorKind::runtime, "step {} (epoch {}): the loss became {}; non-finite values appeared {}; {}", step, epoch,
       loss, where, why);
}

void DivergenceGuard::check_grads(Net<float>& net, Index step, std::int64_t epoch, double lr) const {
  for (Index i = 0; i < net.num_layers(); ++i)
    for (const Param<float>& p : net.layer(i).params())
      if (!all_finite(p.grad.data(), p.grad.size()))
        fail(ErrorKind::runtime, "step {} (epoch {}): the gradient of {} holds non-finite values (first layer: "
             "layers.{} ({})); {}", step, epoch, p.name, i, net.layer(i).type(), hint(lr));
}

std::string DivergenceGuard::after_step(Net<float>& net, double loss, Index step, std::int64_t epoch, double lr) {
  window_sum_ += loss;
  ++window_n_;
  if (!check_now(step)) return "";
  for (Index i = 0; i < net.num_layers(); ++i)
    for (const Param<float>& p : net.layer(i).params())
      if (!all_finite(p.value.data(), p.value.size()))
        fail(ErrorKind::runtime, "step {} (epoch {}): the weights of {} became non-finite after the update; {}",
             step, epoch, p.name, hint(lr));
  const double mean = window_sum_ / static_cast<double>(window_n_);
  window_sum_ = 0;
  window_n_ = 0;
  if (!(initial_loss_ > 0) || mean <= config_.explode_factor * initial_loss_) {
    count_ = 0;
    return "";
  }
  if (++count_ < config_.patience) return "";
  const std::string message = fmt::format(
      "step {} (epoch {}): the loss is exploding: its mean over the last {}, {:.4g}, has been above {:g} x the "
      "step-0 loss {:.4g} for {} in a row; {}",
      step, epoch, count_of(config_.check_every, "step"), mean, config_.explode_factor, initial_loss_,
      count_of(count_, "check"), hint(lr));
  count_ = 0;
  if (config_.action == DivergenceAction::stop) fail(ErrorKind::runtime, "{}", message);
  return message;
}

}  // namespace gradnet
