#include "eval_output.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/train/ensemble.h"
#include "gradnet/train/metrics.h"

namespace gradnet::cli {

bool ClassLabels::named() const {
  for (std::size_t c = 0; c < names.size(); ++c)
    if (names[c] != std::to_string(c)) return true;
  return false;
}

std::size_t ClassLabels::width(std::size_t least) const {
  for (const std::string& n : names) least = std::max(least, n.size());
  return least;
}

namespace {

// Rows "7 Sneaker" (true class), columns the predicted class's number.
void print_confusion(const EvalResult& r, const ClassLabels& labels) {
  const std::size_t k = r.confusion.size();
  const std::size_t w = labels.named() ? labels.width(0) + 3 : 6;
  fmt::print("confusion matrix (rows: true class, columns: predicted class, by number)\n{:>{}}", "", w);
  for (std::size_t j = 0; j < k; ++j) fmt::print("{:>6}", j);
  fmt::print("\n");
  for (std::size_t i = 0; i < k; ++i) {
    if (labels.named()) fmt::print("{:>2} {:<{}}", i, labels(i), w - 3);
    else fmt::print("{:>6}", i);
    for (std::size_t j = 0; j < k; ++j) fmt::print("{:>6}", r.confusion[i][j]);
    fmt::print("\n");
  }
}

std::string num(double v) { return std::isnan(v) ? "     -" : fmt::format("{:>6.4f}", v); }

void print_metrics(const ClassificationMetrics& m, const ClassLabels& labels) {
  std::string topk;
  for (const TopK& t : m.top_k) topk += fmt::format("  top-{} {:.4f}", t.k, t.accuracy);
  fmt::print("top-k accuracy:{}\n", topk);
  const std::size_t w = labels.width(12);
  fmt::print("{:>{}} {:>9} {:>9} {:>9} {:>8} {:>9} {:>9}\n", "class", w, "precision", "recall", "f1", "support",
             "roc_auc", "avg_prec");
  for (std::size_t c = 0; c < m.per_class.size(); ++c) {
    const ClassMetrics& p = m.per_class[c];
    fmt::print("{:>{}} {:>9.4f} {:>9.4f} {:>9.4f} {:>8} {:>9} {:>9}\n", labels(c), w, p.precision, p.recall, p.f1,
               p.support, num(p.roc_auc), num(p.average_precision));
  }
  fmt::print("{:>{}} {:>9.4f} {:>9.4f} {:>9.4f} {:>8} {:>9} {:>9}\n", "macro avg", w, m.macro.precision,
             m.macro.recall, m.macro.f1, m.examples, num(m.macro_roc_auc), num(m.macro_average_precision));
  fmt::print("{:>{}} {:>9.4f} {:>9.4f} {:>9.4f} {:>8}\n", "weighted avg", w, m.weighted.precision,
             m.weighted.recall, m.weighted.f1, m.examples);
}

nlohmann::json metrics_json(const ClassificationMetrics& m, const ClassLabels& labels) {
  nlohmann::json j;
  nlohmann::json topk = nlohmann::json::object();
  for (const TopK& t : m.top_k) topk[std::to_string(t.k)] = t.accuracy;
  j["top_k"] = topk;
  nlohmann::json per_class = nlohmann::json::array();
  for (std::size_t c = 0; c < m.per_class.size(); ++c) {
    const ClassMetrics& p = m.per_class[c];
    per_class.push_back({{"class", c},
                         {"precision", p.precision},
                         {"recall", p.recall},
                         {"f1", p.f1},
                         {"support", p.support},
                         {"roc_auc", p.roc_auc},                      // NaN -> null
                         {"average_precision", p.average_precision}});
    if (!labels.names.empty()) per_class.back()["name"] = labels(c);
  }
  j["per_class"] = per_class;
  j["macro"] = {{"precision", m.macro.precision},
                {"recall", m.macro.recall},
                {"f1", m.macro.f1},
                {"roc_auc", m.macro_roc_auc},
                {"average_precision", m.macro_average_precision}};
  j["weighted"] = {{"precision", m.weighted.precision}, {"recall", m.weighted.recall}, {"f1", m.weighted.f1}};
  return j;
}

std::vector<double> per_class_accuracy(const EvalResult& r) {
  std::vector<double> per_class;
  for (std::size_t c = 0; c < r.confusion.size(); ++c) {
    Index total = 0;
    for (Index v : r.confusion[c]) total += v;
    per_class.push_back(total ? static_cast<double>(r.confusion[c][c]) / total : 0.0);
  }
  return per_class;
}

}  // namespace

nlohmann::json eval_json(const std::string& split, const EvalResult& r, ConstView<float> probs,
                         const std::int32_t* labels, const ClassLabels& names) {
  nlohmann::json j = {{"split", split},
                      {"examples", r.examples},
                      {"accuracy", r.accuracy},
                      {"loss", r.loss},
                      {"per_class_accuracy", per_class_accuracy(r)},
                      {"confusion", r.confusion},
                      {"class_names", names.names}};
  j.update(metrics_json(classification_metrics(probs, labels), names));
  return j;
}

void print_eval_details(const EvalResult& r, ConstView<float> probs, const std::int32_t* labels,
                        const ClassLabels& names) {
  fmt::print("per-class accuracy: {:.3f}\n", fmt::join(per_class_accuracy(r), " "));
  print_metrics(classification_metrics(probs, labels), names);
  print_confusion(r, names);
}

int run_ensemble_eval(const EnsembleEvalRequest& request) {
  std::vector<LoadedModel> members = load_ensemble(request.models);
  for (const LoadedModel& m : members)
    if (!m.note.empty()) fmt::print(stderr, "gradnet: note: {}\n", m.note);
  const EnsembleCombine how = request.vote ? EnsembleCombine::vote : EnsembleCombine::average;
  const EnsembleEvaluation e = evaluate_ensemble(members, request.split, how, request.threads);
  const ClassLabels names{e.class_names};
  const char* combine = request.vote ? "majority vote" : "average of probabilities";
  const double gain = e.result.accuracy - e.best_member_accuracy;
  if (request.json) {
    nlohmann::json ensemble = eval_json(request.split, e.result, e.probs.view(), e.labels.data(), names);
    ensemble["combine"] = request.vote ? "vote" : "average";
    ensemble["models"] = request.models;
    nlohmann::json list = nlohmann::json::array();
    for (const MemberEvaluation& m : e.members)
      list.push_back({{"model", m.model}, {"run_dir", m.run_dir}, {"accuracy", m.result.accuracy}, {"loss", m.result.loss}});
    nlohmann::json j = {{"ensemble", ensemble},
                        {"members", list},
                        {"best_member_accuracy", e.best_member_accuracy},
                        {"gain_over_best_member", gain}};
    j.update(request.extra);
    print_json_line(j);
    return 0;
  }
  fmt::print("{} split, ensemble of {} models ({}): {} examples, accuracy {:.4f}, loss {:.4f}\n", request.split,
             e.members.size(), combine, e.result.examples, e.result.accuracy, e.result.loss);
  for (std::size_t i = 0; i < e.members.size(); ++i)
    fmt::print("  member {}: accuracy {:.4f}, loss {:.4f}  {}\n", i + 1, e.members[i].result.accuracy,
               e.members[i].result.loss, e.members[i].model);
  fmt::print("gain over the best member ({:.4f}): {:+.4f}\n", e.best_member_accuracy, gain);
  print_eval_details(e.result, e.probs.view(), e.labels.data(), names);
  return 0;
}

}  // namespace gradnet::cli
