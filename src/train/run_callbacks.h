// The callbacks gradnet::train() adds to every Trainer, in this order (the order matters: the
// monitor fills a record before the metrics writer writes it; early stopping decides before the
// checkpointer writes; the divergence guard's counter is checkpointed):
//   DivergenceCallback  a non-finite loss, gradient or weight stops the run; an exploding loss
//                       stops it or warns (src/train/guard.h)
//   MonitorCallback     the TrainingMonitor (update ratios, norms, activations, histograms)
//   MetricsWriter       metrics.jsonl records, summary.json
//   ProgressCallback    the caller's TrainCallbacks (on_start, on_step, on_epoch, on_warning)
//   BestCheckpoint      checkpoints/best.safetensors by checkpoint.monitor
//   EarlyStopping       early_stopping.*, with restore_best_weights
//   Checkpointer        step-0, every_epochs, every_steps and last checkpoints; signals
#pragma once

#include <memory>

#include "gradnet/train/trainer.h"

namespace gradnet {

// Adds the standard callbacks above to trainer; progress is the caller's (it must outlive the run).
void add_standard_callbacks(Trainer& trainer, TrainCallbacks& progress);

}  // namespace gradnet
