// Learning-rate schedules (docs/schedules.md has every formula, option and a config snippet each).
// A Schedule is built once from [schedule] (make_schedule) and asked for the lr before every update:
//   lr(step, epoch)  step: the global update count, epoch: the epoch, both from 0.
// Policies count time t in schedule.unit (steps or epochs): Caffe's fixed, step, multistep, exp, inv,
// poly, sigmoid; inverse_time; PyTorch's cosine, cosine_restarts (SGDR), cyclic, one_cycle; Keras's
// plateau (observe() after each epoch's validation). warmup_steps / warmup_epochs put a linear
// warm-up in front of any of them (PyTorch's LinearLR + SequentialLR: the policy starts at t = 0
// when the warm-up ends).
// The batch-size schedule (train.batch_size_milestones / train.batch_sizes) is the trainer's:
// train/batch_schedule.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gradnet/metric.h"
#include "gradnet/schedule/options.h"
#include "gradnet/tensor.h"

namespace gradnet {

class Schedule {
 public:
  virtual ~Schedule() = default;
  // The lr for the update about to happen: global step and epoch, both 0-based.
  virtual double lr(Index step, Index epoch) = 0;
  // After epoch `epoch` (0-based; printed 1-based, as metrics.jsonl numbers it) has been validated,
  // with the figures the run has. Returns a log line when it changed the lr (plateau), "" otherwise.
  virtual std::string observe(Index /*epoch*/, const EpochMetrics& /*metrics*/) { return ""; }
  // Everything lr() depends on besides its arguments, for checkpoints (empty for the pure policies).
  virtual std::vector<double> state() const { return {}; }
  virtual void load_state(const std::vector<double>& /*state*/) {}
};

// config must be valid (schedule_problem(config, base_lr) empty: the config reader makes sure).
// steps_per_epoch: the updates of each epoch of the run, in order (one entry per epoch, each >= 1);
// they give the run's length (max_iter = 0, t_max = 0, one_cycle) and the warm-up's in steps
// (warmup_epochs).
std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config, double base_lr,
                                        const std::vector<Index>& steps_per_epoch);
// The same for a run of `epochs` epochs of steps_per_epoch updates each.
std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config, double base_lr, Index steps_per_epoch,
                                        Index epochs);

// The policy names, in docs order.
std::vector<std::string> schedule_policies();

}  // namespace gradnet
