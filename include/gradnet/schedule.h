// Learning-rate schedules (docs/schedules.md has every formula, option and a config snippet each).
// A Schedule is built once from [schedule] (make_schedule) and asked for the lr before every update:
//   lr(step, epoch)  step: the global update count, epoch: the epoch, both from 0.
// Policies count time t in schedule.unit (steps or epochs): Caffe's fixed, step, multistep, exp, inv,
// poly, sigmoid; inverse_time; PyTorch's cosine, cosine_restarts (SGDR), cyclic, one_cycle; Keras's
// plateau (observe() after each epoch's validation). warmup_steps / warmup_epochs put a linear
// warm-up in front of any of them (PyTorch's LinearLR + SequentialLR: the policy starts at t = 0
// when the warm-up ends).
// Batch size schedule: train.batch_size_milestones / train.batch_sizes, with optimizer.lr_scaling.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/tensor.h"

namespace gradnet {

class Schedule {
 public:
  virtual ~Schedule() = default;
  // The lr for the update about to happen: global step and epoch, both 0-based.
  virtual double lr(Index step, Index epoch) = 0;
  // After epoch `epoch` (0-based; printed 1-based, as metrics.jsonl numbers it) has been validated.
  // metrics: val_loss, val_acc, train_loss, train_acc (those the run has). Returns a log line when
  // it changed the lr (plateau), "" otherwise.
  virtual std::string observe(Index epoch, const std::map<std::string, double>& metrics) { return ""; }
  // Everything lr() depends on besides its arguments, for checkpoints (empty for the pure policies).
  virtual std::vector<double> state() const { return {}; }
  virtual void load_state(const std::vector<double>& state) {}
};

// steps_per_epoch: the updates of each epoch of the run, in order (one entry per epoch, each >= 1);
// they give the run's length (max_iter = 0, t_max = 0, one_cycle) and the warm-up's in steps
// (warmup_epochs). Throws Error{config} on a schedule the config validation would also reject.
std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config, double base_lr,
                                        const std::vector<Index>& steps_per_epoch);
// The same for a run of `epochs` epochs of steps_per_epoch updates each.
std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config, double base_lr, Index steps_per_epoch,
                                        Index epochs);

// The policy names, in docs order.
const std::vector<std::string>& schedule_policies();

// Rules across [schedule] keys (and train.batch_size_* , optimizer.lr_scaling): {"", ""} when the
// config is fine, else the dotted key to blame and what is wrong ("schedule.max_lr = 0.01: cyclic
// needs max_lr > min_lr (0.05)"). parse_config calls it; make_schedule repeats it.
std::pair<std::string, std::string> schedule_config_problem(const Config& config);

// The batch size for epoch (0-based): train.batch_size, then batch_sizes[i] from epoch
// batch_size_milestones[i] on.
Index batch_size_at(const TrainConfig& train, Index epoch);
// The largest batch the run will use (to size buffers once).
Index max_batch_size(const TrainConfig& train);
// The updates of each of the run's train.epochs epochs over `examples` training examples, with the
// batch size each epoch uses (the last batch of an epoch may be partial).
std::vector<Index> steps_per_epoch_of_run(const TrainConfig& train, Index examples);
// optimizer.lr_scaling at batch size `batch` against train.batch_size B0: none 1, linear B/B0,
// sqrt sqrt(B/B0). The trainer multiplies the schedule's lr by it.
double lr_scale(const Config& config, Index batch);

}  // namespace gradnet
