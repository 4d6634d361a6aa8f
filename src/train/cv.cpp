#include "gradnet/train/cv.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"

namespace gradnet {

namespace fs = std::filesystem;

namespace {

// Forwards every event to the caller's callbacks and keeps the split sizes from on_start.
class FoldCallbacks : public TrainCallbacks {
 public:
  explicit FoldCallbacks(TrainCallbacks& inner) : inner_(inner) {}
  void on_warning(const std::string& w) override { inner_.on_warning(w); }
  void on_start(const TrainStart& s) override {
    train_examples = s.train_examples;
    val_examples = s.val_examples;
    inner_.on_start(s);
  }
  void on_step(const StepProgress& p) override { inner_.on_step(p); }
  void on_epoch(const EpochRecord& r) override { inner_.on_epoch(r); }
  Index train_examples = 0, val_examples = 0;

 private:
  TrainCallbacks& inner_;
};

struct MeanStd {
  double mean = 0, std = 0;
};

MeanStd mean_std(const std::vector<FoldResult>& runs, double FoldResult::*field) {
  MeanStd m;
  const double n = static_cast<double>(runs.size());
  for (const FoldResult& r : runs) m.mean += r.*field / n;
  double sq = 0;
  for (const FoldResult& r : runs) sq += (r.*field - m.mean) * (r.*field - m.mean);
  m.std = runs.size() > 1 ? std::sqrt(sq / (n - 1)) : 0.0;
  return m;
}

void check_cv_request(const Config& config, const TrainOptions& options) {
  GRADNET_CHECK(config.data.folds >= 2, config,
                "{}data.folds = {}: cross-validation needs k >= 2 folds (set data.folds, or gradnet cv --folds K)",
                config.source.empty() ? std::string() : config.source + ": ", config.data.folds);
  GRADNET_CHECK(!options.out_dir.empty(), usage, "cross-validation needs an output directory for its fold runs");
  GRADNET_CHECK(options.resume_dir.empty(), usage,
                "a cross-validation is not resumed; start it again in a new directory (each fold is a new run)");
  const fs::path dir(options.out_dir);
  std::error_code ec;
  GRADNET_CHECK(!fs::exists(dir / "cv.json", ec), usage,
                "{} already holds a cross-validation (cv.json); give a new or empty directory", options.out_dir);
  for (std::int64_t i = 0; i < config.data.folds; ++i)
    GRADNET_CHECK(!fs::exists(dir / fmt::format("fold-{}", i), ec), usage,
                  "{} already holds fold-{}/; give a new or empty directory", options.out_dir, i);
}

}  // namespace

CvSummary cross_validate(const Config& config, const TrainOptions& options, TrainCallbacks& callbacks,
                         const std::function<void(const FoldResult&)>& on_fold) {
  check_cv_request(config, options);
  CvSummary cv;
  cv.out_dir = options.out_dir;
  cv.folds = config.data.folds;
  for (std::int64_t i = 0; i < cv.folds; ++i) {
    Config fold_config = config;
    fold_config.data.fold = i;
    TrainOptions fold_options = options;
    fold_options.out_dir = (fs::path(options.out_dir) / fmt::format("fold-{}", i)).string();
    FoldCallbacks fold_callbacks(callbacks);
    const Summary s = train(fold_config, fold_options, fold_callbacks);
    FoldResult r;
    r.fold = i;
    r.run_dir = s.run_dir;
    r.train_examples = fold_callbacks.train_examples;
    r.val_examples = fold_callbacks.val_examples;
    r.val_accuracy = s.val_accuracy;
    r.val_loss = s.val_loss;
    r.test_accuracy = s.test_accuracy;
    r.test_loss = s.test_loss;
    r.epochs = s.epochs;
    r.stopped_early = s.stopped_early;
    r.total_seconds = s.total_seconds;
    cv.total_seconds += s.total_seconds;
    cv.fold_results.push_back(r);
    if (on_fold) on_fold(r);
  }
  const auto& runs = cv.fold_results;
  const MeanStd va = mean_std(runs, &FoldResult::val_accuracy), vl = mean_std(runs, &FoldResult::val_loss);
  const MeanStd ta = mean_std(runs, &FoldResult::test_accuracy), tl = mean_std(runs, &FoldResult::test_loss);
  cv.mean_val_accuracy = va.mean, cv.std_val_accuracy = va.std;
  cv.mean_val_loss = vl.mean, cv.std_val_loss = vl.std;
  cv.mean_test_accuracy = ta.mean, cv.std_test_accuracy = ta.std;
  cv.mean_test_loss = tl.mean, cv.std_test_loss = tl.std;
  write_file_atomic((fs::path(options.out_dir) / "cv.json").string(), cv_json(cv).dump(1) + "\n");
  return cv;
}

nlohmann::json cv_json(const CvSummary& cv) {
  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json runs = nlohmann::json::array();
  for (const FoldResult& r : cv.fold_results)
    runs.push_back({{"fold", r.fold},
                    {"run_dir", r.run_dir},
                    {"train_examples", r.train_examples},
                    {"val_examples", r.val_examples},
                    {"val_accuracy", num(r.val_accuracy)},
                    {"val_loss", num(r.val_loss)},
                    {"test_accuracy", num(r.test_accuracy)},
                    {"test_loss", num(r.test_loss)},
                    {"epochs", r.epochs},
                    {"stopped_early", r.stopped_early.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.stopped_early)},
                    {"total_seconds", r.total_seconds}});
  return {{"out_dir", cv.out_dir},
          {"folds", cv.folds},
          {"mean_val_accuracy", num(cv.mean_val_accuracy)},
          {"std_val_accuracy", num(cv.std_val_accuracy)},
          {"mean_val_loss", num(cv.mean_val_loss)},
          {"std_val_loss", num(cv.std_val_loss)},
          {"mean_test_accuracy", num(cv.mean_test_accuracy)},
          {"std_test_accuracy", num(cv.std_test_accuracy)},
          {"mean_test_loss", num(cv.mean_test_loss)},
          {"std_test_loss", num(cv.std_test_loss)},
          {"total_seconds", cv.total_seconds},
          {"runs", runs}};
}

}  // namespace gradnet
