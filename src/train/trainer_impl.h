// Private to src/train: the Trainer's state (trainer.h), shared by the run loop (trainer.cpp) and
// the public methods that callbacks call (trainer_api.cpp).
#pragma once

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradnet/data/augment.h"
#include "gradnet/data/batcher.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/schedule.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/step.h"
#include "gradnet/train/trainer.h"
#include "run_dir.h"

namespace gradnet {
namespace trainer_detail {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace trainer_detail

struct Trainer::Impl : StepObserver {
  using Clock = trainer_detail::Clock;
  Trainer& self;
  Clock::time_point t_start = Clock::now();
  std::time_t started_at = std::time(nullptr);  // summary.json's started_at
  TrainOptions options;
  int threads = 1;
  PreparedData data;
  bool has_val = false, full_batch = false;
  bool resuming = false;  // continues a checkpoint of options.resume_dir
  Index max_batch = 0, steps_per_epoch = 0;
  std::unique_ptr<Net<float>> net;
  std::unique_ptr<Optimizer<float>> optimizer;
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<TrainStep> step;
  std::unique_ptr<Augmenter> augmenter;
  Rng augment_rng;
  std::vector<float> aug_x;  // a copy of the batch that augmentation changes (the dataset never)
  std::vector<float> noisy_x;  // train.input_noise: the corrupted copy the net reads (the target stays clean)
  TrainState st;
  std::string resumed_from;
  Index start_step = 0;
  double seconds_before_start = 0;  // run_seconds of the checkpoint resumed from  // st.step when this process started (after a resume: the checkpoint's)
  std::optional<RunDir> run;
  std::string resolved;
  std::vector<TrainerCallback*> callbacks;
  std::vector<std::unique_ptr<TrainerCallback>> owned;
  Summary summary;
  std::optional<RunProfile> prof;  // with options.profile
  std::string stop_reason;
  std::string unfrozen;  // layers train.unfreeze released at the start of this epoch, for its record
  bool stop = false;
  // The epoch under way.
  double scale = 1, lr = 0;
  Index epoch_steps = 0;
  Index step_in_epoch = 0;  // steps of this epoch done
  Clock::time_point t0;
  double seconds_before = 0;
  std::vector<std::int32_t> predicted;
  StepEvent event;  // the step under way
  bool stepping = false;  // inside train_batch: an error there is event.step's (summary.json's "step")

  // Data parallelism: this rank's rows of the batch under way, and the correct predictions counted
  // on them since the ranks last summed their counts (sync_correct).
  Index shard_first = 0, shard_rows = 0;
  Index unsynced_correct = 0;
  std::string private_dir;  // a rank > 0's run directory, removed with the Trainer

  explicit Impl(Trainer& t) : self(t) {}
  ~Impl();
  bool distributed() const { return options.comm && options.comm->size() > 1; }
  bool writer() const { return !options.comm || options.comm->is_root(); }
  void sync_correct();
  void sync_buffers();

  void prepare(const Config& given);
  void build_model();
  void resume();
  void check_resume_target() const;
  void begin_run();
  void run_epoch(std::int64_t epoch);
  double rate(std::int64_t epoch);  // this update's learning rate
  void begin_epoch(std::int64_t epoch);
  void train_batch(Batch& b, std::int64_t epoch);
  ConstView<float> corrupt(ConstView<float> x);  // train.input_noise on a copy of x
  void end_epoch(std::int64_t epoch);
  Summary finish();
  void record(const EpochRecord& r);

  template <typename F>
  void each(F&& f) {
    if (!prof) {
      for (TrainerCallback* c : callbacks) f(*c);
      return;
    }
    if (prof->callbacks.size() != callbacks.size()) start_profile_callbacks();
    for (std::size_t k = 0; k < callbacks.size(); ++k) {
      const auto t0 = Clock::now();
      f(*callbacks[k]);
      prof->callbacks[k].second += trainer_detail::seconds_since(t0);
    }
  }
  void start_profile_callbacks() {
    for (std::size_t k = prof->callbacks.size(); k < callbacks.size(); ++k)
      prof->callbacks.emplace_back(std::string(callbacks[k]->name()), 0.0);
  }
  void start_profile();
  EvalResult evaluate_split(const Dataset& d);  // timed apart from training, with the net's timing off
  double profiled_seconds() const;             // net and callback time so far

  // StepObserver: the trainer's own bookkeeping, then the callbacks.
  bool after_loss(double loss) override {
    event.loss = loss;
    each([&](TrainerCallback& c) { c.after_loss(self, event); });
    return true;
  }
  void after_backward() override {
    each([&](TrainerCallback& c) { c.after_backward(self, event); });
  }
  void grads_ready() override {
    if (!full_batch && !net->reconstructs()) {  // L-BFGS's epoch accuracy is measured after its step instead
      Index correct = 0, row = 0;
      for (int shard = 0; shard < step->output_shards(); ++shard) {  // thread shards: in row order
        const ConstView<float> out = step->output(shard);
        argmax_rows(out, predicted.data());
        for (Index i = 0; i < out.rows; ++i, ++row) correct += predicted[i] == current_labels[row] ? 1 : 0;
      }
      GRADNET_ASSERT(row == shard_rows);
      (distributed() ? unsynced_correct : st.correct) += correct;
    }
    each([&](TrainerCallback& c) { c.on_grads_ready(self, event); });
  }
  void after_update(double loss) override {
    event.loss = loss;
    each([&](TrainerCallback& c) { c.after_update(self, event); });
  }
  const std::int32_t* current_labels = nullptr;
};

}  // namespace gradnet
