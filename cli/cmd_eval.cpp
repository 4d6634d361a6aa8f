// gradnet eval RUNDIR|MODEL|CHECKPOINT [--split test|val] [--json]
// Accuracy, loss, top-k accuracy, per-class precision / recall / F1, macro and weighted
// averages, one-vs-rest ROC-AUC and average precision (PR-AUC), confusion matrix.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/metrics.h"
#include "gradnet/train/model_io.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct EvalArgs {
  std::string target;
  std::string split = "test";
  std::int64_t threads = -1;  // -1: the run's train.threads
  bool json = false;
};

// A class's label: its name when the run has names other than the numbers, else the number.
struct ClassLabels {
  std::vector<std::string> names;  // one per class, or empty
  bool named() const {
    for (std::size_t c = 0; c < names.size(); ++c)
      if (names[c] != std::to_string(c)) return true;
    return false;
  }
  std::string operator()(std::size_t c) const { return c < names.size() ? names[c] : std::to_string(c); }
  std::size_t width(std::size_t least) const {
    for (const std::string& n : names) least = std::max(least, n.size());
    return least;
  }
};

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
}  // namespace

Command add_eval(CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = root.add_subcommand("eval", "Evaluate a trained run on its test (or validation) split");
  app->add_option("target", args->target,
                  "A run directory made by `gradnet train` (its model, or its newest checkpoint when it has none), "
                  "its model.safetensors, or a file in its checkpoints/")
      ->type_name("RUNDIR|MODEL")
      ->required();
  app->add_option("--split", args->split, "Which split: test or val")
      ->type_name("SPLIT")
      ->check(one_of({"test", "val"}))
      ->capture_default_str();
  add_threads_option(app, args->threads);
  app->add_flag("--json", args->json, "Print the results as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet eval runs/try1", "gradnet eval runs/try1 --split val --json"});
  return {app, [args] {
            // Forward only, in eval mode, through a net planned for the run's evaluation passes (the
            // training batch by default) and holding no gradients; the split stays as its file's
            // bytes, converted a pass at a time. The figures equal the run's own summary.json.
            LoadedModel m = load_model(args->target);
            if (!m.note.empty()) fmt::print(stderr, "gradnet: note: {}\n", m.note);
            set_threads(threads_or(args->threads, m.config.train.threads));  // the run's unless --threads: its figures
            // The same data, split and seed as training; the normalization fitted then.
            Dataset data = args->split == "test" ? load_test_split(m.config.data, m.run_dir, m.config.train.seed)
                                                 : load_splits(m.config.data, m.run_dir, m.config.train.seed).val;
            GRADNET_CHECK(data.size() > 0, usage, "{}: the {} split is empty (train.validation = 0?)", m.run_dir,
                          args->split);
            m.normalizer.apply(data);  // first: pca with k components makes the examples [k]
            GRADNET_CHECK(data.features() == numel(m.net->input_shape()), shape,
                          "{} gives {} features per example, the model takes {}", data.source, data.features(),
                          numel(m.net->input_shape()));
            // The names the run stored (dataset.json); a run made before it: the data's own, if any.
            ClassLabels labels{m.info.class_names};
            if (labels.names.empty() && static_cast<Index>(data.class_names.size()) == m.classes)
              labels.names = data.class_names;
            Tensor<float> probs;  // one pass gives the loss, the confusion matrix and the probabilities
            const EvalResult r = evaluate(*m.net, data, eval_pass_rows(m.config.train, *m.net), &probs);
            const ClassificationMetrics cm = classification_metrics(probs.view(), data.y.data());
            std::vector<double> per_class;
            for (std::size_t c = 0; c < r.confusion.size(); ++c) {
              Index total = 0;
              for (Index v : r.confusion[c]) total += v;
              per_class.push_back(total ? static_cast<double>(r.confusion[c][c]) / total : 0.0);
            }
            if (args->json) {
              nlohmann::json j = {{"split", args->split},
                                  {"examples", r.examples},
                                  {"accuracy", r.accuracy},
                                  {"loss", r.loss},
                                  {"per_class_accuracy", per_class},
                                  {"confusion", r.confusion},
                                  {"class_names", labels.names},
                                  {"model", m.model_path},
                                  {"run_dir", m.run_dir}};
              j.update(metrics_json(cm, labels));
              print_json_line(j);
            } else {
              fmt::print("{} split of {}: {} examples, accuracy {:.4f}, loss {:.4f}\n", args->split, m.run_dir,
                         r.examples, r.accuracy, r.loss);
              fmt::print("per-class accuracy: {:.3f}\n", fmt::join(per_class, " "));
              print_metrics(cm, labels);
              print_confusion(r, labels);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
