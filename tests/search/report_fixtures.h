// Studies built in memory for the search-report tests, run directories in the trainer's format,
// and the HTML checks those tests share.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/search/study.h"
#include "test_support.h"

namespace gradnet::testing::search_report {

using gradnet::search::ParamValue;
using gradnet::search::SpaceDim;
using gradnet::search::StudyRecord;
using gradnet::search::TrialRecord;
using gradnet::search::TrialState;

inline SpaceDim numeric_dim(const std::string& key, const std::string& distribution, double low, double high) {
  SpaceDim d;
  d.key = key;
  d.distribution = distribution;
  d.low = low;
  d.high = high;
  return d;
}

inline SpaceDim choice_dim(const std::string& key, std::vector<std::string> choices) {
  SpaceDim d;
  d.key = key;
  d.distribution = "choice";
  d.choices = std::move(choices);
  return d;
}

inline ParamValue number_param(const std::string& key, double v, const std::string& literal = "") {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return {key, literal.empty() ? std::string(buf) : literal, v};
}

inline ParamValue word_param(const std::string& key, const std::string& literal) { return {key, literal, std::nullopt}; }

inline TrialRecord trial(std::int64_t number, TrialState state, std::vector<ParamValue> params,
                         std::optional<double> value, const std::string& run_dir = "") {
  TrialRecord t;
  t.number = number;
  t.state = state;
  t.params = std::move(params);
  t.value = value;
  t.run_dir = run_dir;
  t.attempts = 1;
  if (value)  // the objective rising to its value over the epochs run (pruned: 1, complete: 3)
    for (int e = 1; e <= (state == TrialState::pruned ? 1 : 3); ++e)
      t.intermediate.emplace_back(e, *value - 0.02 * ((state == TrialState::pruned ? 1 : 3) - e));
  if (state == TrialState::pruned) t.message = "pruned at epoch 1: below the median of epoch 1";
  if (state == TrialState::failed) t.message = "diverged: the loss is NaN";
  return t;
}

// A study of val_accuracy over optimizer.lr in [1e-3, 1] (log), optimizer.momentum in [0, 0.99],
// model.layers[0].out int in [16, 256] and model.layers[1].type in {tanh, relu}; the best trial's
// lr is best_lr (the other trials' are in the middle of the range).
inline StudyRecord lr_study(const std::string& dir, double best_lr) {
  StudyRecord s;
  s.dir = dir;
  s.name = "lr-study";
  s.objective = "val_accuracy";
  s.maximize = true;
  s.sampler = "random";
  s.trials_requested = 6;
  s.stages = {{numeric_dim("optimizer.lr", "log_uniform", 1e-3, 1), numeric_dim("optimizer.momentum", "uniform", 0, 0.99),
               numeric_dim("model.layers[0].out", "int", 16, 256), choice_dim("model.layers[1].type", {"tanh", "relu"})}};
  auto params = [](double lr, double momentum, int out, const std::string& act) {
    return std::vector<ParamValue>{number_param("optimizer.lr", lr), number_param("optimizer.momentum", momentum),
                                   number_param("model.layers[0].out", out), word_param("model.layers[1].type", act)};
  };
  s.trials = {trial(0, TrialState::complete, params(0.03, 0.5, 100, "tanh"), 0.91),
              trial(1, TrialState::complete, params(best_lr, 0.45, 128, "relu"), 0.95),
              trial(2, TrialState::pruned, params(0.002, 0.6, 64, "tanh"), 0.40),
              trial(3, TrialState::failed, params(0.02, 0.3, 200, "relu"), std::nullopt),
              trial(4, TrialState::complete, params(0.01, 0.55, 150, "tanh"), 0.93),
              trial(5, TrialState::running, params(0.05, 0.4, 90, "relu"), std::nullopt)};
  return s;
}

// A run directory as `gradnet train` leaves it: metrics.jsonl (epoch 0 before any update, then one
// line per epoch) and summary.json.
inline void write_run_dir(const std::string& dir, const std::vector<double>& val_acc, double test_acc) {
  std::filesystem::create_directories(dir);
  std::string lines;
  for (std::size_t e = 0; e < val_acc.size(); ++e)
    lines += nlohmann::json({{"epoch", e}, {"step", 30 * e}, {"lr", 0.1}, {"train_loss", 2.3 / (1.0 + e)},
                             {"train_acc", val_acc[e] - 0.01}, {"val_loss", 2.2 / (1.0 + e)}, {"val_acc", val_acc[e]},
                             {"seconds", e ? 0.5 : 0.0}, {"examples_per_second", e ? 1e5 : 0.0}})
                 .dump() + "\n";
  write_file(dir + "/metrics.jsonl", lines);
  write_file(dir + "/config.toml", "name = \"trial\"\n");
  write_file(dir + "/summary.json",
             nlohmann::json({{"status", "ok"}, {"epochs", val_acc.size() - 1}, {"val_accuracy", val_acc.back()},
                             {"test_accuracy", test_acc}, {"run_dir", dir}})
                 .dump(2));
}

// The text of <section id="id"> ... </section> in html ("" if absent).
inline std::string section(const std::string& html, const std::string& id) {
  const std::size_t b = html.find("<section id=\"" + id + "\"");
  if (b == std::string::npos) return "";
  const std::size_t e = html.find("</section>", b);
  return html.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

// The <svg ...> ... </svg> whose id is id ("" if absent).
inline std::string svg_with_id(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const std::size_t b = html.rfind("<svg", at), e = html.find("</svg>", at);
  return html.substr(b, e - b);
}

inline int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// The x-axis tick labels of an svg chart: the tick texts on its lowest row.
inline std::vector<std::string> x_tick_labels(const std::string& svg) {
  std::vector<std::pair<double, std::string>> ticks;
  for (std::size_t p = svg.find("<text class=\"tick\""); p != std::string::npos; p = svg.find("<text class=\"tick\"", p + 1)) {
    const std::size_t y = svg.find(" y=\"", p) + 4, t = svg.find('>', p) + 1;
    ticks.emplace_back(std::stod(svg.substr(y, svg.find('"', y) - y)), svg.substr(t, svg.find('<', t) - t));
  }
  double lowest = 0;
  for (const auto& [y, label] : ticks) lowest = std::max(lowest, y);
  std::vector<std::string> out;
  for (const auto& [y, label] : ticks)
    if (y == lowest) out.push_back(label);
  return out;
}

inline bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A shell command with stdout and stderr captured.
inline CliResult run_shell(const std::string& command, const TempDir& tmp) {
  const std::string cmd = command + " >" + quote(tmp / "cmd.out") + " 2>" + quote(tmp / "cmd.err") + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "cmd.out");
  r.err = read_file(tmp / "cmd.err");
  return r;
}

inline std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

// Headless Chromium with everything that would reach the network switched off.
inline std::string chromium_command(const std::string& binary, const TempDir& tmp) {
  return "timeout 180 " + quote(binary) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-extensions --hide-scrollbars"
         " --user-data-dir=" + quote(tmp / "chromium-profile");
}

}  // namespace gradnet::testing::search_report
