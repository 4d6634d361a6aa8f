// make_schedule: a policy curve (caffe_policies.cpp, cyclic.cpp) or plateau (plateau.cpp), driven by
// schedule.unit, behind an optional linear warm-up (PyTorch's LinearLR + SequentialLR):
//   W = warmup_steps, or the steps of the first warmup_epochs epochs;  f0 = warmup_start_factor
//   step < W:  lr = inner(0) * (f0 + (1 - f0) * w / Wu)   w, Wu: step, warmup_steps (ramp per step)
//                                                         or epoch, warmup_epochs (ramp per epoch)
//   step >= W: lr = inner(t'), t' = step - W (unit step) or epoch - E (unit epoch), E = the epochs W takes
//              (ceil(W / steps_per_epoch) when every epoch has as many steps)
// The policy's own length (max_iter = 0, t_max = 0, one_cycle) is the run's less the warm-up: in steps,
// the sum of every epoch's steps (a batch-size schedule changes them from epoch to epoch).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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
  // steps, epochs: the warm-up's length in steps, and the epochs it takes (rounded up).
  WarmupSchedule(std::unique_ptr<Schedule> inner, const ScheduleConfig& c, Index steps, Index epochs)
      : inner_(std::move(inner)), start_(c.warmup_start_factor), per_step_(c.warmup_steps > 0),
        length_(per_step_ ? c.warmup_steps : c.warmup_epochs), steps_(steps), epochs_(epochs) {}

  double lr(Index step, Index epoch) override {
    if (step < steps_) {
      const double done = static_cast<double>(per_step_ ? step : epoch) / static_cast<double>(length_);
      return inner_->lr(0, 0) * (start_ + (1.0 - start_) * done);
    }
    return inner_->lr(step - steps_, std::max<Index>(0, epoch - epochs_));
  }
  std::string observe(Index epoch, const EpochMetrics& metrics) override {
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

// The updates of the first k epochs (epochs past the run's last count as long as its last).
Index steps_in_first(const std::vector<Index>& steps_per_epoch, Index k) {
  const Index known = std::min<Index>(k, static_cast<Index>(steps_per_epoch.size()));
  Index total = 0;
  for (Index e = 0; e < known; ++e) total += steps_per_epoch[static_cast<std::size_t>(e)];
  return total + (k - known) * steps_per_epoch.back();
}

// The fewest epochs whose updates reach `steps` (ceil(steps / steps_per_epoch) when it is constant).
Index epochs_covering(const std::vector<Index>& steps_per_epoch, Index steps) {
  Index k = 0, total = 0;
  for (; k < static_cast<Index>(steps_per_epoch.size()) && total < steps; ++k)
    total += steps_per_epoch[static_cast<std::size_t>(k)];
  if (total >= steps) return k;
  const Index last = steps_per_epoch.back();
  return k + (steps - total + last - 1) / last;
}

}  // namespace

std::vector<std::string> schedule_policies() { return enum_words<Policy>(); }

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c, double base_lr,
                                        const std::vector<Index>& steps_per_epoch) {
  const Index epochs = static_cast<Index>(steps_per_epoch.size());
  const bool lengths_ok = std::all_of(steps_per_epoch.begin(), steps_per_epoch.end(), [](Index s) { return s >= 1; });
  GRADNET_CHECK(epochs >= 1 && lengths_ok, config,
                "make_schedule: {} epochs of [{}] steps: expected at least one epoch, each of >= 1 steps", epochs,
                fmt::join(steps_per_epoch, ", "));
  const bool per_step = c.unit == ScheduleUnit::step;
  const Index warm_steps = c.warmup_steps > 0 ? c.warmup_steps : steps_in_first(steps_per_epoch, c.warmup_epochs);
  const Index warm_epochs = epochs_covering(steps_per_epoch, warm_steps);
  const Index run_steps = steps_in_first(steps_per_epoch, epochs);
  const Index total = std::max<Index>(1, per_step ? run_steps - warm_steps : epochs - warm_epochs);
  std::unique_ptr<Schedule> inner;
  if (c.policy == Policy::plateau) {
    inner = schedule_detail::make_plateau(c, base_lr);
  } else {
    Curve curve = schedule_detail::caffe_curve(c, base_lr, total);
    if (!curve) curve = schedule_detail::cyclic_curve(c, base_lr, total);
    GRADNET_ASSERT(static_cast<bool>(curve));  // every policy but plateau is a curve
    inner = std::make_unique<CurveSchedule>(std::move(curve), per_step);
  }
  if (warm_steps == 0) return inner;
  return std::make_unique<WarmupSchedule>(std::move(inner), c, warm_steps, warm_epochs);
}

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c, double base_lr, Index steps_per_epoch,
                                        Index epochs) {
  GRADNET_CHECK(steps_per_epoch >= 1 && epochs >= 1, config,
                "make_schedule: steps_per_epoch = {} and epochs = {} must be >= 1", steps_per_epoch, epochs);
  return make_schedule(c, base_lr, std::vector<Index>(static_cast<std::size_t>(epochs), steps_per_epoch));
}

}  // namespace gradnet
