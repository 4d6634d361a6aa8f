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
//   AveragingCallback   train.ema_decay, train.swa_start (src/train/averaging.cpp); before the
//                       checkpointer, so that an epoch-end checkpoint holds that epoch's average
//   Checkpointer        step-0, every_epochs, every_steps and last checkpoints; signals
#include "gradnet/train/trainer.h"

#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/data/dataset.h"
#include "gradnet/error.h"
#include "gradnet/plural.h"
#include "gradnet/train/averaging.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/monitor.h"
#include "gradnet/version.h"
#include "guard.h"
#include "run_dir.h"
#include "run_header.h"

namespace gradnet {

namespace {

nlohmann::json to_json(const EpochRecord& r) {
  nlohmann::json j = {{"epoch", r.epoch},        {"step", r.step},         {"lr", r.lr},
                      {"train_loss", r.train_loss}, {"train_acc", r.train_acc}, {"val_loss", r.val_loss},
                      {"val_acc", r.val_acc},    {"seconds", r.seconds},  {"examples_per_second", r.examples_per_second}};
  if (!r.note.empty()) j["schedule"] = r.note;
  return j;
}

double metric_of(const EpochRecord& r, Metric m) {
  switch (m) {
    case Metric::val_loss: return r.val_loss;
    case Metric::val_acc: return r.val_acc;
    case Metric::train_loss: return r.train_loss;
    case Metric::train_acc: return r.train_acc;
  }
  return r.train_acc;
}

// The weights of the net as a model file (names layers.<i>.*), for best.safetensors.
void save_weights(const std::string& path, Net<float>& net, Index classes, std::int64_t epoch, double value) {
  SafetensorsFile f = net_to_safetensors(net, classes);
  f.metadata["epoch"] = std::to_string(epoch);
  f.metadata["value"] = fmt::format("{}", value);
  std::error_code ec;
  std::filesystem::create_directory(std::filesystem::path(path).parent_path(), ec);  // not the run directory itself
  write_safetensors(path, f);
}

class DivergenceCallback final : public TrainerCallback {
 public:
  std::string_view name() const override { return "divergence guard"; }
  void on_run_begin(Trainer& t) override {
    guard_.emplace(t.config().divergence, t.state().initial_loss, t.config().optimizer.lr);
    guard_->set_count(t.state().explode_count);
  }
  void after_loss(Trainer& t, const StepEvent& e) override {
    if (!std::isfinite(e.loss)) guard_->non_finite_loss(t.net(), e.loss, e.step, e.epoch, e.lr);
  }
  void on_grads_ready(Trainer& t, const StepEvent& e) override {
    if (!t.full_batch() && guard_->check_now(e.step)) guard_->check_grads(t.net(), e.step, e.epoch, e.lr);
  }
  void on_step_end(Trainer& t, const StepEvent& e) override {
    if (std::string w = guard_->after_step(t.net(), e.loss, e.step, e.epoch, e.lr); !w.empty()) t.warn(w);
  }
  void on_epoch_end(Trainer& t, const EpochRecord&) override { t.state().explode_count = guard_->count(); }

 private:
  std::optional<DivergenceGuard> guard_;  // made once the step-0 loss is known
};

class MonitorCallback final : public TrainerCallback {
 public:
  std::string_view name() const override { return "monitor"; }
  explicit MonitorCallback(Trainer& t)
      : monitor_(t.config(), t.net(), t.run_path(), t.resumed() ? t.state().step : -1) {}
  void on_record(Trainer&, RecordEvent& e) override {
    MonitorEpochReport report = monitor_.end_epoch(e.record);
    if (report.json != "{}") e.fields.push_back(report.json);
    e.warnings.insert(e.warnings.end(), report.warnings.begin(), report.warnings.end());
  }
  void on_epoch_begin(Trainer&, std::int64_t epoch, Index steps_done, Index steps_in_epoch) override {
    monitor_.begin_epoch(epoch, steps_done, steps_in_epoch);
  }
  void after_loss(Trainer&, const StepEvent& e) override { monitor_.after_forward(e.step); }
  void after_backward(Trainer&, const StepEvent& e) override { monitor_.after_backward(e.step); }
  void on_grads_ready(Trainer&, const StepEvent& e) override { monitor_.before_update(e.step); }
  void after_update(Trainer&, const StepEvent& e) override { monitor_.after_update(e.step, e.lr, e.loss, e.rows); }
  void on_run_end(Trainer&, const Summary&) override { monitor_.finish(); }
  void before_checkpoint(Trainer&) override { monitor_.flush(); }

