// The sections drawn from the run's own files: summary, loss/accuracy curves, learning rate,
// config (the monitoring sections are in monitor_sections.cpp).
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "html.h"
#include "sections.h"
#include "svg.h"

namespace gradnet::report {

namespace {

std::string row(const std::string& key, const std::string& value) {
  return "<tr><th>" + escape(key) + "</th><td>" + value + "</td></tr>";
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 1) return fmt::format("{:.3f} s", seconds);
  if (seconds < 120) return fmt::format("{:.1f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.1f} min", seconds / 60);
  return fmt::format("{:.2f} h", seconds / 3600);
}

std::string with_commas(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

}  // namespace

std::string callout(const std::string& kind, const std::string& html) {
  return "<div class=\"callout " + kind + "\">" + html + "</div>";
}

bool finite_any(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

std::vector<FitPoint> fit_points(const RunFiles& files) {
  std::vector<FitPoint> v;
  for (const EpochRow& e : files.epochs) v.push_back({e.epoch, e.train_loss, e.train_acc, e.val_loss, e.val_acc});
  return v;
}

double TimeAxis::of_step(double step) const {
  const std::vector<EpochRow>& epochs = epochs_;
  if (epochs.size() < 2) return step;
  for (std::size_t i = 1; i < epochs.size(); ++i) {
    const double s0 = static_cast<double>(epochs[i - 1].step), s1 = static_cast<double>(epochs[i].step);
    if (step <= s1 && s1 > s0)
      return static_cast<double>(epochs[i - 1].epoch) + (step - s0) / (s1 - s0) * static_cast<double>(epochs[i].epoch - epochs[i - 1].epoch);
  }
  // Past the last recorded epoch (a run cut short): the last epoch's pace.
  const EpochRow &a = epochs[epochs.size() - 2], &b = epochs.back();
  const double per = b.step > a.step ? static_cast<double>(b.step - a.step) : 1.0;
  return static_cast<double>(b.epoch) + (step - static_cast<double>(b.step)) / per;
}

Section summary_section(const Context& c) {
  Section s{"summary", "Summary", ""};
  const nlohmann::json& sm = c.files.summary;
  const RunFiles& f = c.files;
  std::string status = "incomplete (no summary.json: still running, or killed)";
  if (sm.is_object()) {
    const std::string st = sm.value("status", std::string("?"));
    status = st == "ok" ? "<span class=\"ok\">finished</span>" : "<span class=\"bad\">" + escape(st) + "</span>";
    if (sm.contains("error") && sm["error"].is_string()) status += ": " + escape(sm["error"].get<std::string>());
  }
  const std::string name = sm.is_object() && sm.contains("name") && sm["name"].is_string()
                               ? sm["name"].get<std::string>()
                               : (c.has_config ? c.config.name : "?");
  const double test_acc = c.test.problem.empty() ? c.test.metrics.accuracy : number(sm, "test_accuracy");
  const double test_loss = c.test.problem.empty() ? c.test.loss : number(sm, "test_loss");
  const EpochRow* last = f.epochs.empty() ? nullptr : &f.epochs.back();
  double train_seconds = 0;
  for (const EpochRow& e : f.epochs)
    if (e.epoch > 0 && std::isfinite(e.seconds)) train_seconds += e.seconds;
  std::string t = "<table class=\"kv\">";
  t += row("name", escape(name));
  t += row("status", status);
  if (c.test.reconstruction) {  // an autoencoder: the loss is the figure (see Reconstructions)
    t += row("test accuracy", "not applicable (model.target = \"input\")");
    t += row("test reconstruction loss", fmt::format("<b>{}</b> (recomputed from model.safetensors)", num(c.test.loss, 6)));
  } else {
    t += row("test accuracy", fmt::format("<b>{}</b>{}", num(test_acc), c.test.problem.empty() ? fmt::format(" on {} examples (recomputed from model.safetensors)", c.test.metrics.examples) : ""));
    t += row("test loss", num(test_loss));
  }
  // Averaged weights (train.ema_decay, train.swa_start), evaluated by the run beside the raw ones.
  for (const auto& [kind, label] : {std::pair{"ema", "EMA weights"}, std::pair{"swa", "SWA weights"}}) {
    const double acc = number(sm, (std::string(kind) + "_test_accuracy").c_str());
    if (std::isfinite(acc))
      t += row(std::string(label) + " test accuracy",
               fmt::format("<b>{}</b> (loss {}; {}.safetensors)", num(acc),
                           num(number(sm, (std::string(kind) + "_test_loss").c_str())), kind));
  }
  if (last) {
    t += row("validation accuracy", num(last->val_acc) + (std::isnan(last->val_acc) ? " (no validation split)" : ""));
    t += row("final training loss / accuracy", num(last->train_loss) + " / " + num(last->train_acc));
    t += row("epochs", fmt::format("{} ({} steps)", last->epoch, last->step));
  }
  if (!f.epochs.empty() && std::isfinite(f.epochs.front().train_loss)) {
    std::string v = num(f.epochs.front().train_loss);
    if (c.classes > 1)
      v += fmt::format(" <span class=\"muted\">(before any update; ln {} = {:.4f} is what small random weights "
                       "give with softmax cross-entropy)</span>",
                       c.classes, std::log(static_cast<double>(c.classes)));
    t += row("initial loss", v);
  }
  const double total = number(sm, "total_seconds");
  t += row("time", std::isfinite(total) ? fmt::format("{} in all, {} training", duration(total), duration(train_seconds))
                                        : duration(train_seconds) + " training");
  if (last && last->epoch > 0 && std::isfinite(last->examples_per_second))
    t += row("speed", fmt::format("{:.0f} examples/s (last epoch)", last->examples_per_second));
  const double params = c.parameters > 0 ? static_cast<double>(c.parameters) : number(sm, "parameters");
  t += row("parameters", std::isfinite(params) ? with_commas(static_cast<long long>(params)) : "-");
  if (!c.architecture.empty()) t += row("model", escape(c.architecture));
  if (c.has_config) {
    const OptimizerConfig& o = c.config.optimizer;
    const OptimizerOptions& oo = o.options;
    const double momentum = oo.type == OptimizerType::sgd       ? oo.sgd().momentum
                            : oo.type == OptimizerType::rmsprop ? oo.rmsprop().momentum
                                                                : 0.0;
    const double weight_decay = oo.type == OptimizerType::lbfgs ? 0.0 : oo.update.weight_decay;
    std::string opt = fmt::format("{}, lr {}", o.type(), o.lr);
    if (momentum != 0) opt += fmt::format(", momentum {}", momentum);
    if (weight_decay != 0) opt += fmt::format(", weight decay {}", weight_decay);
    opt += fmt::format("; schedule {}; batch size {}", c.config.schedule.policy, c.config.train.batch_size);
    t += row("optimizer", escape(opt));
    t += row("data", escape(fmt::format("{} (normalize: {})", name_of(c.config.data.dataset), name_of(c.config.data.normalize))));
  }
  const double seed = number(sm, "seed"), threads = number(sm, "threads");
  t += row("seed", std::isfinite(seed) ? fmt::format("{:.0f}", seed) : c.has_config ? std::to_string(c.config.train.seed) : "-");
  t += row("threads", std::isfinite(threads) ? fmt::format("{:.0f}", threads) : "-");
  t += row("run directory", "<code>" + escape(f.dir) + "</code>");
  t += "</table>";
  s.html = t;
  const FitDiagnosis d = diagnose_fit(fit_points(f));
  static const char* verdicts[] = {"no epoch finished", "no validation split", "overfitting",
                                   "training ahead of validation", "no overfitting, still improving",
                                   "no sign of overfitting"};
  s.html += callout(d.verdict == FitVerdict::overfitting || d.verdict == FitVerdict::gap ? "warn" : "info",
                    fmt::format("<b>Fit:</b> {} (see <a href=\"#curves\">Loss and accuracy</a>).",
                                verdicts[static_cast<int>(d.verdict)]));
  std::map<std::string, std::int64_t> warnings;  // first epoch each warning appeared
  for (const EpochRow& e : f.epochs)
    for (const std::string& w : e.warnings) warnings.emplace(w, e.epoch);
  if (!warnings.empty()) {
    std::string list = "<b>Warnings from training:</b><ul>";
    for (const auto& [w, epoch] : warnings) list += fmt::format("<li>epoch {}: {}</li>", epoch, escape(w));
    s.html += callout("warn", list + "</ul>");
  }
  if (!c.notes.empty()) {
    std::string list = "<b>Left out of this report:</b><ul>";
    for (const std::string& n : c.notes) list += "<li>" + escape(n) + "</li>";
    s.html += callout("info", list + "</ul>");
  }
  return s;
}

Section curves_section(const Context& c) {
  Section s{"curves", "Loss and accuracy: training vs validation", ""};
  const RunFiles& f = c.files;
  if (f.epochs.empty()) {
    s.html = callout("info", "metrics.jsonl holds no epochs: nothing to plot.");
    return s;
  }
  const TimeAxis axis(f.epochs);
  std::vector<double> ep, tl, vl, ta, va;
  for (const EpochRow& e : f.epochs) {
    ep.push_back(axis.of_epoch(e));
    tl.push_back(e.train_loss);
    vl.push_back(e.val_loss);
    ta.push_back(e.train_acc);
    va.push_back(e.val_acc);
  }
  const bool markers = f.epochs.size() <= 40;
  std::vector<SvgSeries> loss;
  if (!f.steps.empty()) {
    SvgSeries steps{"training loss (single steps)", {}, {}, "#9ecae1", 1.2};
    for (const StepRow& r : f.steps) {
      steps.x.push_back(axis.of_step(static_cast<double>(r.step)));
      steps.y.push_back(r.loss);
    }
    loss.push_back(std::move(steps));
  }
  loss.push_back({"training loss", ep, tl, color(0), 2.2, false, 1, markers});
  if (finite_any(vl)) loss.push_back({"validation loss", ep, vl, color(1), 2.2, false, 1, markers});
  SvgAxes la;
  la.id = "chart-loss";
  la.title = "Loss";
  la.x_label = axis.label();
  la.integer_x = true;
  la.y_label = "loss";
  la.width = 520;
  // A loss that exploded reads best on a log axis.
  double lo = INFINITY, hi = 0;
  for (const SvgSeries& sr : loss)
    for (double v : sr.y)
      if (std::isfinite(v) && v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  la.log_y = hi > 100 * lo;
  std::string charts = line_chart(la, loss);
  std::vector<SvgSeries> acc;
  if (finite_any(ta)) acc.push_back({"training accuracy", ep, ta, color(0), 2.2, false, 1, markers});
  if (finite_any(va)) acc.push_back({"validation accuracy", ep, va, color(1), 2.2, false, 1, markers});
  if (!acc.empty()) {
    SvgAxes aa = la;
    aa.id = "chart-accuracy";
    aa.title = "Accuracy";
    aa.y_label = "accuracy";
    aa.log_y = false;
    charts += line_chart(aa, acc);
  }
  s.html = "<div class=\"charts\">" + charts + "</div>";
  const FitDiagnosis d = diagnose_fit(fit_points(f));
  const bool warn = d.verdict == FitVerdict::overfitting || d.verdict == FitVerdict::gap;
  const bool unknown = d.verdict == FitVerdict::no_data || d.verdict == FitVerdict::no_validation;
  s.html += callout(warn ? "warn" : unknown ? "info" : "good",
                    escape(d.text));
  s.html += "<p class=\"muted\">Epoch 0 is measured before any update. The training numbers of later epochs are "
            "running means over the epoch's batches (the weights change while they are taken); validation is "
            "evaluated once at the end of each epoch.";
  if (!f.steps.empty()) s.html += " The thin line is the loss of single steps (steps.jsonl).";
  s.html += "</p>";
  std::string table = "<details><summary>Per-epoch numbers</summary><table class=\"numbers\"><tr><th>epoch</th>"
                      "<th>step</th><th>lr</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th>"
                      "<th>seconds</th></tr>";
  for (const EpochRow& e : f.epochs)
    table += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         e.epoch, e.step, num(e.lr), num(e.train_loss), num(e.train_acc), num(e.val_loss),
                         num(e.val_acc), num(e.seconds, 2));
  s.html += table + "</table></details>";
  return s;
}

Section lr_section(const Context& c) {
  Section s{"lr", "Learning rate", ""};
  const RunFiles& f = c.files;
  const TimeAxis axis(f.epochs);
  std::vector<SvgSeries> series;
  SvgSeries per_epoch{"lr at the end of each epoch", {}, {}, color(2), 2, false, 1, f.epochs.size() <= 40};
  for (const EpochRow& e : f.epochs) {
    per_epoch.x.push_back(axis.of_epoch(e));
    per_epoch.y.push_back(e.lr);
  }
  SvgSeries per_step{"lr per step", {}, {}, color(4), 1.4};
  for (const StepRow& r : f.steps) {
    per_step.x.push_back(axis.of_step(static_cast<double>(r.step)));
    per_step.y.push_back(r.lr);
  }
  double lo = INFINITY, hi = 0;
  for (const auto* v : {&per_epoch.y, &per_step.y})
    for (double x : *v)
      if (std::isfinite(x) && x > 0) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!finite_any(per_epoch.y) && !finite_any(per_step.y)) {
    s.html = callout("info", "No learning rates were recorded.");
    return s;
  }
  if (finite_any(per_step.y)) series.push_back(per_step);
  series.push_back(per_epoch);
  SvgAxes a;
  a.id = "chart-lr";
  a.title = "Learning rate";
  a.x_label = axis.label();
  a.integer_x = true;
  a.y_label = "learning rate";
  a.width = 620;
  a.log_y = hi > 20 * lo;
  s.html = "<div class=\"charts\">" + line_chart(a, series) + "</div>";
  std::string text = c.has_config ? fmt::format("Schedule <code>{}</code>, base lr {}.", escape(name_of(c.config.schedule.policy)), c.config.optimizer.lr) : "";
  if (std::isfinite(lo) && hi > lo) text += fmt::format(" The learning rate ranged from {} to {}{}.", num(lo), num(hi), a.log_y ? " (log scale)" : "");
  else if (std::isfinite(lo)) text += fmt::format(" The learning rate stayed at {}.", num(lo));
  s.html += "<p>" + text + "</p>";
  std::string notes;
  for (const EpochRow& e : f.epochs)
    if (!e.schedule.empty()) notes += fmt::format("<li>epoch {}: {}</li>", e.epoch, escape(e.schedule));
  if (!notes.empty()) s.html += "<p>Schedule decisions:</p><ul>" + notes + "</ul>";
  return s;
}

Section config_section(const Context& c) {
  Section s{"config", "Config", ""};
  if (c.files.config_text.empty()) {
    s.html = callout("info", "config.toml is missing.");
    return s;
  }
  s.html = "<p class=\"muted\">config.toml as the run wrote it: every default filled in, data paths absolute.</p>"
           "<pre class=\"config\">" + escape(c.files.config_text) + "</pre>";
  return s;
}

}  // namespace gradnet::report
