// make_schedule: a policy curve (caffe_policies.cpp, cyclic.cpp) or plateau (plateau.cpp), driven by
// schedule.unit, behind an optional linear warm-up (PyTorch's LinearLR + SequentialLR):
//   W = warmup_steps, or warmup_epochs * steps_per_epoch;  f0 = warmup_start_factor
//   step < W:  lr = inner(0) * (f0 + (1 - f0) * w / Wu)   w, Wu: step, warmup_steps (ramp per step)
//                                                         or epoch, warmup_epochs (ramp per epoch)
//   step >= W: lr = inner(t'), t' = step - W (unit step) or epoch - ceil(W / steps_per_epoch) (unit epoch)
// The policy's own length (max_iter = 0, t_max = 0, one_cycle) is the run's less the warm-up.
// Batch-size schedule and lr scaling: batch_size_at, lr_scale (below).
#include <algorithm>
#include <cmath>

#include "gradnet/error.h"
#include "policies.h"

namespace gradnet {
namespace {

using schedule_detail::Curve;

class CurveSchedule final : public Schedule {
 public:
  CurveSchedule(Curve curve, bool per_step) : curve_(std::move(curve)), per_step_(per_step) {}
  double lr(Index step, Index epoch) override { return curve_(per_step_ ? step : epoch); }

 private:
  Curve curve_;
  bool per_step_;
};

class WarmupSchedule final : public Schedule {
 public:
  WarmupSchedule(std::unique_ptr<Schedule> inner, const ScheduleConfig& c, Index steps_per_epoch)
      : inner_(std::move(inner)), start_(c.warmup_start_factor), per_step_(c.warmup_steps > 0),
        length_(per_step_ ? c.warmup_steps : c.warmup_epochs),
        steps_(per_step_ ? c.warmup_steps : c.warmup_epochs * steps_per_epoch),
        epochs_((steps_ + steps_per_epoch - 1) / steps_per_epoch) {}

  double lr(Index step, Index epoch) override {
    if (step < steps_) {
      const double done = static_cast<double>(per_step_ ? step : epoch) / static_cast<double>(length_);
      return inner_->lr(0, 0) * (start_ + (1.0 - start_) * done);
    }
    return inner_->lr(step - steps_, std::max<Index>(0, epoch - epochs_));
  }
  std::string observe(Index epoch, const std::map<std::string, double>& metrics) override {
    return inner_->observe(epoch, metrics);
  }
  std::vector<double> state() const override { return inner_->state(); }
  void load_state(const std::vector<double>& s) override { inner_->load_state(s); }

 private:
  std::unique_ptr<Schedule> inner_;
  double start_;
  bool per_step_;
  Index length_, steps_, epochs_;
};

}  // namespace

const std::vector<std::string>& schedule_policies() {
  static const std::vector<std::string> names = {"fixed",  "step",         "multistep", "exp",
                                                 "inv",    "poly",         "sigmoid",   "inverse_time",
                                                 "cosine", "cosine_restarts", "cyclic", "one_cycle",
                                                 "plateau"};
  return names;
}

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c, double base_lr, Index steps_per_epoch,
                                        Index epochs) {
  GRADNET_CHECK(steps_per_epoch >= 1 && epochs >= 1, config,
                "make_schedule: steps_per_epoch = {} and epochs = {} must be >= 1", steps_per_epoch, epochs);
  Config whole;
  whole.schedule = c;
  whole.optimizer.lr = base_lr;
  if (auto [key, message] = schedule_config_problem(whole); !key.empty()) fail(ErrorKind::config, "{}", message);
  const bool per_step = c.unit == "step";
  const Index warm_steps = c.warmup_steps > 0 ? c.warmup_steps : c.warmup_epochs * steps_per_epoch;
  const Index warm_epochs = (warm_steps + steps_per_epoch - 1) / steps_per_epoch;
  const Index total = std::max<Index>(1, per_step ? epochs * steps_per_epoch - warm_steps : epochs - warm_epochs);
  std::unique_ptr<Schedule> inner;
  if (c.policy == "plateau") {
    inner = schedule_detail::make_plateau(c, base_lr);
  } else {
    Curve curve = schedule_detail::caffe_curve(c, base_lr, total);
    if (!curve) curve = schedule_detail::cyclic_curve(c, base_lr, total);
    GRADNET_CHECK(static_cast<bool>(curve), config, "schedule.policy = \"{}\": unknown policy", c.policy);
    inner = std::make_unique<CurveSchedule>(std::move(curve), per_step);
  }
  if (warm_steps == 0) return inner;
  return std::make_unique<WarmupSchedule>(std::move(inner), c, steps_per_epoch);
}

Index batch_size_at(const TrainConfig& train, Index epoch) {
  Index batch = train.batch_size;
  for (std::size_t i = 0; i < train.batch_size_milestones.size() && i < train.batch_sizes.size(); ++i)
    if (epoch >= train.batch_size_milestones[i]) batch = train.batch_sizes[i];
  return batch;
}

Index max_batch_size(const TrainConfig& train) {
  Index batch = train.batch_size;
  for (Index b : train.batch_sizes) batch = std::max(batch, b);
  return batch;
}

double lr_scale(const Config& config, Index batch) {
  const double ratio = static_cast<double>(batch) / static_cast<double>(config.train.batch_size);
  if (config.optimizer.lr_scaling == "linear") return ratio;
  if (config.optimizer.lr_scaling == "sqrt") return std::sqrt(ratio);
  return 1.0;
}

}  // namespace gradnet
