// TrainingMonitor: watches a run the way the course notes ask (docs/monitoring.md).
//   every monitor.every_steps steps: per param ‖Δw‖/‖w‖ (the update/param ratio, ~1e-3 is
//     healthy), ‖w‖, ‖g‖, the lr, the batch loss and examples/s -> steps.jsonl, TensorBoard;
//   every monitor.activation_every_steps steps: per layer output mean, std, saturated share
//     (sigmoid/tanh) and dead share (relu);
//   at monitor.histogram_epochs: histograms of weights, gradients and activations
//     -> histograms.jsonl, TensorBoard, and the first layer's weights as an image grid;
//   per epoch: the epoch means of all that and warnings, for the epoch's metrics.jsonl record.
//
// The trainer calls, for each training step with global number `step` (1, 2, ...):
//   begin_epoch(epoch, steps_done, steps_in_epoch)      once before the epoch's first step
//   after_forward(step)      after forward + loss (the layers' outputs are in net.activation(i))
//   after_backward(step)     after backward (the grads are in the params), before any clipping
//   before_update(step)      just before the optimizer changes the params
//   after_update(step, lr, loss, examples)   just after
//   end_epoch(record)        once per metrics.jsonl record (epoch 0 too), before it is written
//   finish()                 after the last epoch: first_layer.png, files closed
// Each step hook tests `step` against the sampling periods first and returns at once on an
// unsampled step: no allocation, no pass over the params. The hooks only need before_update to
// come before the update and after_update to come last; each works once per step number (an
// optimizer that re-evaluates the loss, like L-BFGS, may call after_forward/after_backward from
// its closure several times: the first evaluation counts).
// With monitor.enabled = false every hook returns at once and end_epoch returns "{}".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/net.h"
#include "gradnet/train/trainer.h"

namespace gradnet {

struct MonitorEpochReport {
  // A JSON object to merge into the epoch's metrics.jsonl record: {"layers": {...},
  // "activations": {...}, "warnings": [...]} (each part only when it has something); "{}" when
  // monitoring is off.
  std::string json = "{}";
  std::vector<std::string> warnings;  // this epoch's warnings (also in json), e.g. for stderr
};

class TrainingMonitor {
 public:
  // Allocates every buffer (weight snapshots, statistics) here; opens run_dir/steps.jsonl,
  // run_dir/histograms.jsonl and, with monitor.tensorboard, a new
  // run_dir/tensorboard/events.out.tfevents.* file. net must outlive the monitor.
  // resume_step >= 0: a resumed run that continues after that many updates; the JSONL files keep
  // their lines up to that step and are appended to (else they start empty).
  // Error{runtime} when a file cannot be created.
  TrainingMonitor(const Config& config, Net<float>& net, const std::string& run_dir, Index resume_step = -1);
  ~TrainingMonitor();  // flushes what was written; never throws
  TrainingMonitor(const TrainingMonitor&) = delete;
  TrainingMonitor& operator=(const TrainingMonitor&) = delete;

  bool enabled() const { return impl_ != nullptr; }

  // epoch counts from 1; steps_done: updates before this epoch; steps_in_epoch: this epoch's
  // steps (the last one also takes the gradient and activation histograms of a histogram epoch).
  void begin_epoch(std::int64_t epoch, Index steps_done, Index steps_in_epoch);
  void after_forward(Index step);
  void after_backward(Index step);
  void before_update(Index step);
  // lr: the rate used by this update; loss: the batch's mean loss; examples: the batch's rows.
  void after_update(Index step, double lr, double loss, Index examples);
  // record: the epoch's metrics (epoch 0: the step-0 record). Writes the epoch's TensorBoard
  // scalars (train/loss, train/acc, val/loss, val/acc, examples_per_second), weight histograms
  // and the weight image at histogram epochs, and flushes the files.
  MonitorEpochReport end_epoch(const EpochRecord& record);
  // Writes run_dir/first_layer.png (when the first layer's weights make an image) and closes the
  // files. Call once, after the last epoch.
  void finish();
  // Flushes steps.jsonl, histograms.jsonl and the event file: before a checkpoint, so that what a
  // checkpoint covers is on disk when it is (a resume keeps the lines up to its step).
  void flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradnet
