// The config schema's run sections: [checkpoint], [early_stopping], [divergence], [monitor]
// (see schema.cpp for the rest and schema_builder.h for how a key is declared).
#include <string>

#include "schema_builder.h"

namespace gradnet::config_schema {

namespace {
}  // namespace

void data_parallel_keys(Section v) {
  const auto t = &Config::train;
  using T = TrainConfig;
  v.add(field("train", t, &T::sync_batch_norm, "sync_batch_norm", K::boolean,
              "mpirun -np N gradnet train: batch norm's batch statistics over the whole global batch (every rank's "
              "rows, two small all-reduces per layer and step; the result of one process) instead of each rank's "
              "own rows (false); no effect in a single process (docs/scaling.md)"));
}

void checkpoint_keys(Section v) {
  const auto c = &Config::checkpoint;
  using C = CheckpointConfig;
  v.add(field("checkpoint", c, &C::every_epochs, "every_epochs", K::integer,
              "write checkpoints/step-<N>.safetensors every this many epochs; 0: never").at_least(0));
  v.add(field("checkpoint", c, &C::every_steps, "every_steps", K::integer,
              "also every this many steps (updates); 0: never").at_least(0));
  v.add(field("checkpoint", c, &C::keep_last, "keep_last", K::integer,
              "how many step-* checkpoints to keep; 0: every one (for a snapshot ensemble, `gradnet eval RUNDIR "
              "--snapshots`)")
            .at_least(0));
  v.add(field("checkpoint", c, &C::keep_best, "keep_best", K::boolean,
              "keep checkpoints/best.safetensors, the weights at the best `monitor` value (checked per epoch)"));
  v.add(field("checkpoint", c, &C::monitor, "monitor", K::string, "the metric that decides the best checkpoint (without a validation split, val_* follows train_*)"));
  v.add(field("checkpoint", c, &C::mode, "mode", K::string, "auto (acc: higher is better, loss: lower), min or max"));
}

void early_stopping_keys(Section v) {
  const auto e = &Config::early_stopping;
  using E = EarlyStoppingConfig;
  v.add(field("early_stopping", e, &E::enabled, "enabled", K::boolean, "stop when `monitor` stops improving"));
  v.add(field("early_stopping", e, &E::monitor, "monitor", K::string, "the metric watched, once per epoch"));
  v.add(field("early_stopping", e, &E::mode, "mode", K::string, "auto (acc: max, loss: min), min or max"));
  v.add(field("early_stopping", e, &E::patience, "patience", K::integer,
              "epochs without an improvement before stopping").at_least(0));
  v.add(field("early_stopping", e, &E::min_delta, "min_delta", K::number,
              "the smallest change that counts as an improvement").at_least(0));
  v.add(field("early_stopping", e, &E::restore_best_weights, "restore_best_weights", K::boolean,
              "end with the weights of the best epoch instead of the last"));
  v.add(field("early_stopping", e, &E::start_from_epoch, "start_from_epoch", K::integer,
              "epochs to train before early stopping may act").at_least(0));
}

void divergence_keys(Section v) {
  const auto d = &Config::divergence;
  using D = DivergenceConfig;
  v.add(field("divergence", d, &D::check_every, "check_every", K::integer,
              "steps per explosion check (non-finite values are checked every step)").at_least(1));
  v.add(field("divergence", d, &D::explode_factor, "explode_factor", K::number,
              "the loss explodes when its mean over a check exceeds this times the step-0 loss").above(1));
  v.add(field("divergence", d, &D::patience, "patience", K::integer,
              "consecutive exploding checks before acting").at_least(1));
  v.add(field("divergence", d, &D::action, "action", K::string,
              "stop (exit 1, keeping metrics and the last good checkpoint) or warn"));
}

void monitor_keys(Section v) {
  const auto m = &Config::monitor;
  using M = MonitorConfig;
  v.add(field("monitor", m, &M::enabled, "enabled", K::boolean,
              "watch the run (docs/monitoring.md): update/param ratios, weight and gradient norms, activation "
              "statistics, histograms; steps.jsonl, histograms.jsonl, metrics.jsonl and TensorBoard files"));
  v.add(field("monitor", m, &M::every_steps, "every_steps", K::integer,
              "steps between two samples of the update/param ratios, weight and gradient norms (steps.jsonl)")
            .at_least(1));
  v.add(field("monitor", m, &M::activation_every_steps, "activation_every_steps", K::integer,
              "steps between two samples of the activation statistics (mean, std, saturated, dead)")
            .at_least(1));
  v.add(field("monitor", m, &M::histogram_epochs, "histogram_epochs", K::int_list,
              "epochs whose weight, gradient and activation histograms are kept (0: the initial weights); "
              "empty: the first and the last epoch")
            .at_least(0));
  v.add(field("monitor", m, &M::histogram_bins, "histogram_bins", K::integer,
              "equal-width bins between a histogram's min and max").at_least(1).at_most(10000));
  v.add(field("monitor", m, &M::ratio_low, "ratio_low", K::number,
              "warn when a weight's update/param ratio ‖Δw‖/‖w‖ (epoch mean after the warm-up) is below this "
              "(the rule: ~1e-3)")
            .above(0));
  v.add(field("monitor", m, &M::ratio_high, "ratio_high", K::number,
              "warn when it is above this (judged on the median of a weight's last 5 samples)").above(0));
  v.add(field("monitor", m, &M::ratio_warmup_steps, "ratio_warmup_steps", K::integer,
              "the first N updates' ratios are recorded but not judged: a fresh init (small last-layer "
              "weights, the first steps of momentum) moves weights far faster than it will later")
            .at_least(0));
  v.add(field("monitor", m, &M::saturation_warn, "saturation_warn", K::number,
              "warn when the share of saturated sigmoid/tanh outputs or of dead (zero) relu outputs is above this")
            .at_least(0).at_most(1));
  v.add(field("monitor", m, &M::tensorboard, "tensorboard", K::boolean,
              "also write TensorBoard event files under tensorboard/"));
}

}  // namespace gradnet::config_schema
