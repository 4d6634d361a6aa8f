// gradnet::train(config, options, callbacks) -> Summary: the whole training run as one library
// call (the CLI is a thin shell around it; search trials call it in-process).
//   load data -> fit normalization on train -> build the net -> create the run directory ->
//   log step-0 losses -> epochs of (shuffle, gather, forward, loss, backward, update) ->
//   validation per epoch -> test -> model.safetensors + summary.json (both atomic).
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/config.h"

namespace gradnet {

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
  // Set asynchronously by a signal handler: SIGINT/SIGTERM finish the current step, checkpoint
  // and stop (train() throws Interrupted); SIGHUP checkpoints and goes on (the flag is reset).
  volatile std::sig_atomic_t* signal_flag = nullptr;
};

// Thrown by train() after a SIGINT/SIGTERM checkpoint; the run directory says "interrupted".
struct Interrupted {
  int signal;
  std::string checkpoint;
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
  double total_seconds = 0;
  std::string stopped_early;  // why early stopping ended the run ("" if it ran every epoch)
};

Summary train(const Config& config, const TrainOptions& options, TrainCallbacks& callbacks);

}  // namespace gradnet
