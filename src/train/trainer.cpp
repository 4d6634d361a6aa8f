// The training loop. Data, shapes and net are checked before the run directory exists, so a bad
// config or dataset leaves nothing behind; after that every epoch's metrics are on disk, and
// checkpoints (src/train/checkpoint.cpp) hold everything needed to resume bit-identically.
#include "gradnet/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "gradnet/data/augment.h"
#include "gradnet/data/batcher.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/schedule.h"
#include "gradnet/threads.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/monitor.h"
#include "gradnet/train/prepare.h"
#include "guard.h"
#include "run_dir.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

nlohmann::json to_json(const EpochRecord& r) {
  nlohmann::json j = {{"epoch", r.epoch},        {"step", r.step},         {"lr", r.lr},
                      {"train_loss", r.train_loss}, {"train_acc", r.train_acc}, {"val_loss", r.val_loss},
                      {"val_acc", r.val_acc},    {"seconds", r.seconds},  {"examples_per_second", r.examples_per_second}};
  if (!r.note.empty()) j["schedule"] = r.note;
  return j;
}

// Keras's "auto": accuracies improve upwards, losses downwards.
bool higher_is_better(const std::string& monitor, const std::string& mode) {
  return mode == "max" || (mode == "auto" && monitor.find("acc") != std::string::npos);
}

double metric_of(const EpochRecord& r, const std::string& monitor) {
  if (monitor == "val_loss") return r.val_loss;
  if (monitor == "val_acc") return r.val_acc;
  if (monitor == "train_loss") return r.train_loss;
  return r.train_acc;
}

// The weights of the net as a model file (names layers.<i>.*), for best.safetensors.
void save_weights(const std::string& path, Net<float>& net, Index classes, std::int64_t epoch, double value) {
  SafetensorsFile f = net_to_safetensors(net, classes);
  f.metadata["epoch"] = std::to_string(epoch);
  f.metadata["value"] = fmt::format("{}", value);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  write_safetensors(path, f);
}

}  // namespace

Summary train(const Config& given, const TrainOptions& options, TrainCallbacks& callbacks) {
  const auto t_start = Clock::now();
  const int threads = set_threads(given.train.threads);
  PreparedData data = prepare_data(given, options.config_dir);
  const Config& config = data.config;
  const TrainConfig& tc = config.train;
  Splits& splits = data.splits;
  const Index classes = data.classes;
  const Dataset& train = splits.train;
  const Index n_train = train.size();
  const bool has_val = splits.val.size() > 0;
  GRADNET_CHECK(has_val || !config.early_stopping.enabled || config.early_stopping.monitor.rfind("val_", 0) != 0,
                config, "early_stopping.monitor = \"{}\", but there is no validation split (data.validation = 0)",
                config.early_stopping.monitor);
  // Without a validation split the best checkpoint follows the training counterpart (val_loss -> train_loss).
  std::string best_monitor = config.checkpoint.monitor;
  if (!has_val && best_monitor.rfind("val_", 0) == 0) best_monitor = "train_" + best_monitor.substr(4);

  // L-BFGS re-evaluates the full training set inside its step: the net then holds it in one batch.
  const bool full_batch = config.optimizer.type == "lbfgs";
  const Index max_batch = full_batch ? n_train : max_batch_size(tc);
  Net<float> net(config.model, classes, std::max(max_batch, tc.eval_batch_size));
  Rng init_rng = Rng::stream(tc.seed, "init");
  net.init(init_rng);
  std::unique_ptr<Optimizer<float>> optimizer = make_optimizer(config.optimizer, net.params());
  const Index steps_per_epoch = full_batch ? 1 : (n_train + tc.batch_size - 1) / tc.batch_size;
  std::unique_ptr<Schedule> schedule = make_schedule(config.schedule, config.optimizer.lr, steps_per_epoch, tc.epochs);
  Batcher batcher(train, full_batch ? n_train : batch_size_at(tc, 0), tc.shuffle && !full_batch,
                  Rng::stream(tc.seed, "shuffle"));
  Rng dropout_rng = Rng::stream(tc.seed, "dropout");
  // Augmentation (docs/augmentation.md): each training batch is copied into aug_x and augmented
  // there (the dataset is never changed), from its own stream, advanced per step like dropout's.
  Augmenter augmenter(config.augment, config.model.input, data.normalizer);
  Rng augment_rng = Rng::stream(tc.seed, "augment");
  std::vector<float> aug_x(augmenter.enabled() ? static_cast<std::size_t>(max_batch * train.features()) : 0);

  TrainState st;
  std::string resumed_from;
  if (!options.resume_dir.empty()) {
    resumed_from = latest_checkpoint(options.resume_dir);
    st = read_checkpoint(resumed_from, net, *optimizer);
    schedule->load_state(st.schedule);
    dropout_rng.set_state(st.dropout);
    if (st.augment != std::array<std::uint64_t, 6>{}) augment_rng.set_state(st.augment);  // older checkpoints: none
    if (!full_batch && st.batch != batcher.batch_size()) batcher = Batcher(train, st.batch, tc.shuffle, batcher.rng());
    if (st.position > 0) batcher.resume(st.shuffle_epoch_start, st.position);
    else batcher.rng().set_state(st.shuffle_epoch_start);
  }
  RunDir run = options.resume_dir.empty() ? RunDir(options.out_dir, config.name)
                                          : RunDir::reopen(options.resume_dir, st.epoch);
  const std::string resolved = to_toml(config);
  write_file_atomic(run.file("config.toml"), resolved);  // on resume too: --epochs may have extended it
  if (resumed_from.empty()) save_normalizer(run.file("normalization.safetensors"), data.normalizer);

  TrainingMonitor monitor(config, net, run.path(), resumed_from.empty() ? -1 : st.step);
  // An epoch's metrics.jsonl record: the trainer's figures plus the monitor's (layers, activations).
  auto record_epoch = [&](const EpochRecord& r) {
    MonitorEpochReport report = monitor.end_epoch(r);
    nlohmann::json j = to_json(r);
    if (report.json != "{}") j.update(nlohmann::json::parse(report.json));  // keeps nulls (merge_patch drops them)
    run.append_metrics(j);
    for (const std::string& w : report.warnings) callbacks.on_warning(w);
  };

  // The state a checkpoint captures; position > 0 means in the middle of an epoch.
  auto capture = [&](Index position) {
    st.batch = batcher.batch_size();
    st.position = position;
    st.shuffle_epoch_start = position > 0 ? batcher.epoch_start_state() : batcher.rng().state();
    st.dropout = dropout_rng.state();
    st.augment = augment_rng.state();
    st.schedule = schedule->state();
  };
  auto checkpoint = [&](Index position) {
    capture(position);
    const std::string path = run.file(checkpoint_name(st.step));
    write_checkpoint(path, net, *optimizer, st, data.normalizer);
    prune_checkpoints(run.path(), config.checkpoint.keep_last);
    return path;
  };

  // Step 0: losses before any update, so "initial loss ≈ ln(classes)" is in every run's log.
  EvalResult val;
  if (resumed_from.empty()) {
    const EvalResult train0 = evaluate(net, train, tc.eval_batch_size);
    if (has_val) val = evaluate(net, splits.val, tc.eval_batch_size);
    st.initial_loss = train0.loss;
    EpochRecord rec0{0, 0, schedule->lr(0, 0) * lr_scale(config, tc.batch_size), train0.loss, train0.accuracy,
                     has_val ? val.loss : nan(), has_val ? val.accuracy : nan(), 0, 0, ""};
    record_epoch(rec0);
    checkpoint(0);  // the last good state exists from the start, whenever the run fails
  }
  callbacks.on_start({run.path(), resolved, n_train, splits.val.size(), splits.test.size(), classes,
                      net.parameter_count(), threads, tc.seed, st.initial_loss, steps_per_epoch});

  Summary summary;
  summary.run_dir = run.path();
  summary.initial_loss = st.initial_loss;
  summary.parameters = net.parameter_count();
  summary.threads = threads;
  summary.epochs = st.epoch;
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(max_batch));
  DivergenceGuard guard(config.divergence, st.initial_loss, config.optimizer.lr);
  guard.set_count(st.explode_count);
  std::vector<std::vector<float>> best_weights;  // early_stopping.restore_best_weights
  const std::string es_best_path = run.file("checkpoints/early_stopping_best.safetensors");
  if (!resumed_from.empty() && config.early_stopping.restore_best_weights && std::filesystem::exists(es_best_path))
    for (const NamedTensor& t : read_safetensors(es_best_path).tensors) best_weights.push_back(t.data);

  auto fail_run = [&](const std::string& status, const std::string& message) {
    run.write_json("summary.json", {{"status", status}, {"error", message}, {"epochs", st.epoch}, {"step", st.step}});
  };

  try {
    for (std::int64_t epoch = st.epoch + 1; epoch <= tc.epochs; ++epoch) {
      const bool resuming_mid_epoch = st.position > 0;
      if (!full_batch && !resuming_mid_epoch && batch_size_at(tc, epoch - 1) != batcher.batch_size())
        batcher = Batcher(train, batch_size_at(tc, epoch - 1), tc.shuffle, batcher.rng());  // same stream
      const double scale = lr_scale(config, batcher.batch_size());
      double lr = schedule->lr(st.step, epoch - 1) * scale;
      const Index steps = batcher.batches_per_epoch();
      const auto t0 = Clock::now();
      const double seconds_before = resuming_mid_epoch ? st.epoch_seconds_so_far : 0.0;
      if (!resuming_mid_epoch) {
        batcher.start_epoch();
        st.loss_sum = 0;
        st.correct = st.seen = 0;
      }
      st.position = 0;
      Index s = batcher.position() / batcher.batch_size();
      monitor.begin_epoch(epoch, st.step - s, steps);
      for (Batch b; batcher.next(b); ++s) {
        const Index n = b.rows;
        lr = schedule->lr(st.step, epoch - 1) * scale;
        if (augmenter.enabled()) {
          std::copy(b.x.data, b.x.data + b.x.size(), aug_x.data());
          Rng step_rng = augment_rng;
          augmenter.apply(View<float>{aug_x.data(), b.x.rows, b.x.cols}, step_rng);
          b.x = ConstView<float>(aug_x.data(), b.x.rows, b.x.cols);
          augment_rng = Rng(augment_rng.next_u64());  // a fresh augment stream for the next step
        }
        auto forward_backward = [&] {  // the closure L-BFGS re-runs: the same dropout mask each time
          Rng step_rng = dropout_rng;
          net.zero_grad();
          net.forward(b.x, StepContext{Mode::train, &step_rng});
          const double loss = net.loss(b.y);
          if (!std::isfinite(loss)) guard.non_finite_loss(net, loss, st.step + 1, epoch, lr);
          monitor.after_forward(st.step + 1);
          net.backward(b.y);
          monitor.after_backward(st.step + 1);
          return loss;
        };
        double loss;
        monitor.before_update(st.step + 1);
        if (full_batch) {
          loss = optimizer->step_closure(lr, forward_backward);
        } else {
          loss = forward_backward();
          argmax_rows(net.activation(net.num_layers() - 1), predicted.data());
          for (Index i = 0; i < n; ++i) st.correct += predicted[i] == b.y[i] ? 1 : 0;
          if (guard.check_now(st.step + 1)) guard.check_grads(net, st.step + 1, epoch, lr);
          optimizer->step(lr);
        }
        monitor.after_update(st.step + 1, lr, loss, n);
        dropout_rng = Rng(dropout_rng.next_u64());  // a fresh dropout stream for the next step
        ++st.step;
        st.loss_sum += loss * static_cast<double>(n);
        st.seen += n;
        if (std::string w = guard.after_step(net, loss, st.step, epoch, lr); !w.empty()) callbacks.on_warning(w);
        callbacks.on_step({epoch, tc.epochs, s + 1, steps, st.step, st.loss_sum / st.seen,
                           seconds_before + seconds_since(t0), st.seen});
        const bool at_epoch_end = batcher.position() >= n_train;
        if (config.checkpoint.every_steps > 0 && st.step % config.checkpoint.every_steps == 0 && !at_epoch_end)
          checkpoint(batcher.position());
        if (options.signal_flag && *options.signal_flag != 0 && !at_epoch_end) {
          const int sig = *options.signal_flag;
          st.epoch_seconds_so_far = seconds_before + seconds_since(t0);
          const std::string path = checkpoint(batcher.position());
          if (sig != SIGHUP) {
            fail_run("interrupted", fmt::format("signal {} at step {}; resume with --resume {}", sig, st.step, run.path()));
            throw Interrupted{sig, path};
          }
          *options.signal_flag = 0;  // SIGHUP: checkpoint and go on
        }
      }
      const double seconds = seconds_before + seconds_since(t0);
      st.epoch_seconds.push_back(seconds);
      double train_acc = static_cast<double>(st.correct) / st.seen;
      if (full_batch) train_acc = evaluate(net, train, tc.eval_batch_size).accuracy;  // after the step
      if (has_val) val = evaluate(net, splits.val, tc.eval_batch_size);
      EpochRecord rec{epoch, st.step, lr, st.loss_sum / st.seen, train_acc, has_val ? val.loss : nan(),
                      has_val ? val.accuracy : nan(), seconds, st.seen / seconds, ""};
      std::map<std::string, double> metrics = {{"train_loss", rec.train_loss}, {"train_acc", rec.train_acc}};
      if (has_val) metrics.insert({{"val_loss", rec.val_loss}, {"val_acc", rec.val_acc}});
      rec.note = schedule->observe(epoch - 1, metrics);  // plateau's decision, logged with the epoch
      record_epoch(rec);
      callbacks.on_epoch(rec);
      st.epoch = epoch;
      summary.epochs = epoch;

      // Best checkpoint by checkpoint.monitor.
      const double value = metric_of(rec, best_monitor);
      const bool up = higher_is_better(best_monitor, config.checkpoint.mode);
      if (config.checkpoint.keep_best && (!st.has_best || (up ? value > st.best_value : value < st.best_value))) {
        st.has_best = true;
        st.best_value = value;
        st.best_epoch = epoch;
        save_weights(run.file("checkpoints/best.safetensors"), net, classes, epoch, value);
      }
      // Early stopping by early_stopping.monitor.
      const EarlyStoppingConfig& es = config.early_stopping;
      bool stop = false;
      if (es.enabled) {
        const double v = metric_of(rec, es.monitor);
        const bool higher = higher_is_better(es.monitor, es.mode);
        const bool improved = !st.stop_has_best || (higher ? v > st.stop_best + es.min_delta : v < st.stop_best - es.min_delta);
        if (improved) {
          st.stop_has_best = true;
          st.stop_best = v;
          st.stop_best_epoch = epoch;
          st.stop_wait = 0;
          if (es.restore_best_weights) {
            best_weights.clear();
            for (const auto& nt : net.state_tensors()) best_weights.push_back(nt.second->vec());
            save_weights(es_best_path, net, classes, epoch, v);
          }
        } else if (epoch > es.start_from_epoch) {
          ++st.stop_wait;
        }
        if (st.stop_wait >= es.patience && epoch > es.start_from_epoch && epoch < tc.epochs) {
          stop = true;
          summary.stopped_early = fmt::format(
              "early stopping at epoch {}: {} did not improve on {:.6g} (epoch {}) by more than {} for {} epochs{}", epoch,
              es.monitor, st.stop_best, st.stop_best_epoch, es.min_delta, st.stop_wait,
              es.restore_best_weights ? fmt::format("; restoring the weights of epoch {}", st.stop_best_epoch) : "");
          callbacks.on_warning(summary.stopped_early);
        }
      }
      st.explode_count = guard.count();
      if ((config.checkpoint.every_epochs > 0 && epoch % config.checkpoint.every_epochs == 0) || epoch == tc.epochs || stop)
        checkpoint(0);
      if (stop) {
        if (es.restore_best_weights && !best_weights.empty()) {
          std::size_t k = 0;
          for (const auto& nt : net.state_tensors()) nt.second->vec() = best_weights[k++];
        }
        break;
      }
    }
  } catch (const Error& e) {
    // Keep every metric and checkpoint written so far; say in summary.json that the run failed.
    fail_run("failed", e.what());
    throw;
  }
  monitor.finish();
  summary.steps = st.step;
  summary.epoch_seconds = st.epoch_seconds;
  if (has_val) val = evaluate(net, splits.val, tc.eval_batch_size);
  summary.val_loss = has_val ? val.loss : nan();
  summary.val_accuracy = has_val ? val.accuracy : nan();
  // The last epoch's running means, as its metrics.jsonl record has them.
  summary.train_loss = st.seen ? st.loss_sum / st.seen : nan();
  summary.train_accuracy = st.seen ? static_cast<double>(st.correct) / st.seen : nan();

  const EvalResult test = evaluate(net, splits.test, tc.eval_batch_size);
  summary.test_accuracy = test.accuracy;
  summary.test_loss = test.loss;
  write_safetensors(run.file("model.safetensors"), net_to_safetensors(net, classes));
  summary.total_seconds = seconds_since(t_start);
  run.write_json("summary.json", {{"status", "ok"},
                                  {"name", config.name},
                                  {"test_accuracy", summary.test_accuracy},
                                  {"test_loss", summary.test_loss},
                                  {"val_accuracy", summary.val_accuracy},
                                  {"val_loss", summary.val_loss},
                                  {"train_loss", summary.train_loss},
                                  {"train_accuracy", summary.train_accuracy},
                                  {"initial_loss", summary.initial_loss},
                                  {"epochs", summary.epochs},
                                  {"steps", summary.steps},
                                  {"epoch_seconds", summary.epoch_seconds},
                                  {"parameters", summary.parameters},
                                  {"threads", summary.threads},
                                  {"seed", tc.seed},
                                  {"stopped_early", summary.stopped_early},
                                  {"best_checkpoint_epoch", st.best_epoch},
                                  {"total_seconds", summary.total_seconds},
                                  {"run_dir", summary.run_dir}});
  return summary;
}

}  // namespace gradnet
