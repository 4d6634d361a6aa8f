// The config schema table. Each key is declared once, here: its section, name, kind, doc,
// bounds/choices and the Config field it maps to; the default is read off a default Config.
#include "schema.h"
#include "schema_builder.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gradnet/loss.h"
#include "gradnet/schedule.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet::config_schema {
namespace {
void top_level_keys(Section v) {
  {
    Builder b;
    b.key.spec = {"name", K::string, {}, "the run's name: runs go to runs/<name>-<UTC timestamp>/", {}, {}, {}};
    b.key.get = [](const Config& c) { return Value(c.name); };
    b.key.set = [](Config& c, const Value& x) { c.name = std::get<std::string>(x); };
    b.key.spec.default_value = b.key.get(Config{});
    // The name becomes a directory name (runs/<name>-<time>): no path, no control characters.
    b.rule("non-empty, at most 100 bytes, no /", [](const Value& x) {
      const auto& s = std::get<std::string>(x);
      const bool control = std::any_of(s.begin(), s.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; });
      return s.empty() || s.size() > 100 || s.find('/') != std::string::npos || control || s == "." || s == ".."
                 ? "a non-empty name of at most 100 bytes, without '/' or control characters"
                 : "";
    });
    v.add(b);
  }
}

void data_keys(Section v) {
  const auto d = &Config::data;
  using D = DataConfig;
  v.add(field("data", d, &D::dataset, "dataset", K::string, "which dataset: MNIST and Fashion-MNIST read the standard IDX "
            "files, cifar10 the binary batches (data_batch_1..5, test_batch; .bin or .bin.gz), csv reads path (and "
            "test_path), idx reads the four files named below from dir, folder reads the PNG/JPEG images of dir's "
            "class subfolders (dir/<class>/..., or dir/train/<class>/... and dir/test/<class>/...), npy reads "
            "NumPy arrays: path (.npy features, labels in train_labels) or an .npz of x_train, y_train[, x_test, "
            "y_test]"));
  v.add(field("data", d, &D::dir, "dir", K::string, "directory holding the dataset's files (relative: to the config "
            "file's folder, or with --set to the current directory); empty: $GRADNET_DATA/<dataset>, "
            "then ./data/<dataset>, then /usr/share/datasets/<dataset>"));
  v.add(field("data", d, &D::path, "path", K::string, "csv, npy: the file (absolute, or relative to the config file's "
            "folder; with --set, to the current directory)"));
  v.add(field("data", d, &D::test_path, "test_path", K::string,
            "csv, npy (.npy): a separate test file (relative like path); empty: hold out test_fraction of path's rows"));
  v.add(field("data", d, &D::test_fraction, "test_fraction", K::number,
            "csv and npy without test files, folder without train/ and test/: the share of examples held out for "
            "test (seeded shuffle)")
          .above(0).below(1));
  v.add(field("data", d, &D::label_column, "label_column", K::integer,
            "csv: the column holding the integer class label, from 0; -1: the last column")
          .at_least(-1));
  v.add(field("data", d, &D::header, "header", K::string,
            "csv: is the first row a header? auto (detect it), none (every row is data) or skip (drop the first row)"));
  v.add(field("data", d, &D::train_images, "train_images", K::string, "idx: the training images' file name in dir"));
  v.add(field("data", d, &D::train_labels, "train_labels", K::string, "idx: the training labels' file name in dir; "
            "npy: the .npy of path's integer labels (relative like path)"));
  v.add(field("data", d, &D::test_images, "test_images", K::string, "idx: the test images' file name in dir"));
  v.add(field("data", d, &D::test_labels, "test_labels", K::string, "idx: the test labels' file name in dir; npy: "
            "the .npy of test_path's labels (relative like path)"));
  {
    Builder b = field("data", d, &D::validation, "validation", K::number,
                      "examples held out of the training set for validation: a count (>= 1, whole) or a fraction "
                      "(< 1) of it; 0: no validation split");
    b.key.get = [](const Config& c) {  // a count reads best as an integer
      const double x = c.data.validation;
      if (x == std::floor(x) && std::fabs(x) < 9e15) return Value(static_cast<std::int64_t>(x));
      return Value(x);
    };
    b.key.spec.default_value = b.key.get(Config{});
    b.at_least(0).rule("a whole count, or a fraction < 1", [](const Value& x) {
      const double f = from_value<double>(x);
      return f < 1 || f == std::floor(f) ? "" : "a count (a whole number >= 1) or a fraction in [0, 1)";
    });
    v.add(b);
  }
  v.add(field("data", d, &D::folds, "folds", K::integer,
            "cross-validation: k >= 2 cuts the training split (after train_limit) into k folds after a seeded "
            "shuffle (train.seed) and validates on fold data.fold, in place of data.validation, which is ignored; "
            "gradnet cv trains all k (docs/cross-validation.md); 0 or 1: off")
          .at_least(0));
  v.add(field("data", d, &D::fold, "fold", K::integer,
            "with data.folds = k: which fold (0..k-1) is the validation split; gradnet cv sets it for each run")
          .at_least(0));
  v.add(field("data", d, &D::normalize, "normalize", K::string,
            "input preprocessing, fitted on the training split only: none, scale01 (into [0, 1]), standardize "
            "(mean 0, std 1; per channel for images), pca (rotate onto the principal axes), pca_whiten (also "
            "scale each axis to variance 1; whiten is the same) or zca (whiten, then rotate back); docs/data.md"));
  v.add(field("data", d, &D::whiten_epsilon, "whiten_epsilon", K::number,
            "pca_whiten, zca: each eigenvalue λ becomes λ + ε before 1/sqrt, with ε = whiten_epsilon × the mean "
            "eigenvalue (the average per-feature variance on train), so it does not depend on the pixel scale")
          .above(0));
  v.add(field("data", d, &D::pca_components, "pca_components", K::integer,
            "pca, pca_whiten: keep only the first k principal components, so each example becomes [k] "
            "(model.input must be [k]); 0: keep all")
          .at_least(0));
  v.add(field("data", d, &D::train_limit, "train_limit", K::integer,
            "use only the first N training examples; 0: all")
          .at_least(0));
  v.add(field("data", d, &D::test_limit, "test_limit", K::integer, "use only the first N test examples; 0: all")
          .at_least(0));
  class_subset_keys(v);

}

void model_keys(Section v) {
  const auto m = &Config::model;
  v.add(field("model", m, &ModelSpec::input, "input", K::int_list,
            "the per-example input shape, e.g. [784] or [1, 28, 28]; every layer's shape is inferred from it")
          .at_least(1)
          .required()
          .rule("non-empty, at most 2^31 values", [](const Value& x) {
            const auto& dims = std::get<std::vector<std::int64_t>>(x);
            double values = 1;  // as a double: [2^32, 2^32] overflows an integer product to 0
            for (std::int64_t d : dims) values *= static_cast<double>(d);
            return dims.empty() || values > 2147483648.0
                       ? "a non-empty list of integers >= 1 of at most 2^31 values in all, e.g. [784]"
                       : "";
          }));
  v.add(field("model", m, &ModelSpec::loss, "loss", K::string,
            "softmax_cross_entropy (fused log-softmax + NLL), mse or bce_with_logits (PyTorch's "
            "BCEWithLogitsLoss; against one-hot labels, or the input with target = \"input\")"));
  v.add(field("model", m, &ModelSpec::target, "target", K::string,
            "what the output is compared with: labels (a classifier), or input (an autoencoder: the output "
            "reconstructs the clean input and needs as many values; no accuracy; docs/autoencoders.md)"));
  v.add(field("model", m, &ModelSpec::target_layer, "target_layer", K::integer,
            "with target = \"input\": -1 reconstructs the net's input; k reconstructs the output of layers.k "
            "(gradnet pretrain's deeper stages, the layers up to k frozen)")
          .at_least(-1));
  {
    ConfigKey k;
    k.section = "model";
    k.spec = {"layers", K::string, {}, "the layers in order, each an inline table { type = \"...\", key = value, ... } "
              "(see Layers below)", {}, {}, {}};
    k.is_layers = true;
    v.keys().push_back(std::move(k));
  }
}

