// plateau: Keras' / PyTorch 1.13's ReduceLROnPlateau, decided once per epoch in observe():
//   better(a, best) = mode min, rel: a < best * (1 - min_delta)    abs: a < best - min_delta
//                     mode max, rel: a > best * (1 + min_delta)    abs: a > best + min_delta
//   better ? (best = a, bad = 0) : ++bad;   in cooldown: --cooldown_left, bad = 0
//   bad > patience: lr = max(lr * factor, min_lr) (only if that lowers it by more than 1e-8),
//                   cooldown_left = cooldown, bad = 0
// mode auto: max for val_acc / train_acc, min for losses. Starts at base_lr; t plays no part.
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "policies.h"

namespace gradnet::schedule_detail {
namespace {

class PlateauSchedule final : public Schedule {
 public:
  PlateauSchedule(const ScheduleConfig& c, double base_lr) : c_(c), lr_(base_lr) {
    maximize_ = higher_is_better(c.monitor, c.mode);
    best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }

  double lr(Index, Index) override { return lr_; }

  std::string observe(Index epoch, const EpochMetrics& metrics) override {
    const std::optional<double> measured = metrics.get(c_.monitor);
    if (!measured)
      fail(ErrorKind::config, "schedule.monitor = \"{}\": the run does not measure it{}", name_of(c_.monitor),
           is_validation(c_.monitor) ? " (data.validation = 0 holds out no validation set)" : "");
    const double value = *measured;
    if (better(value)) {
      best_ = value;
      bad_ = 0;
    } else {
      ++bad_;
    }
    if (cooldown_left_ > 0) {
      --cooldown_left_;
      bad_ = 0;
    }
    if (bad_ <= c_.patience) return "";
    const Index bad = bad_;
    cooldown_left_ = c_.cooldown;
    bad_ = 0;
    const double old_lr = lr_, new_lr = std::max(lr_ * c_.factor, c_.min_lr);
    if (old_lr - new_lr <= 1e-8) return "";
    lr_ = new_lr;
    return fmt::format("epoch {}: {} {:.6g} did not improve on {:.6g} for {} epochs; lr {:.6g} -> {:.6g}", epoch + 1,
                       name_of(c_.monitor), value, best_, bad, old_lr, new_lr);
  }

  std::vector<double> state() const override {
    return {lr_, best_, static_cast<double>(bad_), static_cast<double>(cooldown_left_)};
  }
  void load_state(const std::vector<double>& s) override {
    if (s.size() != 4)
      fail(ErrorKind::checkpoint, "plateau schedule state: expected 4 values, found {}", s.size());
    lr_ = s[0];
    best_ = s[1];
    bad_ = static_cast<Index>(s[2]);
    cooldown_left_ = static_cast<Index>(s[3]);
  }

 private:
  bool better(double a) const {
    if (std::isnan(a)) return false;
    const double d = c_.min_delta;
    const bool rel = c_.threshold_mode == ThresholdMode::rel;
    if (maximize_) return rel ? a > best_ * (1.0 + d) : a > best_ + d;
    return rel ? a < best_ * (1.0 - d) : a < best_ - d;
  }

  ScheduleConfig c_;
  bool maximize_ = false;
  double lr_;
  double best_;
  Index bad_ = 0;
  Index cooldown_left_ = 0;
};

}  // namespace

std::unique_ptr<Schedule> make_plateau(const ScheduleConfig& config, double base_lr) {
  return std::make_unique<PlateauSchedule>(config, base_lr);
}

}  // namespace gradnet::schedule_detail
