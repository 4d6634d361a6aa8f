// The run report: `gradnet report RUNDIR` writes RUNDIR/report.html, one self-contained file
// (inline CSS, inline SVG charts, images as data: URIs; nothing fetched from the network) that
// shows what the run directory holds (docs/report.md): summary, loss/accuracy curves with the
// train/validation gap explained, learning rate, per-layer update/parameter ratios, histograms,
// first-layer weights, and, recomputed from model.safetensors on the test split: confusion
// matrix, per-class precision/recall/F1, ROC and precision-recall curves, the most confidently
// wrong examples; and the config. Sections whose inputs are missing (monitoring off, a run that
// never wrote its model) say so instead of failing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

// One epoch of metrics.jsonl, as the fit diagnosis needs it (NaN where absent).
struct FitPoint {
  std::int64_t epoch = 0;
  double train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0;
};

enum class FitVerdict {
  no_data,        // no epoch finished (at most the step-0 record)
  no_validation,  // no validation numbers: the gap cannot be measured
  overfitting,    // validation loss rose above its minimum while training loss kept falling
  gap,            // validation still near its best, but clearly behind training
  still_improving,// no gap to speak of; both losses still falling at the last epoch
  good,           // no sign of overfitting
};

struct FitDiagnosis {
  FitVerdict verdict = FitVerdict::no_data;
  std::int64_t best_epoch = -1;  // epoch of the lowest validation loss
  double loss_gap = 0;           // last epoch: val_loss - train_loss
  double acc_gap = 0;            // last epoch: train_acc - val_acc
  std::string text;              // the explanation, with the numbers, in plain words
};

// Reads the train/validation curves the way the report explains them (docs/report.md):
// overfitting when the validation loss ended more than 2% above its minimum (reached before the
// last epoch) while the training loss kept falling; a gap when training accuracy leads validation
// accuracy by more than 3 points (or the loss gap exceeds 20% of the training loss, at least 0.05).
FitDiagnosis diagnose_fit(const std::vector<FitPoint>& epochs);

struct ReportOptions {
  Index gallery = 24;  // most confidently wrong test examples shown
};

struct ReportResult {
  std::string path;                   // RUNDIR/report.html
  std::vector<std::string> sections;  // section ids, in page order
  std::vector<std::string> notes;     // what was missing or could not be computed
};

// Error{checkpoint} when run_dir is not a run directory (no config.toml and no metrics.jsonl);
// Error{runtime} when report.html cannot be written. Anything else missing is a note.
ReportResult write_report(const std::string& run_dir, const ReportOptions& options = {});

}  // namespace gradnet
