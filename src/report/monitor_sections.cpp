// The sections drawn from the monitors' files (docs/monitoring.md): update/parameter ratios with
// weight and gradient norms and activation statistics, and histograms.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "html.h"
#include "sections.h"
#include "svg.h"

namespace gradnet::report {

namespace {

// Layer index of "layers.<i>.<...>" (for ordering), or a large number.
long layer_index(const std::string& name) {
  if (name.rfind("layers.", 0) != 0) return 1L << 30;
  try {
    return std::stol(name.substr(7));
  } catch (const std::exception&) {
    return 1L << 30;
  }
}

// Median of the finite values.
double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<std::string> sorted_param_names(const std::set<std::string>& names) {
  std::vector<std::string> v(names.begin(), names.end());
  // Layer by layer; within a layer the weight before the bias.
  auto rank = [](const std::string& n) { return n.ends_with(".weight") ? 0 : n.ends_with(".bias") ? 1 : 2; };
  std::stable_sort(v.begin(), v.end(), [&](const std::string& a, const std::string& b) {
    if (layer_index(a) != layer_index(b)) return layer_index(a) < layer_index(b);
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  return v;
}

Section update_ratio_section(const Context& c) {
  Section s{"update-ratio", "Update/parameter ratio per layer", ""};
  const RunFiles& f = c.files;
  // Per step (steps.jsonl) when there, else the epoch means in metrics.jsonl "layers".
  const TimeAxis axis(f.epochs);
  std::map<std::string, SvgSeries> by_step, by_epoch, wnorm, gnorm;
  for (const StepRow& r : f.steps)
    for (const auto& [name, v] : r.update_ratio) {
      by_step[name].x.push_back(axis.of_step(static_cast<double>(r.step)));
      by_step[name].y.push_back(v);
    }
  std::set<std::string> names;
  for (const EpochRow& e : f.epochs)
    if (e.layers.is_object())
      for (const auto& [name, st] : e.layers.items()) {
        names.insert(name);
        const double x = axis.of_epoch(e);
        by_epoch[name].x.push_back(x);
        by_epoch[name].y.push_back(number(st, "update_ratio"));
        wnorm[name].x.push_back(x);
        wnorm[name].y.push_back(number(st, "weight_norm"));
        gnorm[name].x.push_back(x);
        gnorm[name].y.push_back(number(st, "grad_norm"));
      }
  for (const auto& [name, v] : by_step) names.insert(name);
  const std::vector<std::string> order = sorted_param_names(names);
  // Per step where steps.jsonl has the parameter, else its epoch means; both on an epoch axis.
  bool any_steps = false;
  std::vector<SvgSeries> ratio;
  std::string verdicts;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string& name = order[i];
    const bool steps = by_step.count(name) && finite_any(by_step[name].y);
    SvgSeries sr = steps ? by_step[name] : by_epoch[name];
    if (!finite_any(sr.y)) continue;
    any_steps = any_steps || steps;
    sr.label = steps ? name : name + " (epoch means)";
    sr.color = color(static_cast<int>(i));
    sr.width = steps ? 1.4 : 2;
    sr.markers = !steps && sr.x.size() <= 40;
    // The last tenth of the run (at least one point) says where the ratio settled.
    std::vector<double> tail(sr.y.end() - static_cast<long>(std::max<std::size_t>(1, sr.y.size() / 10)), sr.y.end());
    const double m = median(tail);
    // Weights only, as the monitors' warnings do: a bias starts at 0, so its ratio starts huge.
    const bool weight = name.ends_with(".weight");
    std::string judgement = "close to the ~1e-3 rule of thumb";
    if (m > 1e-2) judgement = "<b>far above</b> ~1e-3: the updates are large for these weights; a lower learning rate may train more stably";
    else if (m < 1e-4) judgement = "<b>far below</b> ~1e-3: these weights barely move; the learning rate may be too low (or the layer is frozen)";
    else if (m > 3e-3) judgement = "somewhat above ~1e-3";
    else if (m < 3e-4) judgement = "somewhat below ~1e-3";
    if (!weight) judgement = "not judged (a bias starts at 0, so its ratio runs high while its norm is small)";
    verdicts += fmt::format("<li><code>{}</code>: {:.1e} at the end of training, {}.</li>", escape(name), m, judgement);
    ratio.push_back(std::move(sr));
  }
  if (ratio.empty()) {
    s.html = callout("info",
                     "Monitoring was off for this run: metrics.jsonl has no per-layer statistics (\"layers\") and "
                     "there is no steps.jsonl, so there are no update/parameter ratios, weight or gradient norms to "
                     "show. Monitoring is on by default; see <code>[monitor]</code> in docs/monitoring.md.");
    return s;
  }
  SvgAxes a;
  a.id = "chart-update-ratio";
  a.title = any_steps ? "‖Δw‖ / ‖w‖ per step" : "‖Δw‖ / ‖w‖ (epoch means)";
  a.x_label = axis.label();
  a.integer_x = true;
  a.y_label = "update / parameter ratio";
  a.log_y = true;
  a.width = 700;
  a.height = 340;
  a.guides.push_back({1e-3, "1e-3"});
  std::string charts = line_chart(a, ratio);
  auto norm_chart = [&](std::map<std::string, SvgSeries>& m, const std::string& id, const std::string& title) {
    std::vector<SvgSeries> v;
    for (std::size_t i = 0; i < order.size(); ++i) {
      auto it = m.find(order[i]);
      if (it == m.end() || !finite_any(it->second.y)) continue;
      SvgSeries sr = it->second;
      sr.label = order[i];
      sr.color = color(static_cast<int>(i));
      sr.markers = sr.x.size() <= 40;
      v.push_back(std::move(sr));
    }
    if (v.empty()) return std::string();
    SvgAxes na;
    na.id = id;
    na.title = title;
    na.x_label = axis.label();
    na.integer_x = true;
    na.log_y = true;
    na.width = 460;
    na.height = 280;
    return line_chart(na, v);
  };
  charts += norm_chart(wnorm, "chart-weight-norm", "Weight norm ‖w‖ (epoch means)");
  charts += norm_chart(gnorm, "chart-grad-norm", "Gradient norm ‖∇w‖ (epoch means)");
  s.html = "<div class=\"charts\">" + charts + "</div>";
  s.html += "<p>The ratio of the size of each update to the size of the weights it changes. As a rule of thumb "
            "(CS231n) it should be around 1e-3 (dashed line): much larger and the learning rate is probably too "
            "high, much smaller and it is probably too low.</p><ul>" + verdicts + "</ul>";
  // Activation statistics of the last epoch that has them.
  for (auto it = f.epochs.rbegin(); it != f.epochs.rend(); ++it) {
    if (!it->activations.is_object() || it->activations.empty()) continue;
    std::string t = fmt::format("<p>Activations at epoch {} (means over the sampled steps):</p><table class=\"numbers\">"
                                "<tr><th>layer</th><th>type</th><th>mean</th><th>std</th><th>saturated</th><th>dead</th>"
                                "<th>dead units</th></tr>",
                                it->epoch);
    std::set<std::string> acts;
    for (const auto& [name, st] : it->activations.items()) acts.insert(name);
    for (const std::string& name : sorted_param_names(acts)) {
      const nlohmann::json& st = it->activations[name];
      const double sat = number(st, "saturated"), dead = number(st, "dead"), units = number(st, "dead_units");
      auto pct = [](double v, double mark) {
        return fmt::format("<td{}>{}</td>", v > mark ? " class=\"bad\"" : "",
                           std::isnan(v) ? "-" : fmt::format("{:.1f}%", v * 100));
      };
      const std::string type = st.contains("type") && st["type"].is_string() ? st["type"].get<std::string>() : "";
      // A ReLU layer outputs 0 for about half its inputs by design: only dead units are marked.
      t += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}{}</tr>", escape(name), escape(type),
                       num(number(st, "mean")), num(number(st, "std")), pct(sat, 0.1), pct(dead, 2.0), pct(units, 0.1));
    }
    s.html += t + "</table><p class=\"muted\">Saturated: sigmoid outputs below 0.05 or above 0.95, tanh beyond "
                  "±0.95, where the local gradient nearly vanishes. Dead: ReLU outputs that are exactly 0 (about half "
                  "is normal); dead units: ReLU units that output 0 for a whole batch and no longer learn. Saturation "
                  "or dead units above 10% are marked.</p>";
    break;
  }
  return s;
}

Section histograms_section(const Context& c) {
  Section s{"histograms", "Weight, gradient and activation histograms", ""};
  const RunFiles& f = c.files;
  if (f.histograms.empty()) {
    s.html = callout("info", f.has_histograms_file
                                 ? "histograms.jsonl is empty."
                                 : "No histograms.jsonl: monitoring did not record histograms for this run (see "
                                   "<code>[monitor]</code> in docs/monitoring.md: <code>histogram_epochs</code>).");
    return s;
  }
  // name + kind -> rows in epoch order
  std::map<std::string, std::vector<const HistogramRow*>> groups;
  std::set<std::string> names;
  for (const HistogramRow& h : f.histograms) {
    groups[h.name + "\n" + h.kind].push_back(&h);
    names.insert(h.name);
  }
  static const char* kinds[] = {"weight", "grad", "activation"};
  std::string charts;
  int n = 0;
  std::set<std::int64_t> epochs;
  for (const std::string& name : sorted_param_names(names))
    for (const char* kind : kinds) {
      auto it = groups.find(name + "\n" + kind);
      if (it == groups.end()) continue;
      auto rows = it->second;
      std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->epoch < b->epoch; });
      const HistogramRow* last = rows.back();
      const HistogramRow* first = rows.size() > 1 ? rows.front() : nullptr;
      for (auto* r : rows) epochs.insert(r->epoch);
      Histogram bars{last->min, last->max, last->counts, ""};
      Histogram over;
      if (first) over = {first->min, first->max, first->counts, ""};
      SvgAxes a;
      a.id = "hist-" + name + "-" + kind;
      a.title = name + " · " + (std::string(kind) == "grad" ? "gradient" : kind);
      a.x_label = first ? fmt::format("bars: epoch {}, dashed: epoch {}", last->epoch, first->epoch)
                        : fmt::format("epoch {}", last->epoch);
      a.legend = false;
      a.width = 340;
      a.height = 230;
      const int ci = std::string(kind) == "weight" ? 0 : std::string(kind) == "grad" ? 3 : 2;
      charts += histogram_chart(a, bars, first ? &over : nullptr, color(ci));
      ++n;
    }
  s.html = "<div class=\"charts\">" + charts + "</div>";
  std::string which;
  for (std::int64_t e : epochs) which += (which.empty() ? "" : ", ") + std::to_string(e);
  s.html += fmt::format(
      "<p>{} histograms from histograms.jsonl (epochs {}). Weights that stay a narrow spike never trained; "
      "activations piled up at the ends of a sigmoid/tanh range are saturated (their gradients vanish); a ReLU "
      "layer with most of its mass at 0 has dead units; gradients that shrink layer after layer towards the input "
      "are the vanishing-gradient problem.</p>",
      n, which);
  return s;
}

}  // namespace gradnet::report
