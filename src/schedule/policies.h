// Internal: each policy family as a curve lr(t), t in the schedule's unit (steps or epochs) counted
// from the end of the warm-up; schedule.cpp wraps them with the unit and the warm-up.
#pragma once

#include <functional>
#include <memory>

#include "gradnet/schedule.h"

namespace gradnet::schedule_detail {

using Curve = std::function<double(Index t)>;

// total: the policy's own length in its unit (the run's length less the warm-up), >= 1.
// Each returns an empty Curve when config.policy is not one of its family.
Curve caffe_curve(const ScheduleConfig& config, double base_lr, Index total);   // caffe_policies.cpp
Curve cyclic_curve(const ScheduleConfig& config, double base_lr, Index total);  // cyclic.cpp
std::unique_ptr<Schedule> make_plateau(const ScheduleConfig& config, double base_lr);  // plateau.cpp

}  // namespace gradnet::schedule_detail
