#include "trial.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/cv.h"
#include "gradnet/train/trainer.h"
#include "pruner.h"
#include "trial_source.h"

namespace gradnet::search {
namespace fs = std::filesystem;
namespace {

// At each epoch's end: the objective to the store, then the pruner's verdict.
class PruningCallback : public TrainerCallback {
 public:
  PruningCallback(TrialSource& queue, const SearchSpec& spec, const TrialRecord& trial)
      : queue_(queue), spec_(spec), trial_(trial), metric_(epoch_metric(spec.objective)) {}
  std::string_view name() const override { return "search pruner"; }

  void on_epoch_end(Trainer& t, const EpochRecord& r) override {
    const double v = metric_ == "val_accuracy" ? r.val_acc
                     : metric_ == "val_loss"   ? r.val_loss
                     : metric_ == "train_loss" ? r.train_loss
                                               : r.train_acc;
    if (std::isnan(v)) return;
    last = v;
    best_ = std::isnan(best_) || (spec_.maximize ? v > best_ : v < best_) ? v : best_;
    queue_.report(trial_.number, r.epoch, v);
    if (spec_.pruner.type == "none" || r.epoch >= t.config().train.epochs) return;
    const std::string why = prune_decision(spec_.pruner, metric_, spec_.maximize, r.epoch, best_, v,
                                           queue_.values_at(trial_.stage, r.epoch, trial_.number));
    if (why.empty()) return;
    pruned = why;
    t.request_stop(why);
  }

  std::string pruned;
  std::optional<double> last;

 private:
  TrialSource& queue_;
  const SearchSpec& spec_;
  const TrialRecord& trial_;
  std::string metric_;
  double best_ = std::nan("");
};

// A trial's progress: warnings as notes, and every step the source's chance to send a heartbeat and
// hear a stop (a remote source), for plain and cross-validation trials alike.
class QuietProgress : public TrainCallbacks {
 public:
  QuietProgress(TrialSource& source, std::int64_t number, bool quiet)
      : source_(source), number_(number), quiet_(quiet) {}
  void on_warning(const std::string& message) override {
    if (!quiet_) fmt::print(stderr, "gradnet: warning: trial {}: {}\n", number_, message);
  }
  void on_start(const TrainStart&) override { source_.keep_alive(number_); }
  void on_step(const StepProgress&) override { source_.keep_alive(number_); }
  void on_epoch(const EpochRecord&) override { source_.keep_alive(number_); }

 private:
  TrialSource& source_;
  std::int64_t number_;
  bool quiet_;
};

double or_nan(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

std::optional<nlohmann::json> finished_summary(const fs::path& run_dir) {
  std::ifstream in(run_dir / "summary.json");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || j.value("status", "") != "ok") return std::nullopt;
  return j;
}

// A trial that finished before its worker could write the result: the result is in summary.json.
TrialOutcome from_summary(const nlohmann::json& j, const std::string& objective) {
  TrialOutcome o;
  o.value = objective_of(objective, or_nan(j, "val_accuracy"), or_nan(j, "val_loss"), or_nan(j, "test_accuracy"),
                         or_nan(j, "test_loss"), or_nan(j, "train_accuracy"), or_nan(j, "train_loss"));
  const std::string stopped = j.contains("stopped_early") && j["stopped_early"].is_string()
                                  ? j["stopped_early"].get<std::string>() : "";
  o.state = stopped.rfind("pruned", 0) == 0 ? TrialState::pruned : o.value ? TrialState::complete : TrialState::failed;
  o.message = stopped;
  if (!o.value && o.state == TrialState::failed) o.message = objective + " was not measured";
  return o;
}

// A cross-validation trial that finished before its worker could write the result: cv.json.
std::optional<TrialOutcome> finished_cv(const fs::path& run_dir, const std::string& objective) {
  std::ifstream in(run_dir / "cv.json");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  TrialOutcome o;
  const double v = or_nan(j, objective == "cv_accuracy" ? "mean_val_accuracy" : "mean_val_loss");
  if (std::isnan(v)) {
    o.message = objective + " was not measured";
  } else {
    o.value = v;
    o.state = TrialState::complete;
  }
  return o;
}

// A cut-short run directory is moved aside (trials/0007.attempt1) so the trial starts afresh.
void set_aside(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::exists(run_dir, ec) || fs::is_empty(run_dir, ec)) return;
  fs::path aside;
  for (int k = 1; fs::exists(aside = run_dir.string() + fmt::format(".attempt{}", k), ec); ++k) {}
  fs::rename(run_dir, aside, ec);
}

// cv_accuracy / cv_loss: the trial is data.folds runs under its directory (fold-<i>/, cv.json); a
// cross-validation is not resumed, so a trial cut short starts again.
TrialOutcome run_cv_trial(TrialSource& source, const SearchSpec& spec, const TrialRecord& trial,
                          const WorkerOptions& options, const Config& config) {
  const fs::path run_dir(trial.run_dir);
  if (auto done = finished_cv(run_dir, spec.objective)) return *done;
  set_aside(run_dir);
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  TrainOptions train_options;
  train_options.signal_flag = options.signal_flag;
  train_options.out_dir = run_dir.string();
  QuietProgress progress(source, trial.number, options.quiet);
  const CvSummary cv = cross_validate(config, train_options, progress);
  TrialOutcome o;
  const double v = spec.objective == "cv_accuracy" ? cv.mean_val_accuracy : cv.mean_val_loss;
  if (std::isnan(v)) {
    o.message = spec.objective + " was not measured";
  } else {
    o.value = v;
    o.state = TrialState::complete;
  }
  return o;
}

Config trial_config(const SearchSpec& spec, const TrialRecord& trial, int workers) {
  std::vector<std::string> overrides = spec.set;
  const std::int64_t epochs = spec.stages[static_cast<std::size_t>(trial.stage)].epochs;
  if (epochs > 0) overrides.push_back(fmt::format("train.epochs={}", epochs));
  for (const auto& p : trial.params) overrides.push_back(p.key + "=" + p.literal);
  Config config = load_config(spec.base, overrides);
  if (config.train.threads == 0)  // the machine's cores shared among the workers
    config.train.threads = std::max(1, thread_count(0) / std::max(1, workers));
  return config;
}

}  // namespace

