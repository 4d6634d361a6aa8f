// The [schedule] rules that involve more than one key (or depend on the policy). Single-key
// bounds live in the schema (schema.cpp).
#include <fmt/format.h>

#include "rules.h"

namespace gradnet::config_rules {
namespace {

Problem policy_problem(const ScheduleConfig& s, double lr) {
  const Policy p = s.policy;
  const std::string_view name = name_of(p);
  const bool decays_by_gamma = p == Policy::step || p == Policy::multistep || p == Policy::exp || p == Policy::inv ||
                               p == Policy::inverse_time ||
                               (p == Policy::cyclic && s.cyclic_mode == CyclicMode::exp_range);
  if (decays_by_gamma && !(s.gamma > 0))
    return problem("schedule.gamma", fmt::format("schedule.gamma = {}: policy \"{}\"{} needs gamma > 0", s.gamma, name,
                                                 p == Policy::cyclic ? " (exp_range)" : ""));
  if (p == Policy::sigmoid && s.gamma == 0)
    return problem("schedule.gamma", "schedule.gamma = 0: sigmoid needs gamma != 0 (< 0 decays, > 0 rises)");
  if ((p == Policy::inv || p == Policy::poly) && s.power < 0)
    return problem("schedule.power", fmt::format("schedule.power = {}: {} needs power >= 0", s.power, name));
  if (p == Policy::multistep) {
    if (s.milestones.empty())
      return problem("schedule.milestones", "schedule.policy = \"multistep\" needs schedule.milestones, e.g. [30, 60]");
    if (!strictly_increasing_from_1(s.milestones))
      return problem("schedule.milestones", fmt::format("schedule.milestones = [{}]: expected a strictly increasing "
                                                        "list of integers >= 1", fmt::join(s.milestones, ", ")));
  }
  if (p == Policy::step && s.step_size < 1)
    return problem("schedule.step_size", fmt::format("schedule.step_size = {}: step needs >= 1", s.step_size));
  if ((p == Policy::cosine || p == Policy::cosine_restarts) && s.min_lr > lr)
    return problem("schedule.min_lr", fmt::format("schedule.min_lr = {}: {} anneals from optimizer.lr = {} down to "
                                                  "min_lr, so min_lr must be <= lr", s.min_lr, name, lr));
  if (p == Policy::cosine_restarts && (s.t_0 < 1 || s.t_mult < 1))
    return problem("schedule.t_0", fmt::format("schedule.t_0 = {}, t_mult = {}: both must be >= 1", s.t_0, s.t_mult));
  if (p == Policy::cyclic && !(s.max_lr > s.min_lr))
    return problem("schedule.max_lr", fmt::format("schedule.max_lr = {}: cyclic needs max_lr > min_lr ({})", s.max_lr,
                                                  s.min_lr));
  if (p == Policy::cyclic && s.step_size_up < 1)
    return problem("schedule.step_size_up", fmt::format("schedule.step_size_up = {}: needs >= 1", s.step_size_up));
  if (p == Policy::one_cycle) {
    if (!(s.max_lr > 0))
      return problem("schedule.max_lr", fmt::format("schedule.max_lr = {}: one_cycle needs max_lr > 0", s.max_lr));
    if (!(s.pct_start > 0 && s.pct_start < 1))
      return problem("schedule.pct_start", fmt::format("schedule.pct_start = {}: expected a number in (0, 1)",
                                                       s.pct_start));
    if (!(s.div_factor > 0) || !(s.final_div_factor > 0))
      return problem("schedule.div_factor", fmt::format("schedule.div_factor = {}, final_div_factor = {}: both must "
                                                        "be > 0", s.div_factor, s.final_div_factor));
  }
  if (p == Policy::plateau && !(s.factor > 0 && s.factor < 1))
    return problem("schedule.factor", fmt::format("schedule.factor = {}: expected a number in (0, 1)", s.factor));
  return {};
}

}  // namespace

Problem schedule_problem(const ScheduleConfig& s, double lr) {
  if (s.warmup_steps < 0 || s.warmup_epochs < 0)
    return problem("schedule.warmup_steps", "schedule.warmup_steps / warmup_epochs: expected integers >= 0");
  if (s.warmup_steps > 0 && s.warmup_epochs > 0)
    return problem("schedule.warmup_steps", fmt::format("schedule.warmup_steps = {} and warmup_epochs = {}: set one "
                                                        "of the two", s.warmup_steps, s.warmup_epochs));
  return policy_problem(s, lr);
}

}  // namespace gradnet::config_rules
