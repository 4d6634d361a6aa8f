// schedule_config_problem: the [schedule] rules that involve more than one key (or depend on the
// policy), plus the batch-size schedule's. Single-key bounds live in the schema (src/config/schema.cpp).
#include <algorithm>

#include <fmt/format.h>

#include "gradnet/schedule.h"
#include "gradnet/value.h"

namespace gradnet {
namespace {

using Problem = std::pair<std::string, std::string>;

Problem problem(const std::string& key, std::string message) { return {key, std::move(message)}; }

bool strictly_increasing_from_1(const std::vector<std::int64_t>& v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 1 || (i > 0 && v[i] <= v[i - 1])) return false;
  return true;
}

Problem policy_problem(const ScheduleConfig& s, double lr) {
  const std::string& p = s.policy;
  const bool decays_by_gamma = p == "step" || p == "multistep" || p == "exp" || p == "inv" || p == "inverse_time" ||
                               (p == "cyclic" && s.cyclic_mode == "exp_range");
  if (decays_by_gamma && !(s.gamma > 0))
    return problem("schedule.gamma", fmt::format("schedule.gamma = {}: policy \"{}\"{} needs gamma > 0", s.gamma, p,
                                                 p == "cyclic" ? " (exp_range)" : ""));
  if (p == "sigmoid" && s.gamma == 0)
    return problem("schedule.gamma", "schedule.gamma = 0: sigmoid needs gamma != 0 (< 0 decays, > 0 rises)");
  if ((p == "inv" || p == "poly") && s.power < 0)
    return problem("schedule.power", fmt::format("schedule.power = {}: {} needs power >= 0", s.power, p));
  if (p == "multistep") {
    if (s.milestones.empty())
      return problem("schedule.milestones", "schedule.policy = \"multistep\" needs schedule.milestones, e.g. [30, 60]");
    if (!strictly_increasing_from_1(s.milestones))
      return problem("schedule.milestones", fmt::format("schedule.milestones = [{}]: expected a strictly increasing "
                                                        "list of integers >= 1", fmt::join(s.milestones, ", ")));
  }
  if (p == "step" && s.step_size < 1)
    return problem("schedule.step_size", fmt::format("schedule.step_size = {}: step needs >= 1", s.step_size));
  if ((p == "cosine" || p == "cosine_restarts") && s.min_lr > lr)
    return problem("schedule.min_lr", fmt::format("schedule.min_lr = {}: {} anneals from optimizer.lr = {} down to "
                                                  "min_lr, so min_lr must be <= lr", s.min_lr, p, lr));
  if (p == "cosine_restarts" && (s.t_0 < 1 || s.t_mult < 1))
    return problem("schedule.t_0", fmt::format("schedule.t_0 = {}, t_mult = {}: both must be >= 1", s.t_0, s.t_mult));
  if (p == "cyclic" && !(s.max_lr > s.min_lr))
    return problem("schedule.max_lr", fmt::format("schedule.max_lr = {}: cyclic needs max_lr > min_lr ({})", s.max_lr,
                                                  s.min_lr));
  if (p == "cyclic" && s.step_size_up < 1)
    return problem("schedule.step_size_up", fmt::format("schedule.step_size_up = {}: needs >= 1", s.step_size_up));
  if (p == "one_cycle") {
    if (!(s.max_lr > 0))
      return problem("schedule.max_lr", fmt::format("schedule.max_lr = {}: one_cycle needs max_lr > 0", s.max_lr));
    if (!(s.pct_start > 0 && s.pct_start < 1))
      return problem("schedule.pct_start", fmt::format("schedule.pct_start = {}: expected a number in (0, 1)",
                                                       s.pct_start));
    if (!(s.div_factor > 0) || !(s.final_div_factor > 0))
      return problem("schedule.div_factor", fmt::format("schedule.div_factor = {}, final_div_factor = {}: both must "
                                                        "be > 0", s.div_factor, s.final_div_factor));
  }
  if (p == "plateau" && !(s.factor > 0 && s.factor < 1))
    return problem("schedule.factor", fmt::format("schedule.factor = {}: expected a number in (0, 1)", s.factor));
  return {};
}

}  // namespace

Problem schedule_config_problem(const Config& config) {
  const ScheduleConfig& s = config.schedule;
  const auto& known = schedule_policies();
  if (std::find(known.begin(), known.end(), s.policy) == known.end()) {
    auto guess = closest_match(s.policy, known);
    return problem("schedule.policy", fmt::format("schedule.policy = \"{}\": unknown policy{}; known: {}", s.policy,
                                                  guess ? fmt::format(" (did you mean '{}'?)", *guess) : "",
                                                  fmt::join(known, ", ")));
  }
  if (s.warmup_steps < 0 || s.warmup_epochs < 0)
    return problem("schedule.warmup_steps", "schedule.warmup_steps / warmup_epochs: expected integers >= 0");
  if (s.warmup_steps > 0 && s.warmup_epochs > 0)
    return problem("schedule.warmup_steps", fmt::format("schedule.warmup_steps = {} and warmup_epochs = {}: set one "
                                                        "of the two", s.warmup_steps, s.warmup_epochs));
  if (Problem p = policy_problem(s, config.optimizer.lr); !p.first.empty()) return p;
  const TrainConfig& t = config.train;
  if (t.batch_sizes.size() != t.batch_size_milestones.size())
    return problem("train.batch_sizes", fmt::format("train.batch_sizes has {} entries, train.batch_size_milestones {}: "
                                                    "one batch size per milestone", t.batch_sizes.size(),
                                                    t.batch_size_milestones.size()));
  if (!strictly_increasing_from_1(t.batch_size_milestones))
    return problem("train.batch_size_milestones", fmt::format("train.batch_size_milestones = [{}]: expected a strictly "
                                                              "increasing list of epochs >= 1",
                                                              fmt::join(t.batch_size_milestones, ", ")));
  for (std::int64_t b : t.batch_sizes)
    if (b < 1) return problem("train.batch_sizes", fmt::format("train.batch_sizes: {} is not a batch size >= 1", b));
  return {};
}

}  // namespace gradnet
