// Training, as a library call and as an object with a step pipeline.
//
//   gradnet::train(config, options, callbacks) -> Summary: the whole run (the CLI is a thin shell
//   around it; search trials call it in-process). It builds a Trainer, adds the standard
//   callbacks (metrics.jsonl and summary.json, monitors, divergence guard, checkpoints, best
//   weights, early stopping, the caller's progress callbacks) and runs it.
//
//   Trainer: prepare (in the constructor) -> run(): the step-0 record, then epochs of
//   (shuffle, gather, augment, TrainStep: forward/backward -> grads_ready -> update), validation
//   per epoch, the final evaluation, model.safetensors. Everything else is a TrainerCallback
//   (train/callback.h lists the events). Data, shapes and the net are checked before the run
//   directory exists, so a bad config or dataset leaves nothing behind.
#pragma once

#include <atomic>

#include "gradnet/dist.h"
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/net.h"
#include "gradnet/train/callback.h"
#include "gradnet/train/init_from.h"
#include "gradnet/train/profile.h"

namespace gradnet {

// One layer of the net as the start of a run lists it.
struct LayerSummary {
  std::string name;   // layers.<i>
  std::string type;   // linear, conv2d, ...
  Shape output;       // per example
  Index parameters = 0;
};

// What a run starts from: the CLI prints it as a short header (the whole config is in
// run_dir/config.toml).
struct TrainStart {
  std::string run_dir;
  std::string resolved_config;   // the TOML written to run_dir/config.toml
  Index train_examples = 0, val_examples = 0, test_examples = 0;
  Index classes = 0;
  Index parameters = 0;
  int threads = 1;
  std::uint64_t seed = 0;
  double initial_train_loss = 0;  // step 0, before any update: ≈ ln(classes) with small init
  Index steps_per_epoch = 0;
  Shape input;                        // model.input
  std::vector<LayerSummary> layers;
  std::string training;               // optimizer, lr, schedule, batch, epochs in one line
  std::vector<std::string> changed;   // "optimizer.lr = 0.1": the keys that differ from the defaults
  // A resumed run: the checkpoint it continues and where that left off; resumed_from "" when fresh.
  std::string resumed_from;
  std::int64_t start_epoch = 0;       // epochs complete in the checkpoint
  Index start_step = 0;
  bool mid_epoch = false;             // the checkpoint was written inside epoch start_epoch + 1
  std::int64_t epochs = 0;            // train.epochs: where this run ends
  std::vector<std::string> notes;     // `gradnet: note:` lines (train.init_from's report)
};

struct StepProgress {
  std::int64_t epoch = 0, epochs = 0;       // epoch counts from 1
  Index step_in_epoch = 0, steps_per_epoch = 0, global_step = 0;
  double mean_loss = 0;                      // running mean over this epoch's steps
  double epoch_elapsed = 0;                  // seconds
  Index examples_done = 0;                   // in this epoch
};

struct EpochRecord {
  std::int64_t epoch = 0;   // 0: the step-0 record written before training
  Index step = 0;           // global step at the end of the epoch
  double lr = 0;
  double train_loss = 0, train_acc = 0;  // running means over the epoch's batches (epoch 0: full pass)
  double val_loss = 0, val_acc = 0;      // NaN when there is no validation split
  double seconds = 0;                    // training time of the epoch, evaluation excluded
  double examples_per_second = 0;
  std::string note;                      // the schedule's decision this epoch (plateau), "" if none
};

class TrainCallbacks {
 public:
  virtual ~TrainCallbacks() = default;
  virtual void on_warning(const std::string&) {}   // e.g. an exploding loss with divergence.action = "warn"
  virtual void on_start(const TrainStart&) {}
  virtual void on_step(const StepProgress&) {}
  virtual void on_epoch(const EpochRecord&) {}
};

struct TrainOptions {
  std::string out_dir;      // empty: runs/<name>-<UTC timestamp>/ under the working directory
  std::string config_dir;   // where relative data paths are resolved ("" = the config's own dir)
  std::string resume_dir;   // continue this run directory from its newest checkpoint
  bool profile = false;     // time every part of the run: Summary::profile, run_dir/profile.json
  // Set from another thread to a signal's number: SIGINT/SIGTERM finish the current step,
  // checkpoint and stop (train() throws Interrupted); SIGHUP checkpoints and goes on (reset to 0).
  std::atomic<int>* signal_flag = nullptr;
  // Data-parallel training (docs/scaling.md): this process is one rank of comm; each takes its
  // shard of every batch, and only rank 0 writes out_dir (the others write into a private
  // temporary directory, removed at the end). nullptr: a single process.
  Communicator* comm = nullptr;
  // --reshard: resume a checkpoint written by another number of ranks (refused otherwise).
  bool reshard = false;
};

// Thrown by train() after a SIGINT/SIGTERM checkpoint; the run directory says "interrupted".
struct Interrupted {
  int signal;
  std::string checkpoint;
};

// Averaged weights evaluated at the end of a run (train.ema_decay, train.swa_start).
struct AveragedResult {
  std::string kind;   // "ema" or "swa"
  std::string path;   // RUNDIR/ema.safetensors, RUNDIR/swa.safetensors
  Index averaged = 0; // updates (ema) or epoch-end models (swa) in the average
  double test_accuracy = 0, test_loss = 0;
  double val_accuracy = std::numeric_limits<double>::quiet_NaN(), val_loss = std::numeric_limits<double>::quiet_NaN();
};

struct Summary {
  std::string run_dir;
  double test_accuracy = 0, test_loss = 0;
  double val_accuracy = 0, val_loss = 0;   // NaN without a validation split
  double train_loss = 0, train_accuracy = 0;
  double initial_loss = 0;
  std::int64_t epochs = 0;
  Index steps = 0;
  std::vector<double> epoch_seconds;
  Index parameters = 0;
  int threads = 1;
  double total_seconds = 0;  // wall-clock; a resumed run counts its earlier segments in
  std::string stopped_early;  // why early stopping ended the run ("" if it ran every epoch; null in JSON)
  std::optional<RunProfile> profile;  // with TrainOptions::profile
  std::string started_at, finished_at;  // UTC ISO-8601: this process's training (a resume starts anew)
  std::vector<AveragedResult> averaged;  // EMA, SWA: evaluated beside the raw weights
  std::optional<InitReport> init_from;   // with train.init_from: what was loaded (init_from.h)
};

Summary train(const Config& config, const TrainOptions& options, TrainCallbacks& callbacks);

class Trainer;
// The callbacks train() adds to every Trainer, in order: divergence guard, monitors, metrics.jsonl
// and summary.json, the caller's progress (which must outlive the run), best checkpoint, early
// stopping, parameter averaging (with train.ema_decay or train.swa_start), step checkpoints and
// signals (src/train/run_callbacks.h says why in that order). A caller that wants its own
// callbacks too (a search trial's pruning) adds them after these.
void add_standard_callbacks(Trainer& trainer, TrainCallbacks& progress);

struct TrainState;
struct Splits;
class RunDir;
template <typename T>
class Optimizer;

class Trainer {
 public:
  // Prepares the run: sets the thread count, loads and normalizes the data, checks shapes, builds
  // and initialises the net, the optimizer and the schedule, restores options.resume_dir's newest
  // checkpoint, then creates (or reopens) the run directory and writes config.toml. Error{...}
  // for any bad input, before anything is written.
  Trainer(const Config& config, const TrainOptions& options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Callbacks run in the order added; the trainer does not own the first kind.
  void add_callback(TrainerCallback& callback);
  void add_callback(std::unique_ptr<TrainerCallback> callback);

  // The run (see callback.h for the events). Throws Interrupted after a signal's checkpoint and
  // Error when the run fails (summary.json then says so; metrics and checkpoints stay).
  Summary run();

  // What callbacks read and steer.
  const Config& config() const;              // as run: data paths absolute
  const TrainOptions& options() const;
  const std::string& resolved_config() const;  // config.toml's text
  Net<float>& net();
  Optimizer<float>& optimizer();
  TrainState& state();                       // counters, sums, best/early-stopping state (checkpointed)
  RunDir& run_dir();
  const std::string& run_path() const;
  const Splits& splits() const;
  Index classes() const;
  int threads() const;
  bool resumed() const;                      // continues a checkpoint
  const std::string& resumed_from() const;   // that checkpoint's path ("" for a fresh run)
  bool full_batch() const;                   // L-BFGS: one step per epoch on the whole training set
  Index steps_per_epoch() const;             // of the first epoch (the batch size may change later)
  Index epoch_steps() const;                 // steps of the epoch under way
  Index epoch_step() const;                  // of which done so far
  Index epoch_position() const;              // rows of the epoch under way trained on so far
  bool at_epoch_end() const;                 // the epoch's last batch has been trained on
  double epoch_seconds() const;              // the epoch's training time so far, resumed part included
  std::string write_checkpoint(Index position);  // checkpoints/step-<N>.safetensors, atomically; its path
  void request_stop(const std::string& reason);  // end after this epoch's callbacks (early stopping)
  bool stop_requested() const;
  void warn(const std::string& message);     // on_warning to every callback
  void mark_failed(const std::string& status, const std::string& message);  // summary.json
  Summary& summary();                        // the run's results so far (on_train_end may add to them)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradnet
