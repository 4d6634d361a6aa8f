// Ensembles: loading and checking members, combining probabilities, evaluating on a split.
#include "gradnet/train/ensemble.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/checkpoint.h"

namespace gradnet {

namespace {

// The raw per-example shape the model was trained on: dataset.json's, else its raw feature count.
std::string raw_input(const LoadedModel& m) {
  if (!m.info.shape.empty()) return shape_str(m.info.shape);
  const Index features =
      m.normalizer.input_features() > 0 ? m.normalizer.input_features() : numel(m.net->input_shape());
  return shape_str(Shape{features});
}

std::string dataset_of(const LoadedModel& m) {
  const DataConfig& d = m.config.data;
  const std::string kind(name_of(d.dataset));
  if (d.dataset == DatasetKind::csv || d.dataset == DatasetKind::npy) return fmt::format("{} {}", kind, d.path);
  return d.dataset == DatasetKind::folder ? fmt::format("folder {}", d.dir) : kind;
}

// Whether two splits hold the same examples in the same order (raw values, before normalization).
bool same_examples(const Dataset& a, const Dataset& b) {
  if (a.size() != b.size() || a.y != b.y || a.byte_rows != b.byte_rows) return false;
  return a.byte_rows ? a.bytes == b.bytes : std::ranges::equal(a.x.values(), b.x.values());
}

}  // namespace

void check_compatible(const LoadedModel& first, const LoadedModel& other) {
  const std::string& a = first.model_path;
  const std::string& b = other.model_path;
  GRADNET_CHECK(dataset_of(first) == dataset_of(other), usage,
                "{} and {} cannot be combined: they were trained on different datasets ({} vs {})", a, b,
                dataset_of(first), dataset_of(other));
  GRADNET_CHECK(first.classes == other.classes, usage,
                "{} and {} cannot be combined: {} classes vs {}", a, b, first.classes, other.classes);
  const auto& na = first.info.class_names;
  const auto& nb = other.info.class_names;
  if (!na.empty() && !nb.empty() && na != nb) {
    std::size_t c = 0;
    while (c < na.size() && c < nb.size() && na[c] == nb[c]) ++c;
    fail(ErrorKind::usage, "{} and {} cannot be combined: class {} is '{}' in one and '{}' in the other", a, b, c,
         c < na.size() ? na[c] : "", c < nb.size() ? nb[c] : "");
  }
  GRADNET_CHECK(raw_input(first) == raw_input(other), usage,
                "{} and {} cannot be combined: their inputs differ ({} vs {} per example)", a, b, raw_input(first),
                raw_input(other));
}

std::vector<LoadedModel> load_ensemble(const std::vector<std::string>& targets) {
  GRADNET_CHECK(!targets.empty(), usage, "an ensemble needs at least one model");
  std::vector<LoadedModel> members;
  for (const std::string& target : targets) {
    members.push_back(load_model(target));
    GRADNET_CHECK(!members.back().net->reconstructs(), usage,
                  "{}: a reconstruction model (model.target = \"input\") has no classes to predict or combine; "
                  "gradnet eval gives its reconstruction loss, gradnet report shows its reconstructions",
                  target);
    check_compatible(members.front(), members.back());
  }
  return members;
}

Tensor<float> combine_probabilities(const std::vector<Tensor<float>>& member_probs, EnsembleCombine how) {
  GRADNET_CHECK(!member_probs.empty(), internal, "combine_probabilities: no members");
  const Shape shape = member_probs.front().shape();
  const Index rows = shape[0], classes = shape[1];
  const double members = static_cast<double>(member_probs.size());
  Tensor<float> out(shape);
  std::vector<double> mean(static_cast<std::size_t>(classes)), votes(static_cast<std::size_t>(classes));
  for (Index i = 0; i < rows; ++i) {
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(votes.begin(), votes.end(), 0.0);
    for (const Tensor<float>& p : member_probs) {
      const float* r = p.data() + i * classes;
      for (Index c = 0; c < classes; ++c) mean[c] += r[c];
      votes[std::max_element(r, r + classes) - r] += 1;  // the first of equal maxima, as argmax_rows
    }
    float* o = out.data() + i * classes;
    for (Index c = 0; c < classes; ++c) {
      const double m = mean[c] / members;
      o[c] = static_cast<float>(how == EnsembleCombine::average ? m : (votes[c] + m) / (members + 1));
    }
  }
  return out;
}

namespace {

Dataset split_of(const LoadedModel& m, const std::string& split) {
  return split == "test" ? load_test_split(m.config.data, m.run_dir, m.config.train.seed)
                         : load_splits(m.config.data, m.run_dir, m.config.train.seed).val;
}

// Accuracy and confusion from the combined scores; the loss from the members' mean probabilities.
EvalResult score(const Tensor<float>& combined, const Tensor<float>& mean, const std::vector<std::int32_t>& labels) {
  const Index rows = combined.shape()[0], classes = combined.shape()[1];
  EvalResult r;
  r.examples = rows;
  r.confusion.assign(static_cast<std::size_t>(classes), std::vector<Index>(static_cast<std::size_t>(classes), 0));
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(rows));
  argmax_rows(ConstView<float>{combined.data(), rows, classes}, predicted.data());
  double nll = 0;
  Index correct = 0;
  for (Index i = 0; i < rows; ++i) {
    const std::int32_t y = labels[i];
    correct += predicted[i] == y ? 1 : 0;
    ++r.confusion[y][predicted[i]];
    nll -= std::log(std::max(static_cast<double>(mean.data()[i * classes + y]), 1e-30));
  }
  r.accuracy = rows ? static_cast<double>(correct) / static_cast<double>(rows) : 0.0;
  r.loss = rows ? nll / static_cast<double>(rows) : 0.0;
  return r;
}

}  // namespace