 private:
  TrainingMonitor monitor_;
};

class MetricsWriter final : public TrainerCallback {
 public:
  std::string_view name() const override { return "metrics.jsonl, summary.json"; }
  // The trainer's figures plus what other callbacks added (the monitor's layers and activations).
  void on_record(Trainer& t, RecordEvent& e) override {
    nlohmann::json j = to_json(e.record);
    for (const std::string& f : e.fields) j.update(nlohmann::json::parse(f));  // keeps nulls (merge_patch drops them)
    t.run_dir().append_metrics(j);
  }
  void on_run_end(Trainer& t, const Summary& s) override {
    nlohmann::json j = {{"status", "ok"},
                                            {"name", t.config().name},
                                            {"test_accuracy", s.test_accuracy},
                                            {"test_loss", s.test_loss},
                                            {"val_accuracy", s.val_accuracy},
                                            {"val_loss", s.val_loss},
                                            {"train_loss", s.train_loss},
                                            {"train_accuracy", s.train_accuracy},
                                            {"initial_loss", s.initial_loss},
                                            {"epochs", s.epochs},
                                            {"steps", s.steps},
                                            {"epoch_seconds", s.epoch_seconds},
                                            {"parameters", s.parameters},
                                            {"threads", s.threads},
                                            {"seed", t.config().train.seed},
                                            {"stopped_early", s.stopped_early.empty() ? nlohmann::json(nullptr)
                                                                                      : nlohmann::json(s.stopped_early)},
                                            {"best_checkpoint_epoch", t.state().best_epoch},
                                            {"total_seconds", s.total_seconds},
                                            {"run_dir", s.run_dir},
                                            {"gradnet_version", kVersion},
                                            {"started_at", s.started_at},
                                            {"finished_at", s.finished_at}};
    add_averaged_json(j, s);
    if (s.init_from) j["init_from"] = to_json(*s.init_from);
    t.run_dir().write_json("summary.json", j);
  }
};

// The caller's TrainCallbacks (the CLI's progress display).
class ProgressCallback final : public TrainerCallback {
 public:
  std::string_view name() const override { return "progress"; }
  explicit ProgressCallback(TrainCallbacks& user) : user_(user) {}
  void on_record(Trainer&, RecordEvent& e) override {
    for (const std::string& w : e.warnings) user_.on_warning(w);
  }
  void on_run_begin(Trainer& t) override { user_.on_start(describe_run_start(t)); }
  void on_step_end(Trainer& t, const StepEvent& e) override {
    const TrainState& st = t.state();
    user_.on_step({e.epoch, t.config().train.epochs, t.epoch_step(), t.epoch_steps(), st.step, st.loss_sum / st.seen,
                   t.epoch_seconds(), st.seen});
  }
  void on_epoch_end(Trainer&, const EpochRecord& r) override { user_.on_epoch(r); }
  void on_warning(Trainer&, const std::string& w) override { user_.on_warning(w); }

 private:
  TrainCallbacks& user_;
};

// checkpoints/best.safetensors: the weights at the best checkpoint.monitor value so far.
class BestCheckpoint final : public TrainerCallback {
 public:
  std::string_view name() const override { return "best checkpoint"; }
  explicit BestCheckpoint(Trainer& t) : monitor_(t.config().checkpoint.monitor) {
    // Without a validation split the best checkpoint follows the training counterpart.
    if (t.splits().val.size() == 0) monitor_ = training_counterpart(monitor_);
  }
  void on_epoch_end(Trainer& t, const EpochRecord& r) override {
    const CheckpointConfig& c = t.config().checkpoint;
    TrainState& st = t.state();
    const double value = metric_of(r, monitor_);
    const bool up = higher_is_better(monitor_, c.mode);
    if (!c.keep_best || (st.has_best && !(up ? value > st.best_value : value < st.best_value))) return;
    st.has_best = true;
    st.best_value = value;
    st.best_epoch = r.epoch;
    t.run_dir().guarded(
        [&] { save_weights(t.run_dir().file("checkpoints/best.safetensors"), t.net(), t.classes(), r.epoch, value); });
  }

 private:
  Metric monitor_;
};

// Keras's EarlyStopping, with restore_best_weights (kept in memory and in
// checkpoints/early_stopping_best.safetensors, so that a resumed run can restore them too).
class EarlyStopping final : public TrainerCallback {
 public:
  std::string_view name() const override { return "early stopping"; }
  explicit EarlyStopping(Trainer& t) : best_path_(t.run_dir().file("checkpoints/early_stopping_best.safetensors")) {}
  void on_run_begin(Trainer& t) override {
    if (t.resumed() && t.config().early_stopping.restore_best_weights && std::filesystem::exists(best_path_))
      for (const NamedTensor& nt : read_safetensors(best_path_).tensors) best_weights_.push_back(nt.data);
  }
  void on_epoch_end(Trainer& t, const EpochRecord& r) override;
  void on_train_end(Trainer& t) override {
    if (!stopped_ || !t.config().early_stopping.restore_best_weights || best_weights_.empty()) return;
    std::size_t k = 0;
    for (const auto& nt : t.net().state_tensors()) nt.second->set_values(best_weights_[k++]);
  }

