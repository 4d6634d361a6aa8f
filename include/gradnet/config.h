// Config: one experiment, read from TOML, every key validated (unknown key with did-you-mean,
// wrong type, out of range: Error{config} naming the file and the key), defaults filled,
// --set overrides applied, and written back out whole (the run directory's config.toml).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradnet/net.h"
#include "gradnet/value.h"

namespace gradnet {

struct DataConfig {
  std::string dataset = "mnist";     // mnist | fashion-mnist | cifar10 | csv | idx
  std::string dir;                   // empty: $GRADNET_DATA/<dataset>, ./data/<dataset>, /usr/share/datasets/<dataset>
  std::string path;                  // csv: the file (absolute, or relative to the config file)
  std::string test_path;             // csv: a separate test file; empty: hold out test_fraction
  double test_fraction = 0.2;        // csv without test_path: share of rows held out for test
  std::int64_t label_column = -1;    // csv: the label's column (-1: last)
  std::string header = "auto";       // csv: auto | none | skip
  std::string train_images, train_labels, test_images, test_labels;  // idx: file names in dir
  double validation = 5000;          // held out of training: a count (>= 1) or a fraction (< 1)
  std::string normalize = "standardize";  // none | scale01 | standardize | pca | pca_whiten (whiten) | zca
  double whiten_epsilon = 0.01;      // pca_whiten, zca: added to each eigenvalue, times the mean eigenvalue
  std::int64_t pca_components = 0;   // pca, pca_whiten: keep the first k components (0: all)
  std::int64_t train_limit = 0;      // use only the first N training examples (0: all)
  std::int64_t test_limit = 0;       // use only the first N test examples (0: all)
};

// PyTorch 1.13's option names and defaults (docs/optimizers.md). Three defaults depend on type and
// are filled when [optimizer] type is read (see optimizer_type_defaults): lr (adadelta, lbfgs: 1),
// eps (adagrad: 1e-10, adadelta: 1e-6), weight_decay (adamw: 0.01).
struct OptimizerConfig {
  std::string type = "sgd";          // sgd | adagrad | rmsprop | adam | adamw | adadelta | lbfgs
  double lr = 0.01;
  double momentum = 0.0;             // sgd, rmsprop
  double dampening = 0.0;            // sgd
  bool nesterov = false;             // sgd
  double weight_decay = 0.0;         // coupled L2 (adamw: decoupled)
  std::vector<double> betas = {0.9, 0.999};  // adam, adamw
  double eps = 1e-8;                 // adagrad, rmsprop, adam, adamw, adadelta
  bool amsgrad = false;              // adam, adamw
  bool bias_correction = true;       // adam, adamw
  double alpha = 0.99;               // rmsprop
  bool centered = false;             // rmsprop
  double rho = 0.9;                  // adadelta
  double lr_decay = 0.0;             // adagrad
  double initial_accumulator_value = 0.0;  // adagrad
  std::int64_t history_size = 100;   // lbfgs
  std::int64_t max_iter = 20;        // lbfgs: iterations per step
  std::int64_t max_eval = 0;         // lbfgs: loss evaluations per step; 0: max_iter * 5 / 4
  double tolerance_grad = 1e-7;      // lbfgs
  double tolerance_change = 1e-9;    // lbfgs
  std::string line_search = "none";  // lbfgs: none | strong_wolfe
  double clip_norm = 0.0;            // global L2 norm clip; 0: off
  double clip_value = 0.0;           // elementwise clip; 0: off
  bool no_decay_bias = false;        // no weight decay on biases and 1-D params
  std::string lr_scaling = "none";   // none | linear | sqrt: lr scale when the batch size grows (schedule.h)
};

// Sets the type-dependent defaults of c.type on c (lr, eps, weight_decay), leaving the rest.
void optimizer_type_defaults(OptimizerConfig& c);
// "" when every option set away from its default is one that c.type reads; else the dotted key
// and a message ("optimizer.betas is an adam/adamw option; optimizer.type is \"sgd\"").
std::pair<std::string, std::string> optimizer_ignored_option(const OptimizerConfig& c);

// Learning-rate schedule (docs/schedules.md). Caffe's solver words where it has one (gamma, power,
// step_size, milestones, max_iter), PyTorch's for the rest, Keras's for plateau. Times count `unit`s
// (steps or epochs) unless the key's name says otherwise.
struct ScheduleConfig {
  std::string policy = "fixed";      // fixed step multistep exp inv poly sigmoid inverse_time cosine
                                     // cosine_restarts cyclic one_cycle plateau
  std::string unit = "epoch";        // epoch | step: what t counts
  double gamma = 0.1;                // step, multistep, exp, inv, inverse_time, sigmoid, cyclic exp_range
  std::int64_t step_size = 1;        // step: units between decays; sigmoid: the centre
  std::vector<std::int64_t> milestones;  // multistep: units, strictly increasing
  double power = 1.0;                // inv, poly
  std::int64_t max_iter = 0;         // poly, one_cycle: length in units; 0: the run's
  std::int64_t t_max = 0;            // cosine: half period in units; 0: the run's length
  std::int64_t t_0 = 10;             // cosine_restarts: first period in units
  std::int64_t t_mult = 1;           // cosine_restarts: period growth factor
  double min_lr = 0.0;               // cosine, cosine_restarts, cyclic (its lower bound), plateau
  double max_lr = 0.0;               // cyclic, one_cycle
  std::string cyclic_mode = "triangular";  // triangular | triangular2 | exp_range
  std::int64_t step_size_up = 2000;  // cyclic: units from min_lr up to max_lr
  std::int64_t step_size_down = 0;   // cyclic: units back down; 0: step_size_up
  double pct_start = 0.3;            // one_cycle
  double div_factor = 25.0;          // one_cycle: initial lr = max_lr / div_factor
  double final_div_factor = 1e4;     // one_cycle: final lr = initial lr / final_div_factor
  std::string anneal_strategy = "cos";  // one_cycle: cos | linear
  std::int64_t warmup_steps = 0;     // linear warm-up in front of the policy, in steps
  std::int64_t warmup_epochs = 0;    // ... or in epochs (at most one of the two)
  double warmup_start_factor = 0.1;  // warm-up starts at lr * this factor
  std::string monitor = "val_loss";  // plateau: val_loss | val_acc | train_loss | train_acc
  std::string mode = "auto";         // plateau: auto | min | max
  double factor = 0.1;               // plateau: lr *= factor on a plateau
  std::int64_t patience = 10;        // plateau: epochs without improvement before reducing
  std::int64_t cooldown = 0;         // plateau: epochs to wait after a reduction
  double min_delta = 1e-4;           // plateau: smallest change that counts as improvement
  std::string threshold_mode = "rel";  // plateau: rel | abs (how min_delta is applied)
};

struct TrainConfig {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 1;
  std::int64_t threads = 0;          // 0: all cores
  bool shuffle = true;
  std::int64_t eval_batch_size = 1000;
  std::vector<std::int64_t> batch_size_milestones;  // epochs at which the batch size changes
  std::vector<std::int64_t> batch_sizes;            // the batch size from each milestone on
};

// Checkpoints: checkpoints/step-<N>.safetensors every N epochs and/or steps, written atomically
// (temp file, fsync, rename), the last keep_last kept, plus best.safetensors by `monitor`.
struct CheckpointConfig {
  std::int64_t every_epochs = 1;     // 0: no per-epoch checkpoints
  std::int64_t every_steps = 0;      // 0: no per-step checkpoints
  std::int64_t keep_last = 2;        // step-* files kept (>= 1)
  bool keep_best = true;             // best.safetensors: the weights at the best `monitor` value
  std::string monitor = "val_loss";  // val_loss | val_acc | train_loss | train_acc
  std::string mode = "auto";         // auto (acc: max, loss: min) | min | max
};

// Keras's EarlyStopping: stop when `monitor` has not improved by min_delta for `patience` epochs.
struct EarlyStoppingConfig {
  bool enabled = false;
  std::string monitor = "val_loss";
  std::string mode = "auto";
  std::int64_t patience = 5;
  double min_delta = 0.0;
  bool restore_best_weights = false;
  std::int64_t start_from_epoch = 0;
};

// Divergence guard: a non-finite loss, gradient or weight always stops the run (exit 1, naming
// the step and the layer); a loss that explodes while finite (its mean over check_every steps
// above explode_factor x the step-0 loss for `patience` consecutive checks) stops or warns.
struct DivergenceConfig {
  std::int64_t check_every = 10;     // steps per explosion check
  double explode_factor = 10.0;
  std::int64_t patience = 3;
  std::string action = "stop";       // stop | warn
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
  double saturation_warn = 0.5;              // warn above this saturated (sigmoid/tanh) or dead (relu) share
  bool tensorboard = true;                   // tensorboard/events.out.tfevents.*
};

// On-the-fly augmentation of image training batches (docs/augmentation.md, data/augment.h). Every
// transform is off by default; each needs model.input = [C, H, W].
struct AugmentConfig {
  double hflip = 0.0;                // probability of a horizontal flip
  std::int64_t crop_padding = 0;     // pad P zero pixels per side, crop back to H x W at a random offset
  double translate = 0.0;            // max shift as a fraction of W (x) and H (y), whole pixels
  double rotation = 0.0;             // max degrees, either way (bilinear)
  std::vector<double> scale = {1.0, 1.0};  // zoom factor range [lo, hi] (bilinear, one warp with rotation)
  double brightness = 0.0;           // ColorJitter: factors in [max(0, 1 - v), 1 + v]
  double contrast = 0.0;
  double saturation = 0.0;           // 3 channels only
  double noise_std = 0.0;            // Gaussian noise, in normalized units
  std::int64_t cutout = 0;           // side of the zeroed square (DeVries & Taylor); 0: off
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
// The resolved config as TOML, every default written out; parse_config(to_toml(c)) == c.
std::string to_toml(const Config& config);
// docs/config.md: every section and key with its type, default, range and meaning, written from
// the same schema that validates them (tests/config/docs_test.cpp keeps the file in step).
std::string config_reference_markdown();

}  // namespace gradnet
