// Internal: what report.html reads from a run directory, tolerant of what may be missing (no
// monitoring files) or cut short (a last line half-written when the run was killed).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradnet::report {

struct EpochRow {                  // one line of metrics.jsonl (NaN where absent or null)
  std::int64_t epoch = 0, step = 0;
  double lr, train_loss, train_acc, val_loss, val_acc, seconds, examples_per_second;
  std::string schedule;            // the schedule's decision, "" if none
  nlohmann::json layers;           // {"layers.0.weight": {"update_ratio", "weight_norm", "grad_norm"}} or null
  nlohmann::json activations;      // {"layers.1": {"type", "mean", "std", "saturated", "dead"}} or null
  std::vector<std::string> warnings;
};

struct StepRow {                   // one line of steps.jsonl
  std::int64_t step = 0, epoch = 0;
  double loss, lr;
  std::map<std::string, double> update_ratio;
};

struct HistogramRow {              // one line of histograms.jsonl
  std::int64_t epoch = 0;
  std::string name, kind;          // kind: weight | grad | activation
  double min = 0, max = 0;
  std::vector<double> counts;
};

struct RunFiles {
  std::string dir;
  nlohmann::json summary;          // summary.json, or null
  std::string config_text;         // config.toml as written, "" if absent
  std::vector<EpochRow> epochs;
  std::vector<StepRow> steps;
  std::vector<HistogramRow> histograms;
  bool has_steps_file = false, has_histograms_file = false;
  std::vector<std::string> notes;  // lines skipped, files absent
};

// Error{checkpoint} when dir has neither config.toml nor metrics.jsonl.
RunFiles read_run_files(const std::string& dir);

// A number from a JSON object: NaN when the key is absent, null or not a number.
double number(const nlohmann::json& object, const char* key);

}  // namespace gradnet::report
