// The charts of search-report.html: each hyperparameter against the objective, the best so far,
// the objective per epoch of every trial, and the accuracy per epoch of every run.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "../report/html.h"
#include "../report/svg.h"
#include "report_page.h"

namespace gradnet::search::page {

using report::escape;
using report::SvgAxes;
using report::SvgSeries;

namespace {

constexpr const char* kComplete = "#1f77b4";
constexpr const char* kPruned = "#9aa0a6";
constexpr const char* kBest = "#d62728";
// Above this many trials, the per-trial curves have no legend (it would cover the plot).
constexpr std::size_t kMaxLegend = 12;

SvgSeries dots(const std::string& label, const std::string& color, double radius = 2.5) {
  SvgSeries s;
  s.label = label;
  s.color = color;
  s.connect = false;
  s.width = radius;
  return s;
}

// The tab10 colours but red, which marks the best trial.
std::string not_red(int index) {
  static const int kNotRed[] = {0, 1, 2, 4, 5, 6, 7, 8, 9};
  return report::color(kNotRed[index % 9]);
}

// A small deterministic horizontal spread for points on a categorical strip.
double jitter(std::int64_t number) { return static_cast<double>((number * 37) % 11 - 5) / 30.0; }

std::string param_chart(const View& v, const SpaceDim& dim) {
  SvgAxes axes;
  axes.id = "param-" + id_of(dim.key);
  axes.title = dim.key;
  axes.x_label = dim.key + (dim.log_scale() ? " (log scale)" : "");
  axes.y_label = v.study.objective;
  axes.width = 420;
  axes.height = 290;
  const bool numeric = is_numeric(dim);
  if (numeric) {
    axes.log_x = dim.log_scale() && dim.low > 0;
    // The searched range, a little padded: points at its edges are what the boundary warning is about.
    if (axes.log_x) {
      const double pad = (std::log10(dim.high) - std::log10(dim.low)) * 0.03;
      axes.x_min = std::pow(10.0, std::log10(dim.low) - pad);
      axes.x_max = std::pow(10.0, std::log10(dim.high) + pad);
    } else if (dim.high > dim.low) {
      axes.x_min = dim.low - (dim.high - dim.low) * 0.03;
      axes.x_max = dim.high + (dim.high - dim.low) * 0.03;
    }
  } else {
    axes.x_categories = dim.choices;
    axes.x_min = -0.5;
    axes.x_max = static_cast<double>(dim.choices.size()) - 0.5;
  }
  SvgSeries complete = dots("complete", kComplete), pruned = dots("pruned (last value)", kPruned);
  pruned.opacity = 0.8;
  SvgSeries best = dots(v.best ? fmt::format("best (trial {})", v.best->number) : "", kBest, 4.5);
  for (const TrialRecord* t : trials_with_values(v.study)) {
    const ParamValue* p = find_param(*t, dim.key);
    if (!p) continue;
    double x = kNaN;
    if (numeric) {
      x = p->number.value_or(kNaN);
    } else {
      const int at = choice_index(dim, *p);
      if (at >= 0) x = at + jitter(t->number);
    }
    SvgSeries& s = t->state == TrialState::pruned ? pruned : complete;
    s.x.push_back(x);
    s.y.push_back(*t->value);
    if (t == v.best) {
      best.x.push_back(x);
      best.y.push_back(*t->value);
    }
  }
  std::vector<SvgSeries> series = {complete};
  if (!pruned.x.empty()) series.push_back(pruned);
  if (!best.x.empty()) series.push_back(best);
  return report::line_chart(axes, series);
}

}  // namespace

Section params_section(const View& v) {
  Section s{"params", "Hyperparameters against the objective", ""};
  if (v.dims.empty()) {
    s.html = "<p>The study's space has no dimensions: there is nothing to plot.</p>";
    return s;
  }
  if (trials_with_values(v.study).empty()) {
    s.html = "<p>No trial has reported a value yet: the charts appear once trials complete (or are pruned).</p>";
    return s;
  }
  s.html = "<p class=\"muted\">One chart per searched key over the whole range searched (log axis where the space is "
           "log); complete trials in blue, pruned trials grey at the last value they reported, the best in red. "
           "Failed trials have no value and are not drawn. Choice keys are strips, one per value.</p>"
           "<div class=\"charts\">";
  for (const SpaceDim& dim : v.dims) s.html += param_chart(v, dim);
  s.html += "</div>";
  return s;
}

Section history_section(const View& v) {
  Section s{"history", "Best so far", ""};
  const std::vector<const TrialRecord*> valued = trials_with_values(v.study);
  if (valued.empty()) {
    s.html = "<p>No trial has reported a value yet.</p>";
    return s;
  }
  SvgAxes axes;
  axes.id = "chart-best-so-far";
  axes.title = v.study.objective + " by trial";
  axes.x_label = "trial number";
  axes.y_label = v.study.objective;
  axes.integer_x = true;
  axes.width = 760;
  SvgSeries complete = dots("complete", kComplete, 2.5), pruned = dots("pruned (last value)", kPruned, 2.5);
  SvgSeries running;
  running.label = std::string("best so far (") + (v.study.maximize ? "highest" : "lowest") + ")";
  running.color = kBest;
  double best = kNaN;
  for (const TrialRecord* t : valued) {
    const double x = static_cast<double>(t->number), y = *t->value;
    SvgSeries& dst = t->state == TrialState::pruned ? pruned : complete;
    dst.x.push_back(x);
    dst.y.push_back(y);
    if (t->state != TrialState::complete) continue;
    if (std::isfinite(best)) {  // a step: flat until this trial, then its value
      running.x.push_back(x);
      running.y.push_back(best);
    }
    if (!std::isfinite(best) || (v.study.maximize ? y > best : y < best)) best = y;
    running.x.push_back(x);
    running.y.push_back(best);
  }
  std::vector<SvgSeries> series = {complete};
  if (!pruned.x.empty()) series.push_back(pruned);
  if (!running.x.empty()) series.push_back(running);
  axes.x_min = std::min(0.0, complete.x.empty() ? 0.0 : complete.x.front());
  s.html = "<p class=\"muted\">Every trial's value by trial number, and the best complete value so far as a step "
           "line: a line that stopped improving long ago says more trials of this space will not help much.</p>" +
           report::line_chart(axes, series);
  if (running.x.empty()) s.html += "<p>No trial has completed yet: there is no best so far.</p>";
  return s;
}

Section intermediate_section(const View& v) {
  Section s{"intermediate", "The objective per epoch", ""};
  std::vector<SvgSeries> series;
  SvgSeries pruned_ends = dots("pruned here", kBest, 3.5);
  const bool legend = v.study.trials.size() <= kMaxLegend;
  int shown = 0, pruned = 0;
  for (const TrialRecord& t : v.study.trials) {
    if (t.intermediate.empty()) continue;
    SvgSeries line;
    line.width = &t == v.best ? 2.6 : 1.4;
    line.markers = t.intermediate.size() <= 3;
    if (t.state == TrialState::pruned) {
      line.color = kPruned;
      line.dashed = true;
      line.label = legend ? fmt::format("trial {} (pruned)", t.number) : "";
      pruned_ends.x.push_back(static_cast<double>(t.intermediate.back().first));
      pruned_ends.y.push_back(t.intermediate.back().second);
      ++pruned;
    } else {
      line.color = &t == v.best ? kBest : not_red(shown);
      line.label = legend ? fmt::format("trial {}{}", t.number, &t == v.best ? " (best)" : "") : "";
      line.opacity = &t == v.best ? 1.0 : 0.85;
    }
    for (const auto& [epoch, value] : t.intermediate) {
      line.x.push_back(static_cast<double>(epoch));
      line.y.push_back(value);
    }
    series.push_back(std::move(line));
    ++shown;
  }
  if (series.empty()) {
    s.html = "<p>No trial has reported a value at the end of an epoch yet.</p>";
    return s;
  }
  if (!pruned_ends.x.empty()) series.push_back(pruned_ends);
  SvgAxes axes;
  axes.id = "chart-intermediate";
  axes.title = v.study.objective + " per epoch, every trial";
  axes.x_label = "epoch";
  axes.y_label = v.study.objective;
  axes.integer_x = true;
  axes.width = 760;
  axes.height = 300 + (legend ? 16 * ((shown + 5) / 6) : 0);  // legend rows of about six trials
  s.html = fmt::format("<p class=\"muted\">The value each trial reported at the end of every epoch ({} trials, {} of "
                       "them pruned: grey, dashed, with a red dot at the epoch where they were stopped){}.</p>",
                       shown, pruned, legend ? "" : "; too many trials for a legend: the table below has them all") +
           report::line_chart(axes, series);
  return s;
}

namespace {

// One chart of an accuracy per epoch (val or test) for every run that has it.
std::string accuracy_chart(const std::vector<std::pair<const TrialRecord*, RunCurves>>& runs,
                           bool test) {
  SvgAxes axes;
  axes.id = test ? "chart-test-accuracy" : "chart-val-accuracy";
  axes.title = test ? "test accuracy per epoch" : "validation accuracy per epoch";
  axes.x_label = "epoch";
  axes.y_label = test ? "test accuracy" : "validation accuracy";
  axes.integer_x = true;
  axes.width = 760;
  const bool legend = runs.size() <= kMaxLegend;
  axes.height = 300 + (legend ? 16 * static_cast<int>(runs.size()) : 0);  // the legend takes a row per run
  std::vector<SvgSeries> series;
  int i = 0;
  for (const auto& [t, r] : runs) {
    SvgSeries s;
    s.label = legend ? params_label(*t) + (t->state == TrialState::pruned ? " (pruned)" : "") : "";
    s.color = report::color(i++);
    s.dashed = t->state == TrialState::pruned;
    s.markers = r.epochs.size() <= 3;
    s.x = r.epochs;
    s.y = test ? r.test_acc : r.val_acc;
    series.push_back(std::move(s));
  }
  return report::line_chart(axes, series);
}

bool any_finite(const std::vector<double>& x) {
  return std::any_of(x.begin(), x.end(), [](double d) { return std::isfinite(d); });
}

}  // namespace

Section accuracy_section(const View& v) {
  Section s{"accuracy", "Accuracy per epoch of every run", ""};
  std::vector<std::pair<const TrialRecord*, RunCurves>> runs;
  std::vector<std::string> unread;
  for (const TrialRecord& t : v.study.trials) {
    if (t.state != TrialState::complete && t.state != TrialState::pruned) continue;
    RunCurves r = read_run_curves(t.run_dir);
    if (!r.problem.empty() || r.epochs.empty())
      unread.push_back(fmt::format("trial {} ({})", t.number, r.problem.empty() ? "no finished epoch" : r.problem));
    else
      runs.emplace_back(&t, std::move(r));
  }
  bool val = false, test = false;
  for (const auto& [t, r] : runs) {
    val = val || any_finite(r.val_acc);
    test = test || any_finite(r.test_acc);
  }
  if (!val && !test) {
    s.html = "<p>No run directory of a complete or pruned trial has a per-epoch accuracy in its metrics.jsonl";
    s.html += unread.empty() ? std::string(".</p>") : ": " + escape(fmt::format("{}", fmt::join(unread, "; "))) + ".</p>";
    return s;
  }
  s.html = "<p class=\"muted\">Read from each run's metrics.jsonl (the trainer evaluates the validation split at the end "
           "of every epoch) and summary.json (the test split, once, at the end); one line per run, labelled with its "
           "parameters; pruned runs dashed.</p><div class=\"charts\">";
  if (val) s.html += accuracy_chart(runs, false);
  if (test) s.html += accuracy_chart(runs, true);
  s.html += "</div>";
  if (!test)
    s.html += "<p class=\"muted\">The runs have no per-epoch test accuracy (the trainer measures the test split once, "
              "after the last epoch): the final figures are in the table.</p>";
  std::string table = "<div class=\"scroll\"><table class=\"numbers\" id=\"accuracy-table\"><tr><th>trial</th>"
                      "<th class=\"params\">parameters</th><th>epochs</th><th>final val accuracy</th><th>test accuracy</th></tr>";
  for (const auto& [t, r] : runs)
    table += fmt::format("<tr{}><td>{}</td><td class=\"params\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         t == v.best ? " class=\"best\"" : "", t->number, escape(params_label(*t)), r.epochs.back(),
                         report::num(std::isfinite(r.final_val_acc) ? r.final_val_acc : r.val_acc.back()),
                         report::num(r.final_test_acc));
  s.html += table + "</table></div>";
  if (!unread.empty())
    s.html += "<p class=\"muted\">Not drawn: " + escape(fmt::format("{}", fmt::join(unread, "; "))) + ".</p>";
  return s;
}

}  // namespace gradnet::search::page
