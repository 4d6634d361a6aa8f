// A study's results: the JSON `gradnet search --json` prints last, and the readable table.
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/search/search.h"

namespace gradnet::search {
namespace {

nlohmann::json params_object(const std::vector<ParamValue>& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& p : params) {
    if (!p.number) {
      j[p.key] = p.literal;
      continue;
    }
    const auto literal = nlohmann::json::parse(p.literal, nullptr, false);
    j[p.key] = literal.is_number() ? literal : nlohmann::json(*p.number);
  }
  return j;
}

nlohmann::json value_of(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string results_json(const StudyRecord& study) {
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : study.trials)
    trials.push_back({{"number", t.number}, {"stage", t.stage}, {"state", to_string(t.state)},
                      {"params", params_object(t.params)}, {"value", value_of(t.value)}, {"run_dir", t.run_dir},
                      {"attempts", t.attempts}, {"message", t.message}});
  nlohmann::json best = nullptr;
  if (const TrialRecord* b = study.best())
    best = {{"number", b->number}, {"value", value_of(b->value)}, {"params", params_object(b->params)},
            {"run_dir", b->run_dir}};
  return nlohmann::json{{"best", best},
                        {"trials", trials},
                        {"objective", study.objective},
                        {"direction", study.maximize ? "maximize" : "minimize"},
                        {"name", study.name},
                        {"dir", study.dir}}
      .dump();
}

std::string results_table(const StudyRecord& study) {
  std::string out = fmt::format("study {} ({}): {} {}\n", study.name, study.dir,
                                study.maximize ? "maximize" : "minimize", study.objective);
  out += fmt::format("{:>6} {:>5} {:<9} {:>12}  {}\n", "trial", "stage", "state", study.objective, "params");
  for (const auto& t : study.trials) {
    std::string params;
    for (const auto& p : t.params) params += (params.empty() ? "" : " ") + p.key + "=" + p.literal;
    out += fmt::format("{:>6} {:>5} {:<9} {:>12}  {}\n", t.number, t.stage, to_string(t.state),
                       t.value ? fmt::format("{:.6g}", *t.value) : "-", params);
  }
  if (const TrialRecord* b = study.best())
    out += fmt::format("best: trial {}, {} {:.6g}, run directory {}\n", b->number, study.objective, *b->value,
                       b->run_dir);
  else
    out += "best: none (no trial completed)\n";
  return out;
}

std::vector<std::string> study_notes(const StudyRecord& study) {
  std::map<TrialState, int> count;
  for (const auto& t : study.trials) ++count[t.state];
  std::vector<std::string> notes;
  if (count[TrialState::failed] > 0) {
    const TrialRecord* last = nullptr;
    for (const auto& t : study.trials)
      if (t.state == TrialState::failed) last = &t;
    notes.push_back(fmt::format("{} trial{} failed (the last, trial {}: {})", count[TrialState::failed],
                                count[TrialState::failed] == 1 ? "" : "s", last->number, last->message));
  }
  const int left = count[TrialState::waiting] + count[TrialState::running];
  if (left > 0)
    notes.push_back(fmt::format("{} trial{} not finished: gradnet search --resume {} continues the study", left,
                                left == 1 ? " is" : "s are", study.dir));
  return notes;
}

}  // namespace gradnet::search
