// Parallel coordinates for search-report.html: one vertical axis per searched key and one for the
// objective, one polyline per complete trial coloured by its objective, the best drawn on top.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "../report/html.h"
#include "report_page.h"

namespace gradnet::search::page {

using report::escape;

namespace {

std::string f1(double v) { return fmt::format("{:.1f}", v); }

// One axis: where a trial's value sits on it, from 0 (bottom) to 1 (top), and its labels.
struct Axis {
  std::string name;
  bool log = false;
  const SpaceDim* dim = nullptr;  // null: the objective
  double low = 0, high = 1;

  double position(const TrialRecord& t) const {
    if (!dim) return high > low ? (t.value.value_or(kNaN) - low) / (high - low) : 0.5;
    const ParamValue* p = find_param(t, dim->key);
    if (!p) return kNaN;
    if (!is_numeric(*dim)) {
      const int at = choice_index(*dim, *p);
      if (at < 0) return kNaN;
      const double n = static_cast<double>(dim->choices.size());
      return n > 1 ? at / (n - 1) : 0.5;
    }
    const double at = range_position(*dim, p->number.value_or(kNaN));
    return std::isfinite(at) ? at : 0.5;  // an empty range: the middle
  }

  // (position, label) pairs: a choice axis names every value, a numeric one its ends and middle.
  std::vector<std::pair<double, std::string>> labels() const {
    std::vector<std::pair<double, std::string>> out;
    if (dim && !is_numeric(*dim)) {
      const double n = static_cast<double>(dim->choices.size());
      for (std::size_t i = 0; i < dim->choices.size(); ++i)
        out.emplace_back(n > 1 ? static_cast<double>(i) / (n - 1) : 0.5, dim->choices[i]);
      return out;
    }
    const double mid = log && low > 0 ? std::sqrt(low * high) : (low + high) / 2;
    return {{0.0, short_num(low)}, {0.5, short_num(mid)}, {1.0, short_num(high)}};
  }
};

}  // namespace

Section parallel_section(const View& v) {
  Section s{"parallel", "Parallel coordinates", ""};
  std::vector<const TrialRecord*> complete;
  for (const TrialRecord& t : v.study.trials)
    if (t.state == TrialState::complete && t.value && std::isfinite(*t.value)) complete.push_back(&t);
  if (v.dims.empty() || complete.empty()) {
    s.html = v.dims.empty() ? "<p>The study's space has no dimensions: there is nothing to plot.</p>"
                            : "<p>No trial has completed yet: each complete trial becomes one line here.</p>";
    return s;
  }
  std::vector<Axis> axes;
  for (const SpaceDim& d : v.dims) {
    Axis a;
    a.name = d.key;
    a.dim = &d;
    a.log = d.log_scale();
    a.low = d.low;
    a.high = d.high;
    axes.push_back(a);
  }
  Axis objective;
  objective.name = v.study.objective;
  objective.low = objective.high = *complete.front()->value;
  for (const TrialRecord* t : complete) {
    objective.low = std::min(objective.low, *t->value);
    objective.high = std::max(objective.high, *t->value);
  }
  axes.push_back(objective);

  const int width = std::clamp(150 * static_cast<int>(axes.size()), 520, 1120), height = 360;
  const double left = 70, right = width - 70.0, top = 52, bottom = height - 40.0;
  auto ax_x = [&](std::size_t i) {
    return axes.size() > 1 ? left + (right - left) * static_cast<double>(i) / static_cast<double>(axes.size() - 1)
                           : (left + right) / 2;
  };
  auto ax_y = [&](double at) { return bottom - std::clamp(at, 0.0, 1.0) * (bottom - top); };
  std::string svg = fmt::format(
      "<svg class=\"chart\" data-kind=\"parallel\" id=\"chart-parallel\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"parallel coordinates\"><title>parallel coordinates</title>"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>",
      width, height);
  // Lines first, the best last so that it is on top.
  std::vector<const TrialRecord*> order = complete;
  std::stable_partition(order.begin(), order.end(), [&](const TrialRecord* t) { return t != v.best; });
  for (const TrialRecord* t : order) {
    std::string points;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const double at = axes[i].position(*t);
      if (!std::isfinite(at)) continue;
      points += (points.empty() ? "" : " ") + f1(ax_x(i)) + "," + f1(ax_y(at));
    }
    const double at = objective.position(*t);  // 0: the lowest value, 1: the highest
    const double goodness = objective.high > objective.low ? (v.study.maximize ? at : 1 - at) : 1.0;
    const bool best = t == v.best;
    svg += fmt::format("<polyline class=\"series trial{}\" data-label=\"trial {}\" points=\"{}\" fill=\"none\" "
                       "stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\"><title>trial {}: {} = {}; {}</title></polyline>",
                       best ? " best" : "", t->number, points, best ? "#d62728" : viridis(0.85 * goodness), best ? 3.2 : 1.5,
                       best ? 1.0 : 0.75, t->number, escape(v.study.objective), report::num(*t->value),
                       escape(params_label(*t)));
  }
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const Axis& a = axes[i];
    const double x = ax_x(i);
    svg += fmt::format("<g class=\"axis\" data-key=\"{}\" data-scale=\"{}\">", escape(a.name),
                       a.dim && !is_numeric(*a.dim) ? "category" : a.log ? "log" : "linear");
    svg += fmt::format("<line class=\"frame\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#5b6474\"/>", f1(x),
                       f1(top), f1(bottom));
    const std::string title = a.name + (a.log ? " (log)" : "");
    svg += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", f1(x),
                       f1(top - (i % 2 ? 10 : 24)), escape(title));
    for (const auto& [at, label] : a.labels())
      svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" paint-order=\"stroke\" "
                         "stroke=\"#fff\" stroke-width=\"3\">{}</text>",
                         f1(x - 5), f1(ax_y(at) + 4), escape(label));
    svg += "</g>";
  }
  svg += "</svg>";
  s.html = fmt::format("<p class=\"muted\">One line per complete trial ({}) through its value of every searched key "
                       "and its {}; colour from dark purple (worse) to green (better), the best trial in red. Each numeric "
                       "axis spans the whole searched range (log where the space is log); hover a line for its "
                       "trial.</p>",
                       complete.size(), escape(v.study.objective)) +
           "<div class=\"scroll\">" + svg + "</div>";
  return s;
}

}  // namespace gradnet::search::page
