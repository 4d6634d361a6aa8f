// What `gradnet eval` prints for one model or an ensemble (cmd_eval.cpp): the metrics table, the
// confusion matrix and the JSON fields, shared so an ensemble's report reads like a model's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/tensor.h"
#include "gradnet/train/evaluate.h"

namespace gradnet::cli {

// A class's label: its name when the run has names other than the numbers, else the number.
struct ClassLabels {
  std::vector<std::string> names;  // one per class, or empty
  bool named() const;
  std::string operator()(std::size_t c) const { return c < names.size() ? names[c] : std::to_string(c); }
  std::size_t width(std::size_t least) const;
};

// The fields of `gradnet eval --json` but "model" and "run_dir": split, examples, accuracy, loss,
// per_class_accuracy, confusion, class_names, top_k, per_class, macro, weighted.
nlohmann::json eval_json(const std::string& split, const EvalResult& r, ConstView<float> probs,
                         const std::int32_t* labels, const ClassLabels& names);
// The human form after its first line: per-class accuracy, the metrics table, the confusion matrix.
void print_eval_details(const EvalResult& r, ConstView<float> probs, const std::int32_t* labels,
                        const ClassLabels& names);

// gradnet eval of several models (or one run's snapshots) as one ensemble: what the ensemble
// scores and what each member does alone. Also for commands that pick the members themselves.
struct EnsembleEvalRequest {
  std::vector<std::string> models;  // run directories or model files
  std::string split = "test";
  bool vote = false;
  std::int64_t threads = -1;  // -1: the first member's train.threads
  bool json = false;
  nlohmann::json extra = nlohmann::json::object();  // more fields for --json (ensemble --top: the trials)
};
int run_ensemble_eval(const EnsembleEvalRequest& request);

}  // namespace gradnet::cli
