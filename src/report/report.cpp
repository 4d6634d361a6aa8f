// write_report: gather what a run directory holds, recompute the test-split numbers from
// model.safetensors (the same data, split, seed and stored normalization as `gradnet eval`), and
// write report.html as one self-contained page.
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

// The page's only styling: a light theme, sections as cards, charts flowing in rows.
constexpr const char* kCss = R"CSS(
:root { --fg: #1d2433; --muted: #5b6474; --line: #e2e5eb; --bg: #f4f5f7; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #1d2433; color: #fff; padding: 18px 32px 12px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 2px 0 8px; color: #c9cfda; font-size: 13px; }
nav { display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: #dfe6f3; text-decoration: none; font-size: 13px; white-space: nowrap; }
header code { background: rgba(255, 255, 255, 0.12); color: #e8ecf3; }
nav a:hover { text-decoration: underline; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 24px 18px; margin: 18px 0; }
h2 { font-size: 18px; margin: 2px 0 12px; }
p { margin: 8px 0; max-width: 980px; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; background: #f1f3f6; padding: 1px 4px; border-radius: 3px; }
.muted { color: var(--muted); font-size: 13px; }
.ok { color: #2a8a2a; font-weight: 600; }
.bad { color: #c62828; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 14px 18px; align-items: flex-start; }
svg.chart { background: #fff; border: 1px solid #eef0f3; border-radius: 4px; max-width: 100%; height: auto; }
svg.chart text { font-size: 11px; fill: #3a4150; }
svg.chart .chart-title { font-size: 13px; font-weight: 600; fill: #1d2433; }
svg.chart .axis-label { font-size: 12px; fill: #4a5262; }
svg.chart .grid { stroke: #000; stroke-opacity: 0.08; }
svg.chart .frame { stroke: #8a93a3; }
svg.chart .guide { stroke: #c62828; stroke-width: 1.4; stroke-dasharray: 7 4; }
svg.chart .guide-label { fill: #c62828; font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.callout { border-left: 4px solid var(--accent); background: #f5f8fc; padding: 8px 14px; margin: 12px 0; border-radius: 0 6px 6px 0; max-width: 1000px; }
.callout.warn { border-color: #e08a00; background: #fdf7ec; }
.callout.good { border-color: #2ca02c; background: #f2f9f2; }
.callout ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; }
table.kv th { text-align: left; font-weight: 600; padding: 3px 18px 3px 0; vertical-align: top; white-space: nowrap; color: #3a4150; }
table.kv td { padding: 3px 0; }
table.numbers { font-size: 13px; margin: 8px 0; }
table.numbers th, table.numbers td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; }
table.metrics td.bar { background: linear-gradient(90deg, #6ea6d6 var(--v), #e6ebf1 var(--v)) no-repeat left bottom / 100% 3px; }
table.metrics tr.avg th, table.metrics tr.avg td { font-weight: 600; border-top: 2px solid #c9ced8; }
table.confusion { font-size: 12.5px; margin: 6px 0; }
table.confusion th, table.confusion td { border: 1px solid #fff; padding: 4px 7px; text-align: right; min-width: 38px; }
table.confusion th { background: #eef0f4; }
table.confusion th.corner { font-weight: 400; font-size: 11px; color: var(--muted); }
table.confusion td.dark { color: #fff; }
table.confusion td.total { background: #f6f7f9; color: var(--muted); }
.scroll { overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
img.weights { image-rendering: pixelated; border: 1px solid var(--line); max-width: 100%; height: auto; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(124px, 1fr)); gap: 12px; }
.gallery.wide { grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); }
.gallery figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; text-align: center; background: #fafbfc; }
.gallery img { image-rendering: pixelated; background: #000; }
.gallery figcaption { font-size: 12px; line-height: 1.45; margin-top: 4px; overflow-wrap: anywhere; }
.gallery code.features { display: block; font-size: 11px; text-align: left; white-space: normal; word-break: break-word; }
pre.config { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; overflow: auto; max-height: 560px; font: 12px/1.45 "DejaVu Sans Mono", monospace; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 24px; }
)CSS";

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
      c.first_layer = {name, std::string(m.net->layer(layer).type()), p->value.shape(), p->value.vec()};
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
  const std::vector<Section> all = {
      summary_section(c),        curves_section(c),    lr_section(c),        update_ratio_section(c),
      histograms_section(c),     weights_section(c),   confusion_section(c), per_class_section(c),
      roc_pr_section(c),         gallery_section(c),   config_section(c)};
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
                     escape(name) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<header><h1>" +
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
