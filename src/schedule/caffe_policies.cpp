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

namespace {

// Each policy gets only the settings its formula reads.
Curve step_decay(double base_lr, double gamma, Index step_size) {
  return [=](Index t) { return base_lr * std::pow(gamma, static_cast<double>(t / step_size)); };
}

Curve multistep_decay(double base_lr, double gamma, std::vector<std::int64_t> milestones) {
  return [=](Index t) {
    const auto passed = std::upper_bound(milestones.begin(), milestones.end(), t) - milestones.begin();
    return base_lr * std::pow(gamma, static_cast<double>(passed));
  };
}

Curve poly_decay(double base_lr, double power, double max_iter) {
  return [=](Index t) {
    const double left = 1.0 - static_cast<double>(t) / max_iter;
    return left <= 0 ? 0.0 : base_lr * std::pow(left, power);
  };
}

}  // namespace

Curve caffe_curve(const ScheduleConfig& c, double base_lr, Index total) {
  const double gamma = c.gamma, power = c.power;
  const Index step_size = c.step_size;
  switch (c.policy) {
    case Policy::fixed: return [base_lr](Index) { return base_lr; };
    case Policy::step: return step_decay(base_lr, gamma, step_size);
    case Policy::multistep: return multistep_decay(base_lr, gamma, c.milestones);
    case Policy::exp: return [=](Index t) { return base_lr * std::pow(gamma, static_cast<double>(t)); };
    case Policy::inv:
      return [=](Index t) { return base_lr * std::pow(1.0 + gamma * static_cast<double>(t), -power); };
    case Policy::inverse_time: return [=](Index t) { return base_lr / (1.0 + gamma * static_cast<double>(t)); };
    case Policy::poly: return poly_decay(base_lr, power, static_cast<double>(c.max_iter > 0 ? c.max_iter : total));
    case Policy::sigmoid:
      return [=](Index t) {
        return base_lr * (1.0 / (1.0 + std::exp(-gamma * static_cast<double>(t - step_size))));
      };
    default: return {};
  }
}

}  // namespace gradnet::schedule_detail
