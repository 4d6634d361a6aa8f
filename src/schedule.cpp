#include "gradnet/schedule.h"

#include <cmath>

#include "gradnet/error.h"

namespace gradnet {

double scheduled_lr(const ScheduleConfig& s, double base_lr, std::int64_t epoch) {
  if (s.policy == "fixed") return base_lr;
  if (s.policy == "step") return base_lr * std::pow(s.gamma, static_cast<double>(epoch / s.step_size));
  if (s.policy == "multistep") {
    int passed = 0;
    for (std::int64_t m : s.milestones) passed += epoch >= m ? 1 : 0;
    return base_lr * std::pow(s.gamma, passed);
  }
  fail(ErrorKind::config, "schedule.policy = \"{}\": unknown policy; known: fixed, step, multistep", s.policy);
}

}  // namespace gradnet
