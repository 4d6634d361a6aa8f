// Schedules: each policy's values at a few points, warm-up composition, plateau decisions,
// validation, batch-size schedule and lr scaling. (Whole sequences vs PyTorch: tests/golden.)
#include <cmath>

#include <gtest/gtest.h>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/schedule.h"
#include "gradnet/train/batch_schedule.h"

using namespace gradnet;

namespace {

ScheduleConfig policy(Policy p, ScheduleUnit unit = ScheduleUnit::step) {
  ScheduleConfig c;
  c.policy = p;
  c.unit = unit;
  return c;
}

double at(const ScheduleConfig& c, Index step, Index spe = 10, Index epochs = 10, double lr = 0.1) {
  return make_schedule(c, lr, spe, epochs)->lr(step, step / spe);
}

std::string problem(const Config& c) { return config_problem(c).second; }

// The message parse_config gives for [schedule] policy = <word> (unknown words are the config's to refuse).
std::string policy_error(const std::string& word) {
  try {
    parse_config("[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n[schedule]\npolicy = \"" + word +
                     "\"\n",
                 "s.toml");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Schedule, CaffePolicies) {
  EXPECT_DOUBLE_EQ(at(policy(Policy::fixed), 57), 0.1);
  auto s = policy(Policy::step);
  s.step_size = 20;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(at(s, 19), 0.1);
  EXPECT_DOUBLE_EQ(at(s, 40), 0.025);
  s = policy(Policy::multistep);
  s.milestones = {10, 30};
  EXPECT_DOUBLE_EQ(at(s, 9), 0.1);
  EXPECT_NEAR(at(s, 10), 0.01, 1e-15);
  EXPECT_NEAR(at(s, 30), 0.001, 1e-15);
  s = policy(Policy::exp);
  s.gamma = 0.9;
  EXPECT_NEAR(at(s, 3), 0.1 * 0.729, 1e-15);
  s = policy(Policy::inv);
  s.gamma = 0.1;
  s.power = 0.5;
  EXPECT_NEAR(at(s, 30), 0.1 / 2.0, 1e-15);
  s = policy(Policy::inverse_time);
  s.gamma = 0.5;
  EXPECT_NEAR(at(s, 2), 0.05, 1e-15);
  s = policy(Policy::poly);
  s.power = 2;  // max_iter 0: the run's 100 steps
  EXPECT_NEAR(at(s, 50), 0.025, 1e-15);
  EXPECT_EQ(at(s, 100), 0.0);
  EXPECT_EQ(at(s, 150), 0.0);
  s = policy(Policy::sigmoid);
  s.gamma = -0.1;
  s.step_size = 40;
  EXPECT_NEAR(at(s, 40), 0.05, 1e-15);
  EXPECT_LT(at(s, 80), 0.01);
}

TEST(Schedule, EpochUnitHoldsWithinAnEpoch) {
  auto s = policy(Policy::step, ScheduleUnit::epoch);
  s.step_size = 2;
  auto sched = make_schedule(s, 0.1, 100, 10);
  EXPECT_DOUBLE_EQ(sched->lr(199, 1), 0.1);
  EXPECT_NEAR(sched->lr(200, 2), 0.01, 1e-15);
}

TEST(Schedule, CosineRestartsCyclicOneCycle) {
  auto s = policy(Policy::cosine);
  s.min_lr = 0.01;  // t_max 0: the run's 100 steps
  EXPECT_NEAR(at(s, 50), 0.055, 1e-12);
  EXPECT_NEAR(at(s, 100), 0.01, 1e-12);
  s = policy(Policy::cosine_restarts);
  s.t_0 = 10;
  s.t_mult = 2;
  EXPECT_DOUBLE_EQ(at(s, 10), 0.1);  // restart after 10, then 20, 40
  EXPECT_DOUBLE_EQ(at(s, 30), 0.1);
  EXPECT_NEAR(at(s, 20), 0.05, 1e-12);
  s = policy(Policy::cyclic);
  s.min_lr = 0.01;
  s.max_lr = 0.11;
  s.step_size_up = 5;
  EXPECT_NEAR(at(s, 0), 0.01, 1e-15);
  EXPECT_NEAR(at(s, 5), 0.11, 1e-15);
  EXPECT_NEAR(at(s, 10), 0.01, 1e-15);
  s.cyclic_mode = CyclicMode::triangular2;
  EXPECT_NEAR(at(s, 15), 0.06, 1e-15);
  s = policy(Policy::one_cycle);
  s.max_lr = 1.0;
  EXPECT_NEAR(at(s, 0), 1.0 / 25, 1e-15);
  EXPECT_NEAR(at(s, 29), 1.0, 1e-15);
  EXPECT_NEAR(at(s, 99), 1.0 / 25 / 1e4, 1e-15);
  EXPECT_NEAR(at(s, 500), 1.0 / 25 / 1e4, 1e-15);  // held past the end
}

TEST(Schedule, WarmupInFrontOfAnyPolicy) {
  auto s = policy(Policy::step);
  s.step_size = 10;
  s.warmup_steps = 4;
  s.warmup_start_factor = 0.2;
  EXPECT_NEAR(at(s, 0), 0.02, 1e-15);
  EXPECT_NEAR(at(s, 2), 0.06, 1e-15);
  EXPECT_NEAR(at(s, 4), 0.1, 1e-15);    // the policy's t = 0
  EXPECT_NEAR(at(s, 14), 0.01, 1e-15);  // its first decay, 10 steps after the warm-up
  s = policy(Policy::step, ScheduleUnit::epoch);
  s.step_size = 1;
  s.warmup_epochs = 2;
  s.warmup_start_factor = 0.0;
  auto sched = make_schedule(s, 0.1, 10, 10);
  EXPECT_EQ(sched->lr(5, 0), 0.0);
  EXPECT_NEAR(sched->lr(15, 1), 0.05, 1e-15);  // ramped once per epoch
  EXPECT_NEAR(sched->lr(20, 2), 0.1, 1e-15);
  EXPECT_NEAR(sched->lr(30, 3), 0.01, 1e-15);
}

TEST(Schedule, PlateauPatienceCooldownMinLr) {
  auto s = policy(Policy::plateau);
  s.patience = 1;
  s.cooldown = 1;
  s.factor = 0.1;
  s.min_lr = 0.002;
  s.min_delta = 0;
  auto sched = make_schedule(s, 0.1, 10, 10);
  EXPECT_EQ(sched->observe(0, EpochMetrics{.val_loss = 1.0}), "");
  EXPECT_EQ(sched->observe(1, EpochMetrics{.val_loss = 1.0}), "");  // 1 bad epoch: within patience
  const std::string line = sched->observe(2, EpochMetrics{.val_loss = 1.1});
  EXPECT_EQ(line, "epoch 3: val_loss 1.1 did not improve on 1 for 2 epochs; lr 0.1 -> 0.01");
  EXPECT_NEAR(sched->lr(0, 3), 0.01, 1e-15);
  EXPECT_EQ(sched->observe(3, EpochMetrics{.val_loss = 1.2}), "");  // cooldown
  EXPECT_EQ(sched->observe(4, EpochMetrics{.val_loss = 1.2}), "");
  EXPECT_NE(sched->observe(5, EpochMetrics{.val_loss = 1.2}), "");
  EXPECT_NEAR(sched->lr(0, 6), 0.002, 1e-15);  // clamped at min_lr
  const auto state = sched->state();
  auto again = make_schedule(s, 0.1, 10, 10);
  again->load_state(state);
  EXPECT_EQ(again->lr(0, 6), sched->lr(0, 6));
  EXPECT_THROW(sched->observe(6, EpochMetrics{.train_loss = 1.0}), Error);  // no val_loss measured
  s.monitor = Metric::val_acc;  // auto: higher is better
  auto acc = make_schedule(s, 0.1, 10, 10);
  acc->observe(0, EpochMetrics{.val_acc = 0.5});
  acc->observe(1, EpochMetrics{.val_acc = 0.6});
  EXPECT_EQ(acc->observe(2, EpochMetrics{.val_acc = 0.7}), "");
}

TEST(Schedule, ValidationAcrossKeys) {
  EXPECT_NE(policy_error("cosin").find("did you mean 'cosine'"), std::string::npos);
  EXPECT_NE(policy_error("nope").find("schedule.policy"), std::string::npos);
  Config c;
  c.schedule.policy = Policy::multistep;
  EXPECT_NE(problem(c).find("needs schedule.milestones"), std::string::npos);
  c.schedule.milestones = {5, 5};
  EXPECT_NE(problem(c).find("strictly increasing"), std::string::npos);
  c.schedule.milestones = {5};
  c.schedule.gamma = 0;
  EXPECT_EQ(config_problem(c).first, "schedule.gamma");
  c = Config{};
  c.schedule.policy = Policy::poly;
  c.schedule.power = -1;
  EXPECT_EQ(config_problem(c).first, "schedule.power");
  c = Config{};
  c.schedule.policy = Policy::cyclic;
  c.schedule.max_lr = 0.001;
  c.schedule.min_lr = 0.01;
  EXPECT_NE(problem(c).find("cyclic needs max_lr > min_lr"), std::string::npos);
  c = Config{};
  c.schedule.policy = Policy::one_cycle;
  EXPECT_EQ(config_problem(c).first, "schedule.max_lr");
  c.schedule.max_lr = 1;
  c.schedule.pct_start = 1.5;
  EXPECT_EQ(config_problem(c).first, "schedule.pct_start");
  c = Config{};
  c.schedule.warmup_steps = 5;
  c.schedule.warmup_epochs = 1;
  EXPECT_EQ(config_problem(c).first, "schedule.warmup_steps");
  c.schedule.warmup_steps = -1;
  c.schedule.warmup_epochs = 0;
  EXPECT_EQ(config_problem(c).first, "schedule.warmup_steps");
  c = Config{};
  c.train.batch_size_milestones = {2, 4};
  c.train.batch_sizes = {256};
  EXPECT_EQ(config_problem(c).first, "train.batch_sizes");
  EXPECT_EQ(config_problem(Config{}).first, "");
}

TEST(Schedule, BatchSizeScheduleAndLrScaling) {
  Config c;
  c.train.batch_size = 128;
  c.train.batch_size_milestones = {3, 6};
  c.train.batch_sizes = {256, 512};
  EXPECT_EQ(batch_size_at(c.train, 0), 128);
  EXPECT_EQ(batch_size_at(c.train, 3), 256);
  EXPECT_EQ(batch_size_at(c.train, 5), 256);
  EXPECT_EQ(batch_size_at(c.train, 9), 512);
  EXPECT_EQ(max_batch_size(c.train), 512);
  EXPECT_EQ(lr_scale(c, 512), 1.0);
  c.optimizer.lr_scaling = LrScaling::linear;
  EXPECT_EQ(lr_scale(c, 512), 4.0);
  c.optimizer.lr_scaling = LrScaling::sqrt;
  EXPECT_EQ(lr_scale(c, 512), 2.0);
  EXPECT_EQ(lr_scale(c, 128), 1.0);
}

// With train.batch_sizes the run's length in steps is the sum of every epoch's steps (it was
// epochs × the first epoch's, so step-unit schedules such as cosine with t_max = 0 and one_cycle
// ended in the wrong place).
TEST(Schedule, StepLengthFollowsTheBatchSizeSchedule) {
  TrainConfig t;
  t.epochs = 4;
  t.batch_size = 10;
  t.batch_size_milestones = {2};
  t.batch_sizes = {20};
  EXPECT_EQ(steps_per_epoch_of_run(t, 100), (std::vector<Index>{10, 10, 5, 5}));
  EXPECT_EQ(steps_per_epoch_of_run(t, 95), (std::vector<Index>{10, 10, 5, 5}));
  const std::vector<Index> run = steps_per_epoch_of_run(t, 100);  // 30 updates
  ScheduleConfig s;
  s.policy = Policy::cosine;
  s.unit = ScheduleUnit::step;
  s.min_lr = 0.001;
  auto cosine = make_schedule(s, 0.1, run);
  EXPECT_NEAR(cosine->lr(15, 2), 0.0505, 1e-12);  // halfway through 30 updates, not 40
  EXPECT_NEAR(cosine->lr(30, 3), 0.001, 1e-15);
  s.policy = Policy::one_cycle;
  s.max_lr = 0.5;
  auto one_cycle = make_schedule(s, 0.1, run);
  EXPECT_NEAR(one_cycle->lr(29, 3), 0.5 / 25.0 / 1e4, 1e-15);  // the last update ends the cycle
  EXPECT_GT(make_schedule(s, 0.1, 10, 4)->lr(29, 3), 1e-3);      // 40 steps assumed: far from its end
  // warmup_epochs = 3 spans 10 + 10 + 5 = 25 updates; the policy starts after them.
  ScheduleConfig w;
  w.policy = Policy::step;
  w.unit = ScheduleUnit::step;
  w.step_size = 3;
  w.gamma = 0.5;
  w.warmup_epochs = 3;
  auto warm = make_schedule(w, 0.1, run);
  EXPECT_LT(warm->lr(24, 2), 0.1);
  EXPECT_DOUBLE_EQ(warm->lr(25, 3), 0.1);
  EXPECT_DOUBLE_EQ(warm->lr(28, 3), 0.05);
  // A constant batch gives the same schedule either way.
  t.batch_size_milestones.clear();
  t.batch_sizes.clear();
  EXPECT_DOUBLE_EQ(make_schedule(s, 0.1, steps_per_epoch_of_run(t, 100))->lr(17, 1),
                   make_schedule(s, 0.1, 10, 4)->lr(17, 1));
}
