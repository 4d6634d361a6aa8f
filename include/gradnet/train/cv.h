// Cross-validation (docs/cross-validation.md): k ordinary runs of gradnet::train on rotating
// validation folds of the training split (data.folds = k; fold i's rows: data/folds.h), and the
// mean ± sample std of their final validation metrics. The test split is untouched; each fold's
// model is tested on it too. Usable as a search objective: mean_val_accuracy / mean_val_loss.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/train/trainer.h"

namespace gradnet {

struct FoldResult {
  std::int64_t fold = 0;          // 0..k-1: data.fold of this run
  std::string run_dir;            // DIR/fold-<fold>
  Index train_examples = 0, val_examples = 0;
  double val_accuracy = 0, val_loss = 0;    // the final model on its held-out fold
  double test_accuracy = 0, test_loss = 0;  // the final model on the test split
  std::int64_t epochs = 0;
  std::string stopped_early;      // as Summary has it ("" when every epoch ran)
  double total_seconds = 0;
};

struct CvSummary {
  std::string out_dir;            // DIR: fold-<i>/ and cv.json
  std::int64_t folds = 0;
  std::vector<FoldResult> fold_results;     // in fold order
  // Over the folds; std is the sample standard deviation (n - 1).
  double mean_val_accuracy = 0, std_val_accuracy = 0;
  double mean_val_loss = 0, std_val_loss = 0;
  double mean_test_accuracy = 0, std_test_accuracy = 0;
  double mean_test_loss = 0, std_test_loss = 0;
  double total_seconds = 0;
};

// config.data.folds = k >= 2 (else Error{config} naming data.folds); config.data.fold is set per
// run. options.out_dir = DIR is required (Error{usage} when empty); it may exist, but not hold a
// cv.json or fold-<i>/ already (Error{usage}). options.resume_dir must be empty (a cross-validation
// is not resumed; start it again). Each fold is gradnet::train(config with data.fold = i,
// options with out_dir DIR/fold-<i>, callbacks), so callbacks see every fold's events in turn;
// on_fold (optional) runs after each fold. Writes DIR/cv.json (cv_json) at the end. Errors and
// Interrupted from a fold's run propagate: earlier folds' directories stay, no cv.json.
CvSummary cross_validate(const Config& config, const TrainOptions& options, TrainCallbacks& callbacks,
                         const std::function<void(const FoldResult&)>& on_fold = {});

// cv.json's object: folds, the means and stds, and "runs": one object per fold (NaN as null).
nlohmann::json cv_json(const CvSummary& summary);

}  // namespace gradnet
