// The Trainer's step pipeline as a library user sees it: the events arrive in the documented
// order and number, grads_ready is the one point where the whole step's gradients can be changed
// before the update (what a data-parallel all-reduce needs), and a callback can stop the run.
#include "gradnet/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "configs.h"
#include "gradnet/train/checkpoint.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;

Config tiny(const std::vector<std::string>& overrides = {}) {
  // 1800 training examples, batch 64: 29 steps per epoch, 2 epochs.
  return parse_config(testing::tiny_mnist_config(testing::mnist_dir()), "tiny.toml", overrides);
}

struct Quiet : TrainCallbacks {};

// Writes one letter per event: R record, B run begin, E epoch begin, l loss, b backward, g grads
// ready, u update, s step end, e epoch end, T train end, X run end.
struct Recorder : TrainerCallback {
  std::string events;
  Index last_step = 0;
  bool steps_in_order = true;
  void on_record(Trainer&, RecordEvent&) override { events += 'R'; }
  void on_run_begin(Trainer&) override { events += 'B'; }
  void on_epoch_begin(Trainer&, std::int64_t, Index, Index) override { events += 'E'; }
  void after_loss(Trainer&, const StepEvent&) override { events += 'l'; }
  void after_backward(Trainer&, const StepEvent&) override { events += 'b'; }
  void on_grads_ready(Trainer&, const StepEvent&) override { events += 'g'; }
  void after_update(Trainer&, const StepEvent&) override { events += 'u'; }
  void on_step_end(Trainer& t, const StepEvent& e) override {
    events += 's';
    steps_in_order = steps_in_order && e.step == last_step + 1 && t.state().step == e.step;
    last_step = e.step;
  }
  void on_epoch_end(Trainer&, const EpochRecord&) override { events += 'e'; }
  void on_train_end(Trainer&) override { events += 'T'; }
  void on_run_end(Trainer&, const Summary&) override { events += 'X'; }
};

TEST(Trainer, EventsComeInTheDocumentedOrder) {
  TempDir tmp;
  TrainOptions options;
  options.out_dir = tmp / "run";
  Trainer trainer(tiny(), options);
  Quiet quiet;
  add_standard_callbacks(trainer, quiet);
  Recorder rec;
  trainer.add_callback(rec);
  const Summary s = trainer.run();
  std::string epoch = "E";
  for (int i = 0; i < 29; ++i) epoch += "lbgus";
  epoch += "Re";
  EXPECT_EQ(rec.events, "RB" + epoch + epoch + "TX");
  EXPECT_TRUE(rec.steps_in_order);
  EXPECT_EQ(s.steps, 58);
  EXPECT_EQ(s.epochs, 2);
}

// Zeroing every gradient at grads_ready leaves the weights where init put them: the hook runs after
// backward and before the optimizer, on the complete gradients of the step.
struct ZeroGrads : TrainerCallback {
  Index seen = 0;
  void on_grads_ready(Trainer& t, const StepEvent&) override {
    for (Param<float>* p : t.net().params()) p->grad.fill(0.0f);
    ++seen;
  }
};

TEST(Trainer, GradsReadyComesBeforeTheUpdate) {
  TempDir tmp;
  TrainOptions options;
  options.out_dir = tmp / "run";
  Trainer trainer(tiny({"train.epochs=1"}), options);
  std::vector<std::vector<float>> before;
  for (Param<float>* p : trainer.net().params()) before.push_back(p->value.to_vector());
  ZeroGrads zero;
  trainer.add_callback(zero);
  trainer.run();
  EXPECT_EQ(zero.seen, 29);
  std::size_t k = 0;
  for (Param<float>* p : trainer.net().params()) EXPECT_EQ(p->value.to_vector(), before[k++]) << p->name;
}

// A callback stops the run cleanly after an epoch (a search trial's pruning): the epoch's
// callbacks finish, the last checkpoint is written, the summary says why.
struct StopAfterFirstEpoch : TrainerCallback {
  void on_epoch_end(Trainer& t, const EpochRecord& r) override {
    if (r.epoch == 1) t.request_stop("pruned after epoch 1");
  }
};

TEST(Trainer, ACallbackCanStopTheRun) {
  TempDir tmp;
  TrainOptions options;
  options.out_dir = tmp / "run";
  Trainer trainer(tiny({"train.epochs=5"}), options);
  Quiet quiet;
  StopAfterFirstEpoch stop;
  trainer.add_callback(stop);  // before the checkpointer: it sees the request
  add_standard_callbacks(trainer, quiet);
  const Summary s = trainer.run();
  EXPECT_EQ(s.epochs, 1);
  EXPECT_EQ(s.stopped_early, "pruned after epoch 1");
  EXPECT_EQ(latest_checkpoint(options.out_dir), options.out_dir + "/checkpoints/step-00000029.safetensors");
  const nlohmann::json summary = nlohmann::json::parse(testing::read_file(options.out_dir + "/summary.json"));
  EXPECT_EQ(summary["status"], "ok");
  EXPECT_EQ(summary["stopped_early"], "pruned after epoch 1");
}

}  // namespace
}  // namespace gradnet
