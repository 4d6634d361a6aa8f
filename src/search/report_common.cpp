// What the sections of search-report.html share: the best trial, the searched ranges, links to
// run directories, the boundary warning, and the per-epoch accuracy a run directory holds.
#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../report/html.h"
#include "gradnet/search/report.h"
#include "report_page.h"

namespace fs = std::filesystem;

namespace gradnet::search {
namespace page {

const ParamValue* find_param(const TrialRecord& trial, const std::string& key) {
  for (const ParamValue& p : trial.params)
    if (p.key == key) return &p;
  return nullptr;
}

std::string params_text(const TrialRecord& trial) {
  std::string s;
  for (const ParamValue& p : trial.params) s += (s.empty() ? "" : ", ") + p.key + "=" + p.literal;
  return s;
}

std::string params_label(const TrialRecord& trial) {
  std::string s;
  for (const ParamValue& p : trial.params)
    s += (s.empty() ? "" : ", ") + p.key + "=" + (p.number ? fmt::format("{:.4g}", *p.number) : p.literal);
  return s;
}

std::string run_link(const View& view, const TrialRecord& trial) {
  if (trial.run_dir.empty()) return "<span class=\"muted\">-</span>";
  const fs::path dir = fs::absolute(fs::path(trial.run_dir)).lexically_normal();
  std::error_code ec;
  const bool has_report = fs::exists(dir / "report.html", ec);
  const fs::path target = has_report ? dir / "report.html" : dir;
  fs::path rel = target.lexically_relative(fs::path(view.page_dir));
  std::string href = rel.empty() ? target.string() : rel.string();
  if (!has_report) href += "/";
  std::string shown = dir.lexically_relative(fs::path(view.page_dir)).string();
  if (shown.empty()) shown = dir.string();
  return "<a href=\"" + report::escape(href) + "\"><code>" + report::escape(shown) + "</code></a>";
}

std::vector<SpaceDim> searched_dims(const StudyRecord& study) {
  std::vector<SpaceDim> dims;
  for (const std::vector<SpaceDim>& stage : study.stages)
    for (const SpaceDim& d : stage) {
      auto it = std::find_if(dims.begin(), dims.end(), [&](const SpaceDim& x) { return x.key == d.key; });
      if (it == dims.end()) {
        dims.push_back(d);
        continue;
      }
      it->low = std::min(it->low, d.low);
      it->high = std::max(it->high, d.high);
      for (const std::string& c : d.choices)
        if (std::find(it->choices.begin(), it->choices.end(), c) == it->choices.end()) it->choices.push_back(c);
    }
  return dims;
}

bool is_numeric(const SpaceDim& dim) {
  return dim.distribution == "uniform" || dim.distribution == "log_uniform" || dim.distribution == "int" ||
         dim.distribution == "int_log";
}

int choice_index(const SpaceDim& dim, const ParamValue& param) {
  for (std::size_t i = 0; i < dim.choices.size(); ++i)
    if (dim.choices[i] == param.literal) return static_cast<int>(i);
  if (!param.number) return -1;
  for (std::size_t i = 0; i < dim.choices.size(); ++i) {
    char* end = nullptr;
    const double v = std::strtod(dim.choices[i].c_str(), &end);
    if (end != dim.choices[i].c_str() && *end == '\0' && std::fabs(v - *param.number) <= 1e-12 * std::fabs(v))
      return static_cast<int>(i);
  }
  return -1;
}

double range_position(const SpaceDim& dim, double v) {
  if (!std::isfinite(v) || !(dim.high > dim.low)) return kNaN;
  if (dim.log_scale()) {
    if (!(dim.low > 0) || !(v > 0)) return kNaN;
    return (std::log10(v) - std::log10(dim.low)) / (std::log10(dim.high) - std::log10(dim.low));
  }
  return (v - dim.low) / (dim.high - dim.low);
}

std::string short_num(double v) { return std::isfinite(v) ? fmt::format("{:.3g}", v) : "-"; }

std::string id_of(const std::string& text) {
  std::string s = text;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  return s;
}

std::vector<const TrialRecord*> trials_with_values(const StudyRecord& study) {
  std::vector<const TrialRecord*> v;
  for (const TrialRecord& t : study.trials)
    if ((t.state == TrialState::complete || t.state == TrialState::pruned) && t.value && std::isfinite(*t.value))
      v.push_back(&t);
  return v;
}

std::string callout(const std::string& kind, const std::string& html) {
  return "<div class=\"callout " + kind + "\">" + html + "</div>";
}

std::string viridis(double t) {
  static const double stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  auto mix = [&](int c) { return static_cast<int>(std::lround(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f)); };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2));
}

RunCurves read_run_curves(const std::string& run_dir) {
  RunCurves r;
  std::error_code ec;
  const fs::path dir(run_dir);
  if (run_dir.empty() || !fs::is_directory(dir, ec)) {
    r.problem = "no run directory";
    return r;
  }
  std::ifstream in(dir / "metrics.jsonl");
  if (!in) r.problem = "no metrics.jsonl";
  auto number = [](const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      auto it = j.find(k);
      if (it != j.end() && it->is_number()) return it->get<double>();
    }
    return kNaN;
  };
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a last line cut short by a kill
    const double epoch = number(j, {"epoch"});
    if (!(epoch >= 1)) continue;
    r.epochs.push_back(epoch);
    r.val_acc.push_back(number(j, {"val_acc"}));
    r.test_acc.push_back(number(j, {"test_acc", "test_accuracy"}));
  }
  std::ifstream s(dir / "summary.json");
  std::stringstream text;
  text << s.rdbuf();
  const nlohmann::json summary = nlohmann::json::parse(text.str(), nullptr, false);
  if (summary.is_object()) {
    r.final_val_acc = number(summary, {"val_accuracy"});
    r.final_test_acc = number(summary, {"test_accuracy"});
  }
  return r;
}

}  // namespace page

std::vector<std::string> boundary_warnings(const StudyRecord& study) {
  const TrialRecord* best = study.best();
  if (!best || study.stages.empty()) return {};
  const std::size_t stage = best->stage >= 0 && static_cast<std::size_t>(best->stage) < study.stages.size()
                                ? static_cast<std::size_t>(best->stage)
                                : 0;
  const std::string range_name = study.stages.size() > 1 ? fmt::format("stage {}'s searched range", stage)
                                                          : std::string("the searched range");
  std::vector<std::string> warnings;
  for (const SpaceDim& dim : study.stages[stage]) {
    if (!page::is_numeric(dim)) continue;
    const ParamValue* p = page::find_param(*best, dim.key);
    if (!p || !p->number) continue;
    const double at = page::range_position(dim, *p->number);
    if (!std::isfinite(at)) continue;
    const bool top = at >= 1 - kBoundaryFraction, bottom = at <= kBoundaryFraction;
    if (!top && !bottom) continue;
    warnings.push_back(fmt::format(
        "{}: the best value {} lies at the {} of {} [{}, {}]{}; widen the range {} and search again", dim.key,
        page::short_num(*p->number), top ? "top" : "bottom", range_name, page::short_num(dim.low),
        page::short_num(dim.high), dim.log_scale() ? " (log scale)" : "", top ? "upward" : "downward"));
  }
  return warnings;
}

}  // namespace gradnet::search