void schedule_keys(Section v) {
  const auto s = &Config::schedule;
  using S = ScheduleConfig;
  auto ints_increasing = [](const char* what) {
    return [what](const Value& x) -> std::string {
      const auto& e = std::get<std::vector<std::int64_t>>(x);
      for (std::size_t i = 1; i < e.size(); ++i)
        if (e[i] <= e[i - 1]) return std::string("a strictly increasing list of ") + what + " >= 1";
      return "";
    };
  };
  v.add(field("schedule", s, &S::policy, "policy", K::string,
            "learning-rate policy (docs/schedules.md has each formula): fixed, step, multistep, exp, inv, poly, "
            "sigmoid (Caffe's lr_policy), inverse_time (lr / (1 + gamma·t)), cosine, cosine_restarts (SGDR), "
            "cyclic, one_cycle (PyTorch's), plateau (reduce on plateau, decided per epoch)"));
  v.add(field("schedule", s, &S::unit, "unit", K::string,
            "what the policy's time t counts: epoch (t is the epoch, lr changes between epochs) or step (t is the "
            "global step, lr changes every update); every length below marked 'units' counts this"));
  v.add(field("schedule", s, &S::gamma, "gamma", K::number,
            "step, multistep: the factor per decay; exp: lr·gamma^t; inv, inverse_time: the rate in (1 + gamma·t); "
            "sigmoid: the slope (< 0 decays); cyclic exp_range: lr amplitude·gamma^t (t in units)"));
  v.add(field("schedule", s, &S::step_size, "step_size", K::integer,
            "step: units between two decays; sigmoid: the unit at which lr is half of lr")
          .at_least(1));
  v.add(field("schedule", s, &S::milestones, "milestones", K::int_list,
            "multistep: the units (epochs or steps) at which lr is multiplied by gamma, strictly increasing")
          .at_least(1)
          .rule("strictly increasing", ints_increasing("units")));
  v.add(field("schedule", s, &S::power, "power", K::number, "inv: (1 + gamma·t)^-power; poly: (1 - t/max_iter)^power")
          .at_least(0));
  v.add(field("schedule", s, &S::max_iter, "max_iter", K::integer,
            "poly, one_cycle: the schedule's length in units; 0: the run's (epochs, or epochs × steps per epoch, "
            "less the warm-up)")
          .at_least(0));
  v.add(field("schedule", s, &S::t_max, "t_max", K::integer,
            "cosine: units from lr down to min_lr (PyTorch's T_max); 0: the run's length less the warm-up")
          .at_least(0));
  v.add(field("schedule", s, &S::t_0, "t_0", K::integer, "cosine_restarts: the first period, in units").at_least(1));
  v.add(field("schedule", s, &S::t_mult, "t_mult", K::integer,
            "cosine_restarts: each period is t_mult times the one before").at_least(1));
  v.add(field("schedule", s, &S::min_lr, "min_lr", K::number,
            "cosine, cosine_restarts: the lowest lr; cyclic: the lower bound (PyTorch's base_lr; optimizer.lr is "
            "not used); plateau: lr never goes below it")
          .at_least(0));
  v.add(field("schedule", s, &S::max_lr, "max_lr", K::number,
            "cyclic: the upper bound (> min_lr); one_cycle: the peak (optimizer.lr is not used)")
          .at_least(0));
  v.add(field("schedule", s, &S::cyclic_mode, "cyclic_mode", K::string,
            "cyclic: triangular (constant amplitude), triangular2 (amplitude halves each cycle) or exp_range "
            "(amplitude × gamma^t)"));
  v.add(field("schedule", s, &S::step_size_up, "step_size_up", K::integer,
            "cyclic: units from min_lr up to max_lr (usually with unit = \"step\")").at_least(1));
  v.add(field("schedule", s, &S::step_size_down, "step_size_down", K::integer,
            "cyclic: units from max_lr back down; 0: step_size_up").at_least(0));
  v.add(field("schedule", s, &S::pct_start, "pct_start", K::number,
            "one_cycle: the share of max_iter spent rising to max_lr").above(0).below(1));
  v.add(field("schedule", s, &S::div_factor, "div_factor", K::number,
            "one_cycle: the first lr is max_lr / div_factor").above(0));
  v.add(field("schedule", s, &S::final_div_factor, "final_div_factor", K::number,
            "one_cycle: the last lr is max_lr / div_factor / final_div_factor").above(0));
  v.add(field("schedule", s, &S::anneal_strategy, "anneal_strategy", K::string,
            "one_cycle: cos or linear annealing in both phases"));
  v.add(field("schedule", s, &S::warmup_steps, "warmup_steps", K::integer,
            "linear warm-up in front of the policy, in steps (ramped every step); the policy starts at t = 0 "
            "after it; 0: none")
          .at_least(0));
  v.add(field("schedule", s, &S::warmup_epochs, "warmup_epochs", K::integer,
            "the same in epochs (ramped once per epoch); set warmup_steps or warmup_epochs, not both")
          .at_least(0));
  v.add(field("schedule", s, &S::warmup_start_factor, "warmup_start_factor", K::number,
            "the warm-up starts at lr·warmup_start_factor and rises linearly to lr (PyTorch's LinearLR start_factor)")
          .at_least(0).at_most(1));
  v.add(field("schedule", s, &S::monitor, "monitor", K::string,
            "plateau: the metric watched after each epoch"));
  v.add(field("schedule", s, &S::mode, "mode", K::string,
            "plateau: min (lower is better), max, or auto (max for *_acc, min for losses)"));
  v.add(field("schedule", s, &S::factor, "factor", K::number, "plateau: lr = max(lr·factor, min_lr) on a plateau")
          .above(0).below(1));
  v.add(field("schedule", s, &S::patience, "patience", K::integer,
            "plateau: epochs without improvement tolerated; the next one reduces lr").at_least(0));
  v.add(field("schedule", s, &S::cooldown, "cooldown", K::integer,
            "plateau: epochs after a reduction during which bad epochs are not counted").at_least(0));
  v.add(field("schedule", s, &S::min_delta, "min_delta", K::number,
            "plateau: the least change that counts as an improvement (relative or absolute: threshold_mode)")
          .at_least(0));
  v.add(field("schedule", s, &S::threshold_mode, "threshold_mode", K::string,
            "plateau: rel (better than best·(1 ∓ min_delta)) or abs (better than best ∓ min_delta)"));
}

