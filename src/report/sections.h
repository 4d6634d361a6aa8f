// Internal: the sections of report.html and what they are computed from.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/data/dataset.h"
#include "gradnet/report.h"
#include "gradnet/train/metrics.h"
#include "run_files.h"

namespace gradnet::report {

struct Section {
  std::string id, title;
  std::string html;      // the body, after the <h2>
  bool missing = false;  // nothing to show (no model, no test split): left out, named once in the summary
};

// The first layer's weights, as model.safetensors holds them.
struct FirstLayer {
  std::string name;       // "layers.0.weight"
  std::string type;       // the layer's type ("linear")
  Shape shape;            // (out, in...) as stored
  std::vector<float> values;
};

// Everything the test-split sections need, recomputed from model.safetensors.
struct TestSet {
  std::string problem;               // non-empty: why there is nothing to show
  Dataset raw;                       // the test split before normalization (for the gallery)
  Tensor<float> probs;               // (N, K): loss_fn().predict of the outputs
  ClassificationMetrics metrics;
  double loss = 0;
  bool probabilities = true;         // false for mse: the outputs are scores, not probabilities
  // A reconstruction model (model.target = "input"): the first test examples as the net sees them
  // (normalized) and what it made of them (loss_fn().predict: mse's outputs, bce's sigmoids).
  bool reconstruction = false;
  bool reconstructs_input = false;   // false: model.target_layer reconstructs a hidden layer
  Tensor<float> inputs, outputs;     // (shown, D)
};

struct Context {
  RunFiles files;
  ReportOptions options;
  bool has_config = false;
  Config config;                     // the run's config.toml (when has_config)
  std::string model_problem;         // non-empty: model.safetensors could not be loaded
  std::string architecture;          // "input [784] → linear [32] → tanh → linear [10]"
  Index parameters = 0;
  Index classes = 0;
  FirstLayer first_layer;            // empty name when there is none
  Shape image_shape;                 // {C, H, W} when the examples are images, else empty
  std::vector<std::string> class_names;
  TestSet test;
  std::vector<std::string> notes;

  std::string class_name(Index c) const;
};

// A boxed remark: kind "good" | "warn" | "info".
std::string callout(const std::string& kind, const std::string& html);

Section summary_section(const Context& c);
Section curves_section(const Context& c);
Section lr_section(const Context& c);
Section update_ratio_section(const Context& c);
Section histograms_section(const Context& c);
Section weights_section(const Context& c);
Section confusion_section(const Context& c);
Section per_class_section(const Context& c);
Section roc_pr_section(const Context& c);
Section gallery_section(const Context& c);
Section config_section(const Context& c);
Section reconstruction_section(const Context& c);  // reconstruction_section.cpp

// Epoch rows of metrics.jsonl as the fit diagnosis reads them.
std::vector<FitPoint> fit_points(const RunFiles& files);
// Any finite value in v.
bool finite_any(const std::vector<double>& v);
// Parameter / layer names layer by layer ("layers.<i>..."), the weight before the bias.
std::vector<std::string> sorted_param_names(const std::set<std::string>& names);
// The x axis of the training charts: epochs once an epoch has finished (a step becomes a fractional
// epoch: epoch e ends at metrics.jsonl's step of epoch e), else steps (a run that stopped in its
// first epoch).
struct TimeAxis {
  explicit TimeAxis(const std::vector<EpochRow>& epochs) : epochs_(epochs) {}
  bool in_epochs() const { return epochs_.size() >= 2; }
  const char* label() const { return in_epochs() ? "epoch" : "step"; }
  double of_step(double step) const;
  double of_epoch(const EpochRow& e) const { return in_epochs() ? static_cast<double>(e.epoch) : static_cast<double>(e.step); }

 private:
  const std::vector<EpochRow>& epochs_;
};

}  // namespace gradnet::report
