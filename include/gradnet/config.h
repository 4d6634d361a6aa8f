// Config: one experiment, read from TOML, every key validated (unknown key with did-you-mean,
// wrong type, out of range: Error{config} naming the file and the key), defaults filled,
// --set overrides applied, and written back out whole (the run directory's config.toml).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradnet/data/input_noise.h"
#include "gradnet/data/options.h"
#include "gradnet/enum_names.h"
#include "gradnet/metric.h"
#include "gradnet/model_spec.h"
#include "gradnet/optim/options.h"
#include "gradnet/schedule/options.h"
#include "gradnet/value.h"

namespace gradnet {

// optimizer.lr_scaling: how the lr follows a batch-size schedule (train/batch_schedule.h).
enum class LrScaling { none, linear, sqrt };
template <>
struct EnumNames<LrScaling> {
  static constexpr std::array<std::string_view, 3> words = {"none", "linear", "sqrt"};
};

// [optimizer]: the type and its own options (optim/options.h; PyTorch 1.13's names and defaults,
// docs/optimizers.md), the base learning rate the schedule scales, and the lr scaling.
struct OptimizerConfig {
  double lr = 0.01;  // default 0.01; adadelta and lbfgs 1
  LrScaling lr_scaling = LrScaling::none;
  OptimizerOptions options;

