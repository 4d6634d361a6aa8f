#include "run_files.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace fs = std::filesystem;

namespace gradnet::report {

namespace {

// Every line of path that parses as a JSON object; notes the ones that do not.
std::vector<nlohmann::json> read_jsonl(const std::string& path, std::vector<std::string>& notes) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      notes.push_back(fmt::format("{} line {}: not a JSON object (cut short?); skipped",
                                  fs::path(path).filename().string(), n));
      continue;
    }
    rows.push_back(std::move(j));
  }
  return rows;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::int64_t integer(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

double number(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::numeric_limits<double>::quiet_NaN();
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

RunFiles read_run_files(const std::string& dir) {
  RunFiles r;
  r.dir = dir;
  std::error_code ec;
  const fs::path d(dir);
  GRADNET_CHECK(fs::exists(d, ec), checkpoint, "{}: no such run directory", dir);
  const bool has_config = fs::exists(d / "config.toml", ec), has_metrics = fs::exists(d / "metrics.jsonl", ec);
  GRADNET_CHECK(fs::is_directory(d, ec) && (has_config || has_metrics), checkpoint,
                "{}: not a run directory (no config.toml, no metrics.jsonl); give a directory made by `gradnet train`",
                dir);
  if (has_config) r.config_text = read_text((d / "config.toml").string());
  else r.notes.push_back("config.toml is missing");
  if (fs::exists(d / "summary.json", ec)) {
    r.summary = nlohmann::json::parse(read_text((d / "summary.json").string()), nullptr, false);
    if (r.summary.is_discarded() || !r.summary.is_object()) {
      r.summary = nullptr;
      r.notes.push_back("summary.json is not a JSON object; ignored");
    }
  } else {
    r.notes.push_back("summary.json is missing (the run is still going, or was killed)");
  }
  if (!has_metrics) r.notes.push_back("metrics.jsonl is missing");
  for (const nlohmann::json& j : read_jsonl((d / "metrics.jsonl").string(), r.notes)) {
    EpochRow e;
    e.epoch = integer(j, "epoch");
    e.step = integer(j, "step");
    e.lr = number(j, "lr");
    e.train_loss = number(j, "train_loss");
    e.train_acc = number(j, "train_acc");
    e.val_loss = number(j, "val_loss");
    e.val_acc = number(j, "val_acc");
    e.seconds = number(j, "seconds");
    e.examples_per_second = number(j, "examples_per_second");
    e.schedule = text(j, "schedule");
    if (j.contains("layers") && j["layers"].is_object()) e.layers = j["layers"];
    if (j.contains("activations") && j["activations"].is_object()) e.activations = j["activations"];
    if (j.contains("warnings") && j["warnings"].is_array())
      for (const auto& w : j["warnings"])
        if (w.is_string()) e.warnings.push_back(w);
    r.epochs.push_back(std::move(e));
  }
  r.has_steps_file = fs::exists(d / "steps.jsonl", ec);
  if (r.has_steps_file)
    for (const nlohmann::json& j : read_jsonl((d / "steps.jsonl").string(), r.notes)) {
      StepRow s;
      s.step = integer(j, "step");
      s.epoch = integer(j, "epoch");
      s.loss = number(j, "loss");
      s.lr = number(j, "lr");
      if (j.contains("update_ratio") && j["update_ratio"].is_object())
        for (const auto& [name, v] : j["update_ratio"].items())
          if (v.is_number()) s.update_ratio[name] = v.get<double>();
      r.steps.push_back(std::move(s));
    }
  r.has_histograms_file = fs::exists(d / "histograms.jsonl", ec);
  if (r.has_histograms_file)
    for (const nlohmann::json& j : read_jsonl((d / "histograms.jsonl").string(), r.notes)) {
      HistogramRow h;
      h.epoch = integer(j, "epoch");
      h.name = text(j, "name");
      h.kind = text(j, "kind");
      h.min = number(j, "min");
      h.max = number(j, "max");
      if (j.contains("counts") && j["counts"].is_array())
        for (const auto& c : j["counts"]) h.counts.push_back(c.is_number() ? c.get<double>() : 0.0);
      if (h.name.empty() || h.counts.empty()) continue;
      r.histograms.push_back(std::move(h));
    }
  return r;
}

}  // namespace gradnet::report