 private:
  std::string best_path_;
  std::vector<std::vector<float>> best_weights_;
  bool stopped_ = false;
};

void EarlyStopping::on_epoch_end(Trainer& t, const EpochRecord& r) {
  const EarlyStoppingConfig& es = t.config().early_stopping;
  if (!es.enabled) return;
  TrainState& st = t.state();
  const std::int64_t epoch = r.epoch;
  const double v = metric_of(r, es.monitor);
  const bool higher = higher_is_better(es.monitor, es.mode);
  const bool improved = !st.stop_has_best || (higher ? v > st.stop_best + es.min_delta : v < st.stop_best - es.min_delta);
  if (improved) {
    st.stop_has_best = true;
    st.stop_best = v;
    st.stop_best_epoch = epoch;
    st.stop_wait = 0;
    if (es.restore_best_weights) {
      best_weights_.clear();
      for (const auto& nt : t.net().state_tensors()) best_weights_.push_back(nt.second->to_vector());
      t.run_dir().guarded([&] { save_weights(best_path_, t.net(), t.classes(), epoch, v); });
    }
  } else if (epoch > es.start_from_epoch) {
    ++st.stop_wait;
  }
  if (st.stop_wait < es.patience || epoch <= es.start_from_epoch || epoch >= t.config().train.epochs) return;
  stopped_ = true;
  const std::string reason = fmt::format(
      "early stopping at epoch {}: {} did not improve on {:.6g} (epoch {}) by more than {} for {}{}", epoch,
      name_of(es.monitor), st.stop_best, st.stop_best_epoch, es.min_delta, count_of(st.stop_wait, "epoch"),
      es.restore_best_weights ? fmt::format("; restoring the weights of epoch {}", st.stop_best_epoch) : "");
  t.request_stop(reason);
  t.warn(reason);
}

// Step checkpoints: at step 0, every checkpoint.every_epochs epochs and every_steps steps, at the
// end and at an early stop; SIGINT/SIGTERM checkpoint and stop, SIGHUP checkpoints and goes on.
class Checkpointer final : public TrainerCallback {
 public:
  std::string_view name() const override { return "checkpoints"; }
  void on_record(Trainer& t, RecordEvent& e) override {
    if (e.record.epoch == 0) t.write_checkpoint(0);  // the last good state exists from the start
  }
  void on_step_end(Trainer& t, const StepEvent& e) override;
  void on_epoch_end(Trainer& t, const EpochRecord& r) override {
    const CheckpointConfig& c = t.config().checkpoint;
    if ((c.every_epochs > 0 && r.epoch % c.every_epochs == 0) || r.epoch == t.config().train.epochs ||
        t.stop_requested())
      t.write_checkpoint(0);
  }
};

void Checkpointer::on_step_end(Trainer& t, const StepEvent& e) {
  t.run_dir().check_now_and_then();  // a removed run directory is noticed within a second, not at the epoch's end
  const bool at_epoch_end = t.at_epoch_end();
  const std::int64_t every = t.config().checkpoint.every_steps;
  if (every > 0 && e.step % every == 0 && !at_epoch_end) t.write_checkpoint(t.epoch_position());
  std::atomic<int>* flag = t.options().signal_flag;
  if (!flag || flag->load() == 0 || at_epoch_end) return;
  const int sig = flag->load();
  t.state().epoch_seconds_so_far = t.epoch_seconds();
  const std::string path = t.write_checkpoint(t.epoch_position());
  if (sig != SIGHUP) {
    t.mark_failed("interrupted", fmt::format("signal {} at step {}; resume with --resume {}", sig, e.step, t.run_path()));
    throw Interrupted{sig, path};
  }
  flag->store(0);  // SIGHUP: checkpoint and go on
}

}  // namespace

void add_standard_callbacks(Trainer& trainer, TrainCallbacks& progress) {
  trainer.add_callback(std::make_unique<DivergenceCallback>());
  trainer.add_callback(std::make_unique<MonitorCallback>(trainer));
  trainer.add_callback(std::make_unique<MetricsWriter>());
  trainer.add_callback(std::make_unique<ProgressCallback>(progress));
  trainer.add_callback(std::make_unique<BestCheckpoint>(trainer));
  trainer.add_callback(std::make_unique<EarlyStopping>(trainer));
  // Before the checkpointer: an epoch's end checkpoint holds the SWA average that includes it.
  if (auto averaging = make_averaging_callback(trainer)) trainer.add_callback(std::move(averaging));
  trainer.add_callback(std::make_unique<Checkpointer>());
}

Summary train(const Config& config, const TrainOptions& options, TrainCallbacks& callbacks) {
  Trainer trainer(config, options);
  add_standard_callbacks(trainer, callbacks);
  return trainer.run();
}

}  // namespace gradnet