  OptimizerType type() const { return options.type; }
  bool operator==(const OptimizerConfig&) const = default;
};

// The type with every default it implies (lr, weight_decay, its options' eps, ...).
OptimizerConfig default_optimizer(OptimizerType type);

// train.init_normalization: the input statistics of a run that starts from another's weights.
enum class InitNormalization { source, refit };
template <>
struct EnumNames<InitNormalization> {
  static constexpr std::array<std::string_view, 2> words = {"source", "refit"};
};

struct TrainConfig {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 1;
  std::int64_t threads = 0;          // 0: all cores
  bool thread_shards = true;         // threads > 1: each thread steps on its own rows (train/step.h)
  bool shuffle = true;
  std::int64_t eval_batch_size = 0;  // 0: automatic, cache-sized (eval_pass_rows() in batch_schedule.h)
  std::vector<std::int64_t> batch_size_milestones;  // epochs at which the batch size changes
  std::vector<std::int64_t> batch_sizes;            // the batch size from each milestone on
  // Parameter averaging (docs/ensembles.md): an exponential moving average of the weights after
  // every update (0: off), and SWA's equal-weight average of the epoch-end weights from epoch
  // swa_start on (0: off), with a constant rate swa_lr from that epoch (0: the schedule's).
  double ema_decay = 0;
  std::int64_t swa_start = 0;
  double swa_lr = 0;
  // Transfer learning (docs/transfer.md; layer ranges: layer_ranges.h). init_from: a run directory,
  // its model.safetensors or a checkpoint file whose matching tensors start this run ("": a fresh
  // init); init_layers: only these layers, each required to match; freeze: layers without updates;
  // unfreeze: "EPOCH: RANGES; ..." frozen layers that train from that epoch on.
  std::string init_from;
  std::string init_layers;
  InitNormalization init_normalization = InitNormalization::source;
  std::string freeze;
  std::string unfreeze;
  // Denoising (model.target = "input" only; data/input_noise.h): the corruption of the net's input,
  // and its level (gaussian: the std; mask: the probability of zeroing a value).
  InputNoise input_noise = InputNoise::none;
  double input_noise_level = 0;
  // Data parallelism (mpirun -np N): batch-norm statistics over every rank's rows, not just this one's.
  bool sync_batch_norm = false;
};

// [pretrain]: gradnet pretrain's greedy layer-wise autoencoder pretraining of the classifier's
// hidden layers (docs/autoencoders.md). Everything not here comes from the classifier's config.
struct PretrainConfig {
  std::int64_t epochs = 5;        // per stage (one stage per hidden linear layer)
  std::int64_t train_limit = 0;   // training examples of each stage (unlabelled); 0: all, whatever data.train_limit says
  double lr = 0;                  // 0: optimizer.lr
  LossType loss = LossType::mse;  // mse or bce_with_logits (the first stage's target is the input)
  InputNoise input_noise = InputNoise::none;
  double input_noise_level = 0;
};

// Checkpoints: checkpoints/step-<N>.safetensors every N epochs and/or steps, written atomically
// (temp file, fsync, rename), the last keep_last kept, plus best.safetensors by `monitor`.
struct CheckpointConfig {
  std::int64_t every_epochs = 1;     // 0: no per-epoch checkpoints
  std::int64_t every_steps = 0;      // 0: no per-step checkpoints
  std::int64_t keep_last = 2;        // step-* files kept; 0: all (snapshot ensembles)
  bool keep_best = true;             // best.safetensors: the weights at the best `monitor` value
  Metric monitor = Metric::val_loss;
  MetricMode mode = MetricMode::automatic;  // auto (acc: max, loss: min) | min | max
};

// Keras's EarlyStopping: stop when `monitor` has not improved by min_delta for `patience` epochs.
struct EarlyStoppingConfig {
  bool enabled = false;
  Metric monitor = Metric::val_loss;
  MetricMode mode = MetricMode::automatic;
  std::int64_t patience = 5;
  double min_delta = 0.0;
  bool restore_best_weights = false;
  std::int64_t start_from_epoch = 0;
};

// Divergence guard: a non-finite loss, gradient or weight always stops the run (exit 1, naming
// the step and the layer); a loss that explodes while finite (its mean over check_every steps
// above explode_factor x the step-0 loss for `patience` consecutive checks) stops or warns.
enum class DivergenceAction { stop, warn };
template <>
struct EnumNames<DivergenceAction> {
  static constexpr std::array<std::string_view, 2> words = {"stop", "warn"};
};

struct DivergenceConfig {
  std::int64_t check_every = 10;     // steps per explosion check
  double explode_factor = 10.0;
  std::int64_t patience = 3;
  DivergenceAction action = DivergenceAction::stop;
};

// Training monitors (docs/monitoring.md): update/param ratios, weight and gradient norms, activation
// statistics and histograms, written to steps.jsonl, histograms.jsonl, metrics.jsonl and TensorBoard.
struct MonitorConfig {
  bool enabled = true;
  std::int64_t every_steps = 10;             // ratios and norms every N steps (steps.jsonl)
  std::int64_t activation_every_steps = 50;  // activation statistics every N steps
  std::vector<std::int64_t> histogram_epochs;  // epochs with histograms; empty: the first and the last
  std::int64_t histogram_bins = 30;
  double ratio_low = 1e-4;                   // warn when an update/param ratio is below ...
  double ratio_high = 1e-2;                  // ... or above (the notes' rule: ~1e-3)
  std::int64_t ratio_warmup_steps = 100;     // ratios of the first N updates are recorded, not judged
  double saturation_warn = 0.5;              // warn above this saturated (sigmoid/tanh) or dead (relu) share
  bool tensorboard = true;                   // tensorboard/events.out.tfevents.*
};

struct Config {
  std::string name = "run";
  std::string source;                // the file it was read from ("" for built-in)
  DataConfig data;
  AugmentConfig augment;
  ModelSpec model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  TrainConfig train;
  PretrainConfig pretrain;
  CheckpointConfig checkpoint;
  EarlyStoppingConfig early_stopping;
  DivergenceConfig divergence;
  MonitorConfig monitor;
};

// Reads and validates path, then applies overrides ("optimizer.lr=0.05",
// "model.layers.0.out=32"); every error is Error{config} naming path and key.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
Config parse_config(const std::string& toml_text, const std::string& source,
                    const std::vector<std::string>& overrides = {});
// The rules across keys (optimizer options the type ignores, schedule settings, batch sizes,
// augmentation, data): {"", ""} when c keeps them all, else the first broken one as {dotted key,
// message}. parse_config runs it after reading every key; the modules that consume a Config trust it.
std::pair<std::string, std::string> config_problem(const Config& c);
// The resolved config as TOML, every default written out; parse_config(to_toml(c)) == c.
std::string to_toml(const Config& config);
// The keys whose values differ from the defaults ([optimizer]: the defaults of its type), as
// "section.key = value" in to_toml order, without model.input and model.layers (train's net
// summary shows them): what `train` prints at the start.
std::vector<std::string> changed_keys(const Config& config);
// docs/config.md: every section and key with its type, default, range and meaning, written from
// the same schema that validates them (tests/config/docs_test.cpp keeps the file in step).
std::string config_reference_markdown();

}  // namespace gradnet
