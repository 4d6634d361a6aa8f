// TrainerCallback: what a Trainer (trainer.h) tells the code that watches or steers a run. The
// trainer's own callbacks (metrics.jsonl, monitors, divergence guard, checkpoints, best weights,
// early stopping, progress) are all written against this interface (src/train/run_callbacks.*);
// so are later additions (a data-parallel all-reduce at grads_ready, a search trial's pruning at
// epoch end). Callbacks run in the order they were added; every method has an empty default.
//
// The events of one run, in order:
//   on_record(epoch 0)      the step-0 record (losses before any update), fresh runs only
//   on_run_begin            once, before the first epoch (fresh or resumed)
//   per epoch:
//     on_epoch_begin
//     per step (a global step number, counted from 1):
//       after_loss          forward + loss done (the layers' outputs are in net.activation(i))
//       after_backward      every param's grad holds the step's gradient
//       on_grads_ready      the same, the single point where gradients are complete before the
//                           update: read whole, checked, or combined across processes here
//       after_update        the optimizer has changed the params
//       on_step_end         counters advanced (TrainState::step is this step's number)
//     on_record             the epoch's metrics.jsonl record is being written
//     on_epoch_end          decisions on the epoch (best weights, early stopping, checkpoints)
//   on_train_end            after the last epoch run (or an early stop), before the final evaluation
//   on_run_end              model.safetensors is written; the summary is final
// on_warning can come at any time; before_checkpoint before each checkpoint is written. A closure optimizer (L-BFGS) runs forward/backward several
// times per step: after_loss, after_backward and on_grads_ready then fire for each evaluation
// (see train/step.h). A callback stops the run by throwing gradnet::Error (the run is then marked
// failed) or asks for a clean stop after the epoch with Trainer::request_stop().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

class Trainer;
struct EpochRecord;
struct Summary;

struct StepEvent {
  Index step = 0;            // this update's global number, from 1
  std::int64_t epoch = 0;    // from 1
  double lr = 0;             // the rate of this update
  double loss = 0;           // the batch's mean loss (set from after_loss on)
  Index rows = 0;            // examples in the batch
};

// One metrics.jsonl record as it is being written: callbacks may add fields (a JSON object's text,
// merged into the record in order) and warnings (also shown to the user).
struct RecordEvent {
  const EpochRecord& record;
  std::vector<std::string> fields;
  std::vector<std::string> warnings;
};

class TrainerCallback {
 public:
  virtual ~TrainerCallback() = default;
  virtual std::string_view name() const { return "callback"; }  // in the --profile table
  virtual void on_record(Trainer&, RecordEvent&) {}
  virtual void on_run_begin(Trainer&) {}
  virtual void on_epoch_begin(Trainer&, std::int64_t /*epoch*/, Index /*steps_done*/, Index /*steps_in_epoch*/) {}
  virtual void after_loss(Trainer&, const StepEvent&) {}
  virtual void after_backward(Trainer&, const StepEvent&) {}
  virtual void on_grads_ready(Trainer&, const StepEvent&) {}
  virtual void after_update(Trainer&, const StepEvent&) {}
  virtual void on_step_end(Trainer&, const StepEvent&) {}
  virtual void on_epoch_end(Trainer&, const EpochRecord&) {}
  virtual void on_train_end(Trainer&) {}
  virtual void on_run_end(Trainer&, const Summary&) {}
  virtual void before_checkpoint(Trainer&) {}  // a checkpoint is about to be written: flush what it covers
  virtual void on_warning(Trainer&, const std::string&) {}
};

}  // namespace gradnet
