// Caffe's lr_policy set (SGDSolver::GetLearningRate) plus 1/t decay. t counts schedule.unit
// (Caffe's iter); base_lr is optimizer.lr.
//  - fixed:        always return base_lr.
//  - step:         base_lr * gamma ^ (floor(t / step_size))
//  - multistep:    like step, but with uneven steps: base_lr * gamma ^ (number of milestones <= t)
//  - exp:          base_lr * gamma ^ t
//  - inv:          base_lr * (1 + gamma * t) ^ (- power)
//  - inverse_time: base_lr / (1 + gamma * t)              (inv with power 1; Keras' InverseTimeDecay)
//  - poly:         base_lr * (1 - t / max_iter) ^ (power), 0 from t = max_iter on
//  - sigmoid:      base_lr * (1 / (1 + exp(-gamma * (t - step_size))))   (gamma < 0 decays)
// where max_iter = 0 means the run's length (in units, less the warm-up).
#include <algorithm>
#include <cmath>

#include "policies.h"

namespace gradnet::schedule_detail {

Curve caffe_curve(const ScheduleConfig& c, double base_lr, Index total) {
  const std::string& p = c.policy;
  const double gamma = c.gamma, power = c.power;
  const Index step_size = c.step_size;
  if (p == "fixed") return [base_lr](Index) { return base_lr; };
  if (p == "step")
    return [=](Index t) { return base_lr * std::pow(gamma, static_cast<double>(t / step_size)); };
  if (p == "multistep") {
    const std::vector<std::int64_t> milestones = c.milestones;
    return [=](Index t) {
      const auto passed = std::upper_bound(milestones.begin(), milestones.end(), t) - milestones.begin();
      return base_lr * std::pow(gamma, static_cast<double>(passed));
    };
  }
  if (p == "exp") return [=](Index t) { return base_lr * std::pow(gamma, static_cast<double>(t)); };
  if (p == "inv")
    return [=](Index t) { return base_lr * std::pow(1.0 + gamma * static_cast<double>(t), -power); };
  if (p == "inverse_time") return [=](Index t) { return base_lr / (1.0 + gamma * static_cast<double>(t)); };
  if (p == "poly") {
    const double max_iter = static_cast<double>(c.max_iter > 0 ? c.max_iter : total);
    return [=](Index t) {
      const double left = 1.0 - static_cast<double>(t) / max_iter;
      return left <= 0 ? 0.0 : base_lr * std::pow(left, power);
    };
  }
  if (p == "sigmoid")
    return [=](Index t) {
      return base_lr * (1.0 / (1.0 + std::exp(-gamma * static_cast<double>(t - step_size))));
    };
  return {};
}

}  // namespace gradnet::schedule_detail