// Beyond this a batch size is a typo, not a batch: refused before anything is sized by it.
constexpr std::int64_t kMaxBatch = 1 << 24;

// An upper bound as a rule: the lower bound's message ("expected an integer >= 1") stays as it is.
std::function<std::string(const Value&)> at_most_rule(std::int64_t max, std::string expected) {
  return [max, expected](const Value& x) -> std::string {
    if (const auto* i = std::get_if<std::int64_t>(&x)) return *i > max ? expected : "";
    if (const auto* l = std::get_if<std::vector<std::int64_t>>(&x))
      return std::any_of(l->begin(), l->end(), [max](std::int64_t v) { return v > max; }) ? expected : "";
    return "";
  };
}

void train_keys(Section v) {
  const auto t = &Config::train;
  using T = TrainConfig;
  v.add(field("train", t, &T::epochs, "epochs", K::integer, "passes over the training set")
            .at_least(1)
            .rule("at most 1000000", at_most_rule(1000000, "at most 1000000 epochs")));
  v.add(field("train", t, &T::batch_size, "batch_size", K::integer,
            "examples per training step (a batch larger than the training set is the whole set)")
          .at_least(1)
          .rule("at most 16777216", at_most_rule(kMaxBatch, "at most 16777216 examples a batch")));
  v.add(field("train", t, &T::seed, "seed", K::integer,
            "seeds every generator (init, shuffle, ...): same config, seed and threads give identical results")
          .at_least(0));
  v.add(field("train", t, &T::threads, "threads", K::integer,
            "BLAS and OpenMP threads; 0: every core. Never more than the cores, nor than an address-space limit "
            "(ulimit -v) leaves room for")
          .at_least(0)
          .rule("at most 4096", at_most_rule(4096, "at most 4096 threads")));
  v.add(field("train", t, &T::thread_shards, "thread_shards", K::boolean,
            "with threads > 1, each thread runs the forward and backward pass of its own share of the batch's rows "
            "and their gradients are summed (nets without batch norm, L-BFGS or a reconstruction target); false: "
            "the threads split each layer's work instead. Either way a run repeats itself bit for bit at the "
            "same threads; the two give different last bits"));
  v.add(field("train", t, &T::shuffle, "shuffle", K::boolean, "reshuffle the training set every epoch"));
  v.add(field("train", t, &T::eval_batch_size, "eval_batch_size", K::integer,
            "examples per forward pass when evaluating (validation, test; gradnet eval); 0: automatic, as "
            "many as keep the net's largest activation within 2 MiB (so a pass stays in the caches), at "
            "least 16 and at most the training batch size")
          .at_least(0)
          .rule("at most 16777216", at_most_rule(kMaxBatch, "at most 16777216 examples a batch")));
  v.add(field("train", t, &T::batch_size_milestones, "batch_size_milestones", K::int_list,
            "epochs (from 0) at which the batch size changes to the matching entry of batch_sizes, strictly increasing")
          .at_least(1)
          .rule("strictly increasing", [](const Value& x) {
            const auto& e = std::get<std::vector<std::int64_t>>(x);
            for (std::size_t i = 1; i < e.size(); ++i)
              if (e[i] <= e[i - 1]) return "a strictly increasing list of epochs >= 1";
            return "";
          }));
  v.add(field("train", t, &T::batch_sizes, "batch_sizes", K::int_list,
            "the batch size from each of batch_size_milestones on (one per milestone); optimizer.lr_scaling "
            "rescales lr to match")
          .at_least(1)
          .rule("each at most 16777216", at_most_rule(kMaxBatch, "batch sizes of at most 16777216 examples")));
  v.add(field("train", t, &T::ema_decay, "ema_decay", K::number,
            "exponential moving average of the weights (and batch-norm statistics) after every update: ema = "
            "decay·ema + (1 - decay)·w, e.g. 0.999; saved as ema.safetensors and evaluated beside the raw weights "
            "(docs/ensembles.md); 0: off")
          .at_least(0)
          .rule("below 1", [](const Value& x) -> std::string {
            const double* d = std::get_if<double>(&x);
            const std::int64_t* i = std::get_if<std::int64_t>(&x);
            return (d && *d >= 1.0) || (i && *i >= 1) ? "a number in [0, 1)" : "";
          }));
  v.add(field("train", t, &T::swa_start, "swa_start", K::integer,
            "stochastic weight averaging: the equal-weight mean of the weights at the end of every epoch from this "
            "one on, batch-norm statistics recomputed; saved as swa.safetensors and evaluated; 0: off")
          .at_least(0));
  v.add(field("train", t, &T::swa_lr, "swa_lr", K::number,
            "with swa_start: a constant learning rate from epoch swa_start on, in place of the schedule's; "
            "0: keep the schedule")
          .at_least(0));
  denoising_keys(Section(v.keys()));
  data_parallel_keys(Section(v.keys()));
}

