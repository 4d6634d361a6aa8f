// DivergenceGuard: stops a run that diverges, naming the step and the first layer where
// non-finite values appeared, and reports a loss that explodes while staying finite
// (sigmoid/tanh nets with softmax cross-entropy at lr 10 climb from 2.3 to ~70 without a NaN).
#pragma once

#include <cstdint>
#include <string>

#include "gradnet/config.h"
#include "gradnet/net.h"

namespace gradnet {

class DivergenceGuard {
 public:
  DivergenceGuard(const DivergenceConfig& config, double initial_loss, double base_lr);

  // The loss of step `step` is not finite: throws Error{runtime} naming the first layer whose
  // output holds a non-finite value (or the loss itself).
  [[noreturn]] void non_finite_loss(Net<float>& net, double loss, Index step, std::int64_t epoch, double lr) const;
  bool check_now(Index step) const { return step % config_.check_every == 0; }
  // Throws when a gradient holds a non-finite value, naming the first such parameter.
  void check_grads(Net<float>& net, Index step, std::int64_t epoch, double lr) const;
  // After the update of step `step`: on check steps, non-finite weights (throw) and the
  // explosion test. Returns a warning with action = "warn", "" otherwise; throws with "stop".
  std::string after_step(Net<float>& net, double loss, Index step, std::int64_t epoch, double lr);

  std::int64_t count() const { return count_; }
  void set_count(std::int64_t count) { count_ = count; }

 private:
  DivergenceConfig config_;
  double initial_loss_;
  double base_lr_;
  double window_sum_ = 0;
  Index window_n_ = 0;
  std::int64_t count_ = 0;
};

}  // namespace gradnet
