// write_report: gather what a run directory holds, recompute the test-split numbers from
// model.safetensors (the same data, split, seed and stored normalization as `gradnet eval`), and
// write report.html as one self-contained page.
#include <algorithm>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/report.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"
#include "html.h"
#include "sections.h"

namespace fs = std::filesystem;

namespace gradnet {
namespace report {

std::string Context::class_name(Index c) const {
  if (c >= 0 && c < static_cast<Index>(class_names.size()) && !class_names[c].empty()) return class_names[c];
  return std::to_string(c);
}

namespace {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string describe_net(Net<float>& net) {
  std::string s = "input " + shape_str(net.input_shape());
  for (Index i = 0; i < net.num_layers(); ++i) {
    s += fmt::format(" → {}", net.layer(i).type());
    if (!net.layer(i).params().empty()) s += fmt::format(" {}", shape_str(net.layer_output_shape(i)));
  }
  return s + " · loss " + std::string(net.loss_fn().type());
}

// An autoencoder: no classes; the first test examples and their reconstructions for the page.
void keep_reconstructions(Context& c, const LoadedModel& m, const Dataset& test) {
  const Index shown = std::min<Index>(test.size(), 16), d = test.features();
  const Index outputs = c.test.probs.shape()[1];
  std::vector<float> scratch;
  const ConstView<float> x = test.rows(0, shown, scratch);
  c.test.reconstruction = true;
  c.test.reconstructs_input = m.config.model.target_layer < 0;
  c.test.inputs = Tensor<float>({shown, d});
  std::copy(x.data, x.data + shown * d, c.test.inputs.data());
  c.test.outputs = Tensor<float>({shown, outputs});
  std::copy(c.test.probs.data(), c.test.probs.data() + shown * outputs, c.test.outputs.data());
  c.test.problem = "a reconstruction model (model.target = \"input\") has no classes; its test figure is the "
                   "reconstruction loss";
}

void load_test_split(Context& c, LoadedModel& m) {
  Dataset test = load_test_split(m.config.data, m.run_dir, m.config.train.seed);  // only the test split is needed
  if (c.image_shape.empty() && test.shape.size() == 3) c.image_shape = test.shape;
  // The names the run stored (dataset.json); a run made before it: the data's own, if any.
  c.class_names = !m.info.class_names.empty() ? m.info.class_names : test.class_names;
  GRADNET_CHECK(test.size() > 0, data, "{}: the test split is empty", m.run_dir);
  c.test.raw = test;  // before normalization, for the gallery
  m.normalizer.apply(test);  // first: pca with k components makes the examples [k]
  GRADNET_CHECK(test.features() == numel(m.net->input_shape()), shape,
                "{} gives {} features per example, the model takes {}", test.source, test.features(),
                numel(m.net->input_shape()));
  const Index batch = eval_pass_rows(m.config.train, *m.net);
  c.test.loss = evaluate(*m.net, test, batch, &c.test.probs).loss;
  if (m.net->reconstructs()) return keep_reconstructions(c, m, test);
  c.test.metrics = classification_metrics(c.test.probs.view(), test.y.data());
  c.test.probabilities = m.config.model.loss == LossType::softmax_cross_entropy;
}

Context load_context(const std::string& dir, const ReportOptions& options) {
  Context c;
  c.files = read_run_files(dir);
  c.options = options;
  c.notes = c.files.notes;
  const std::string config_path = (fs::path(dir) / "config.toml").string();
  if (!c.files.config_text.empty()) {
    try {
      c.config = load_config(config_path);
      c.has_config = true;
      if (c.config.model.input.size() == 3) c.image_shape = c.config.model.input;
    } catch (const Error& e) {
      c.notes.push_back(std::string("config.toml: ") + e.what());
    }
  }
  try {
    LoadedModel m = load_model(dir, 0, true);  // the final model: a run without one is reported as such
    set_threads(m.config.train.threads);  // the run's threads: its test figures
    c.classes = m.classes;
    c.parameters = m.net->parameter_count();
    c.architecture = describe_net(*m.net);
    for (Param<float>* p : m.net->params()) {
      const std::string& name = p->name;
      if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) continue;
      const Index layer = std::stoll(name.substr(7));
      c.first_layer = {name, std::string(m.net->layer(layer).type()), p->value.shape(), p->value.to_vector()};
      break;
    }
    try {
      load_test_split(c, m);
    } catch (const Error& e) {
      c.test.problem = std::string("the test split could not be evaluated: ") + e.what();
      c.notes.push_back(c.test.problem);
    }
  } catch (const Error& e) {
    c.model_problem = std::string("the model could not be loaded: ") + e.what();
    c.test.problem = c.model_problem;
    c.notes.push_back(c.model_problem);
  }
  if (c.image_shape.empty() && c.has_config) {
    const DatasetKind ds = c.config.data.dataset;
    if (ds == DatasetKind::mnist || ds == DatasetKind::fashion_mnist) c.image_shape = {1, 28, 28};
    else if (ds == DatasetKind::cifar10) c.image_shape = {3, 32, 32};
  }
  return c;
}

}  // namespace
}  // namespace report

ReportResult write_report(const std::string& run_dir, const ReportOptions& options) {
  using namespace report;
  const Context c = load_context(run_dir, options);
  std::vector<Section> all = {
      summary_section(c),        curves_section(c),    lr_section(c),        update_ratio_section(c),
      histograms_section(c),     weights_section(c),   confusion_section(c), per_class_section(c),
      roc_pr_section(c),         gallery_section(c),   config_section(c)};
  if (c.test.reconstruction) all.insert(all.begin() + 6, reconstruction_section(c));  // after the weights
  // A run that failed or stopped before its model was written has no test figures: those sections
  // are left out of the page and its navigation, and the summary says once which and why.
  std::vector<Section> sections;
  std::vector<std::string> left_out;
  for (const Section& s : all)
    if (s.missing) left_out.push_back(s.title);
    else sections.push_back(s);
  if (!left_out.empty()) {
    std::string list;
    for (const std::string& t : left_out) list += (list.empty() ? "" : "; ") + t;
    sections.front().html += callout("info", "Not in this report: " + escape(list) + ". " +
                                                 escape(c.model_problem.empty() ? c.test.problem : c.model_problem));
  }
  const nlohmann::json& sm = c.files.summary;
  const std::string name = sm.is_object() && sm.contains("name") && sm["name"].is_string()
                               ? sm["name"].get<std::string>()
                               : (c.has_config ? c.config.name : fs::path(run_dir).filename().string());
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"gradnet report\">\n<title>gradnet report: " +
                     escape(name) + "</title>\n<style>" + page_css() + "</style>\n</head>\n<body>\n<header><h1>" +
                     escape(name) + "</h1><p>gradnet run report · " + escape(utc_now()) + " · <code>" +
                     escape(run_dir) + "</code></p><nav>";
  for (const Section& s : sections) html += "<a href=\"#" + s.id + "\">" + escape(s.title) + "</a>";
  html += "</nav></header>\n<main>\n";
  ReportResult result;
  for (const Section& s : sections) {
    html += "<section id=\"" + s.id + "\">\n<h2>" + escape(s.title) + "</h2>\n" + s.html + "\n</section>\n";
    result.sections.push_back(s.id);
  }
  html += "</main>\n<footer>Written by <code>gradnet report</code>: one self-contained file, nothing loaded from the "
          "network.</footer>\n"
          // Proof for tests (and readers) that the page's scripts ran to the end without an error.
          "<script>document.body.dataset.ok = \"1\";</script>\n</body>\n</html>\n";
  result.path = (fs::path(run_dir) / "report.html").string();
  write_file_atomic(result.path, html);
  result.notes = c.notes;
  return result;
}

}  // namespace gradnet
