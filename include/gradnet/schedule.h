// Learning-rate schedules, per epoch (Caffe's lr_policy vocabulary):
//   fixed:     lr = base_lr
//   step:      lr = base_lr * gamma ^ floor(epoch / step_size)
//   multistep: lr = base_lr * gamma ^ (number of milestones <= epoch)
// epoch counts from 0 (the first epoch trains at base_lr).
#pragma once

#include <cstdint>

#include "gradnet/config.h"

namespace gradnet {

double scheduled_lr(const ScheduleConfig& schedule, double base_lr, std::int64_t epoch);

}  // namespace gradnet
