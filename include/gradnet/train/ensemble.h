// Ensembles of trained models (docs/ensembles.md): several runs (different seeds, architectures,
// the top trials of a search) or the snapshots of one run, combined by averaging their softmax
// probabilities or by a majority vote. Each member applies its own stored normalization; members
// must share the dataset, the classes (count and names) and the raw input shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"

namespace gradnet {

enum class EnsembleCombine { average, vote };

// load_model for every target (a run directory, its model.safetensors, ema.safetensors,
// swa.safetensors or a checkpoint), each planned for its own run's evaluation pass; then
// check_compatible of each against the first. Error{usage} for fewer than one target.
std::vector<LoadedModel> load_ensemble(const std::vector<std::string>& targets);

// Error{usage} (exit 2) naming both models and what differs: the dataset (kind, CSV file), the
// number of classes, their names (dataset.json) or the raw input shape.
void check_compatible(const LoadedModel& first, const LoadedModel& other);

// The members' probabilities combined, one row per example: average, their mean; vote, each
// member's argmax is a vote and the scores are (votes + mean probability) / (members + 1), a
// distribution whose argmax is the majority class with ties broken by the mean probability.
Tensor<float> combine_probabilities(const std::vector<Tensor<float>>& member_probs, EnsembleCombine how);

struct MemberEvaluation {
  std::string model, run_dir;
  EvalResult result;  // as `gradnet eval` of that model alone gives it
};

struct EnsembleEvaluation {
  EvalResult result;    // the ensemble's accuracy, confusion and loss: the mean negative log of the
                        // averaged probability of the true class (the vote's too)
  Tensor<float> probs;  // combine_probabilities: what accuracy, confusion and the ranking metrics use
  std::vector<MemberEvaluation> members;
  std::vector<std::int32_t> labels;
  std::vector<std::string> class_names;  // the first member's (dataset.json, else the data's), or empty
  double best_member_accuracy = 0;
};

// Every member on `split` ("test" or "val") of its own run's data, normalized its own way, then
// combined. Error{usage} when the members' splits are not the same examples (a validation split
// depends on data.validation and train.seed). Threads: threads < 0 the first member's train.threads.
EnsembleEvaluation evaluate_ensemble(std::vector<LoadedModel>& members, const std::string& split, EnsembleCombine how,
                                     std::int64_t threads = -1);

// A snapshot ensemble of one run: its checkpoints/step-*.safetensors after step 0 (the untrained
// initial weights), oldest first, the newest `last` of them (0: all). Error{checkpoint} when it has
// fewer than two (keep them with checkpoint.keep_last = 0 or a large count).
std::vector<std::string> snapshot_models(const std::string& run_dir, std::int64_t last = 0);

}  // namespace gradnet
