// PyTorch 1.13's annealing and cyclic schedulers as closed forms of t (schedule.unit, from 0):
//  - cosine (CosineAnnealingLR):   min_lr + (base_lr - min_lr) * (1 + cos(pi * t / t_max)) / 2
//                                  (t_max = 0: the run's length; past t_max it rises again, as PyTorch's)
//  - cosine_restarts (SGDR, CosineAnnealingWarmRestarts): the same with t -> t_cur, t_max -> t_i, where
//                                  periods t_0, t_0 * t_mult, t_0 * t_mult^2, ... follow each other and
//                                  t_cur counts from the start of the current one
//  - cyclic (CyclicLR, lower bound min_lr; optimizer.lr is not used):
//        cycle = floor(1 + t / (up + down)),  x = 1 + t / (up + down) - cycle,  r = up / (up + down)
//        s = x <= r ? x / r : (x - 1) / (r - 1)
//        lr = min_lr + (max_lr - min_lr) * s * f,  f = 1 (triangular), 1 / 2^(cycle - 1) (triangular2),
//                                                  gamma^t (exp_range)
//  - one_cycle (OneCycleLR; optimizer.lr is not used): n = max_iter (0: the run's length),
//        initial = max_lr / div_factor,  final = initial / final_div_factor
//        t <= pct_start * n - 1:  anneal(initial -> max_lr, t / (pct_start * n - 1))
//        else:                    anneal(max_lr -> final, (t - (pct_start * n - 1)) / (n - 1 - (pct_start * n - 1)))
//        anneal cos: end + (start - end) * (1 + cos(pi * p)) / 2;  linear: start + (end - start) * p
//        (p is clamped to 1, so the lr stays at final past n)
#include <algorithm>
#include <cmath>
#include <numbers>

#include "policies.h"

namespace gradnet::schedule_detail {
namespace {

double cosine_between(double lo, double hi, double t, double period) {
  return lo + (hi - lo) * (1.0 + std::cos(std::numbers::pi * t / period)) / 2.0;
}

Curve cyclic_lr(const ScheduleConfig& c) {
  const double lo = c.min_lr, hi = c.max_lr, gamma = c.gamma;
  const double up = static_cast<double>(c.step_size_up);
  const double down = static_cast<double>(c.step_size_down > 0 ? c.step_size_down : c.step_size_up);
  const double size = up + down, ratio = up / size;
  const CyclicMode mode = c.cyclic_mode;
  return [=](Index t) {
    const double td = static_cast<double>(t);
    const double cycle = std::floor(1.0 + td / size);
    const double x = 1.0 + td / size - cycle;
    const double s = x <= ratio ? x / ratio : (x - 1.0) / (ratio - 1.0);
    double f = 1.0;
    if (mode == CyclicMode::triangular2) f = 1.0 / std::pow(2.0, cycle - 1.0);
    if (mode == CyclicMode::exp_range) f = std::pow(gamma, td);
    return lo + (hi - lo) * s * f;
  };
}

Curve one_cycle_lr(const ScheduleConfig& c, Index total) {
  const double n = static_cast<double>(c.max_iter > 0 ? c.max_iter : total);
  const double initial = c.max_lr / c.div_factor, peak = c.max_lr, final_lr = initial / c.final_div_factor;
  const double end_up = c.pct_start * n - 1.0, end_down = n - 1.0;
  const bool cos = c.anneal_strategy == AnnealStrategy::cos;
  auto anneal = [cos](double start, double end, double p) {
    return cos ? end + (start - end) / 2.0 * (std::cos(std::numbers::pi * p) + 1.0) : (end - start) * p + start;
  };
  return [=](Index t) {
    const double td = static_cast<double>(t);
    if (td <= end_up) return anneal(initial, peak, end_up > 0 ? td / end_up : 1.0);
    const double p = end_down > end_up ? (td - end_up) / (end_down - end_up) : 1.0;
    return anneal(peak, final_lr, std::min(1.0, p));
  };
}

Curve cosine_restarts(double base_lr, double lo, Index t_0, Index t_mult) {
  return [=](Index t) {
    Index t_i = t_0, t_cur = t;
    if (t_mult == 1) {
      t_cur = t % t_0;
    } else {
      while (t_cur >= t_i) {
        t_cur -= t_i;
        t_i *= t_mult;
      }
    }
    return cosine_between(lo, base_lr, static_cast<double>(t_cur), static_cast<double>(t_i));
  };
}

}  // namespace

Curve cyclic_curve(const ScheduleConfig& c, double base_lr, Index total) {
  switch (c.policy) {
    case Policy::cosine: {
      const double t_max = static_cast<double>(c.t_max > 0 ? c.t_max : total), lo = c.min_lr;
      return [=](Index t) { return cosine_between(lo, base_lr, static_cast<double>(t), t_max); };
    }
    case Policy::cosine_restarts: return cosine_restarts(base_lr, c.min_lr, c.t_0, c.t_mult);
    case Policy::cyclic: return cyclic_lr(c);
    case Policy::one_cycle: return one_cycle_lr(c, total);
    default: return {};
  }
}

}  // namespace gradnet::schedule_detail