std::optional<double> objective_of(const std::string& objective, double val_accuracy, double val_loss,
                                   double test_accuracy, double test_loss, double train_accuracy, double train_loss) {
  const double v = objective == "val_accuracy"    ? val_accuracy
                   : objective == "val_loss"      ? val_loss
                   : objective == "test_accuracy" ? test_accuracy
                   : objective == "test_loss"     ? test_loss
                   : objective == "train_accuracy" ? train_accuracy
                                                  : train_loss;
  if (std::isnan(v)) return std::nullopt;
  return v;
}

TrialOutcome run_trial(TrialSource& queue, const SearchSpec& spec, const TrialRecord& trial,
                       const WorkerOptions& options) {
  const fs::path run_dir(trial.run_dir);
  std::error_code ec;
  const bool cv = is_cv_objective(spec.objective);
  if (!cv)
    if (auto done = finished_summary(run_dir)) return from_summary(*done, spec.objective);
  TrialOutcome outcome;
  try {
    if (cv) return run_cv_trial(queue, spec, trial, options, trial_config(spec, trial, options.workers_on_machine));
    TrainOptions train_options;
    train_options.signal_flag = options.signal_flag;
    Config config;
    if (fs::exists(run_dir / "config.toml", ec)) {
      // A worker died while it ran this trial: continue from the newest checkpoint (bit-identical to
      // an uninterrupted run), or from the start when it wrote none; train --resume does the same.
      config = load_config((run_dir / "config.toml").string());
      train_options.resume_dir = run_dir.string();
    } else {
      set_aside(run_dir);  // cut short before its config
      fs::create_directories(run_dir.parent_path(), ec);
      config = trial_config(spec, trial, options.workers_on_machine);
      train_options.out_dir = run_dir.string();
    }
    Trainer trainer(config, train_options);
    QuietProgress progress(queue, trial.number, options.quiet);
    add_standard_callbacks(trainer, progress);
    PruningCallback pruning(queue, spec, trial);
    trainer.add_callback(pruning);
    const Summary s = trainer.run();
    outcome.value = objective_of(spec.objective, s.val_accuracy, s.val_loss, s.test_accuracy, s.test_loss,
                                 s.train_accuracy, s.train_loss);
    if (!pruning.pruned.empty()) {
      outcome.state = TrialState::pruned;
      outcome.message = pruning.pruned;
      outcome.value = pruning.last;  // the last reported value: what the pruner judged
    } else if (outcome.value) {
      outcome.state = TrialState::complete;
    } else {
      outcome.message = fmt::format("{} was not measured (no validation split?)", spec.objective);
    }
  } catch (const Interrupted& i) {
    outcome.signal = i.signal;
  } catch (const Error& e) {
    outcome.message = e.what();
  } catch (const std::exception& e) {
    outcome.message = fmt::format("internal error: {}", e.what());
  }
  return outcome;
}

}  // namespace gradnet::search