EnsembleEvaluation evaluate_ensemble(std::vector<LoadedModel>& members, const std::string& split, EnsembleCombine how,
                                     std::int64_t threads) {
  GRADNET_CHECK(!members.empty(), usage, "an ensemble needs at least one model");
  set_threads(threads >= 0 ? threads : members.front().config.train.threads);
  EnsembleEvaluation e;
  std::vector<Tensor<float>> probs;
  Dataset first;
  for (LoadedModel& m : members) {
    Dataset data = split_of(m, split);
    GRADNET_CHECK(data.size() > 0, usage, "{}: the {} split is empty (train.validation = 0?)", m.run_dir, split);
    if (probs.empty()) {
      first = data;
      e.labels = data.y;
      e.class_names = m.info.class_names;
      if (e.class_names.empty() && static_cast<Index>(data.class_names.size()) == m.classes)
        e.class_names = data.class_names;
    } else {
      GRADNET_CHECK(same_examples(first, data), usage,
                    "{} and {} cannot be combined on the {} split: they hold different examples ({} vs {}; a "
                    "validation split depends on data.validation and train.seed; compare on the test split)",
                    members.front().model_path, m.model_path, split, first.size(), data.size());
    }
    m.normalizer.apply(data);
    GRADNET_CHECK(data.features() == numel(m.net->input_shape()), shape,
                  "{} gives {} features per example, the model {} takes {}", data.source, data.features(),
                  m.model_path, numel(m.net->input_shape()));
    probs.emplace_back();
    const EvalResult r = evaluate(*m.net, data, eval_pass_rows(m.config.train, *m.net), &probs.back());
    e.members.push_back({m.model_path, m.run_dir, r});
    e.best_member_accuracy = std::max(e.best_member_accuracy, r.accuracy);
  }
  const Tensor<float> mean = combine_probabilities(probs, EnsembleCombine::average);
  e.probs = how == EnsembleCombine::average ? mean : combine_probabilities(probs, how);
  e.result = score(e.probs, mean, e.labels);
  return e;
}

std::vector<std::string> snapshot_models(const std::string& run_dir, std::int64_t last) {
  namespace fs = std::filesystem;
  GRADNET_CHECK(fs::is_directory(run_dir), checkpoint, "{}: not a run directory (--snapshots takes one run)", run_dir);
  std::vector<std::string> out;
  for (const std::string& path : step_checkpoints(run_dir))
    if (fs::path(path).filename().string() != fs::path(checkpoint_name(0)).filename().string()) out.push_back(path);
  if (last > 0 && static_cast<std::int64_t>(out.size()) > last) out.erase(out.begin(), out.end() - last);
  GRADNET_CHECK(out.size() >= 2, checkpoint,
                "{}: {} checkpoint{} after step 0 in checkpoints/: a snapshot ensemble needs at least two (train with "
                "checkpoint.keep_last = 0 to keep every one)",
                run_dir, out.size(), out.size() == 1 ? "" : "s");
  return out;
}

}  // namespace gradnet