std::vector<ConfigKey> build_keys() {
  std::vector<ConfigKey> v;
  top_level_keys(Section(v));
  data_keys(Section(v));
  image_folder_keys(Section(v));
  augment_keys(Section(v));
  model_keys(Section(v));
  optimizer_keys(Section(v));
  schedule_keys(Section(v));
  train_keys(Section(v));
  transfer_keys(Section(v));
  pretrain_keys(Section(v));
  checkpoint_keys(Section(v));
  early_stopping_keys(Section(v));
  divergence_keys(Section(v));
  monitor_keys(Section(v));
  return v;
}

}  // namespace

const std::vector<std::string>& sections() {
  static const std::vector<std::string> names = {"data",       "augment",        "model",     "optimizer", "schedule",
                                                 "train",      "pretrain",       "checkpoint",     "early_stopping",
                                                 "divergence", "monitor"};
  return names;
}

const std::vector<ConfigKey>& keys() {
  static const std::vector<ConfigKey> table = build_keys();
  return table;
}

const ConfigKey* find_key(std::string_view section, std::string_view name) {
  for (const ConfigKey& k : keys())
    if (k.section == section && k.spec.name == name) return &k;
  return nullptr;
}

std::vector<std::string> key_names(std::string_view section) {
  std::vector<std::string> names;
  for (const ConfigKey& k : keys())
    if (k.section == section) names.push_back(k.spec.name);
  return names;
}

std::vector<std::string> dotted_names() {
  std::vector<std::string> names;
  for (const ConfigKey& k : keys()) names.push_back(k.dotted());
  return names;
}

std::string expected_text(const KeySpec& spec, bool min_open, bool max_open) {
  if (!spec.choices.empty()) return fmt::format("one of {}", fmt::join(spec.choices, ", "));
  std::string text = kind_name(spec.kind);
  if (spec.min && spec.max)
    return text + fmt::format(" in {}{}, {}{}", min_open ? '(' : '[', *spec.min, *spec.max, max_open ? ')' : ']');
  if (spec.min) text += fmt::format(" {} {}", min_open ? ">" : ">=", *spec.min);
  if (spec.max) text += fmt::format(" {} {}", max_open ? "<" : "<=", *spec.max);
  return text;
}

}  // namespace gradnet::config_schema
