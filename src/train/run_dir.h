// The run directory: created only once config and data are known to be good, written as the
// run goes (metrics.jsonl line by line, flushed), finished by atomic writes.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace gradnet {

class RunDir {
 public:
  // out_dir empty: runs/<name>-<UTC timestamp>[-N]. An existing non-empty out_dir is refused
  // (Error{usage}): an earlier run's results are never overwritten.
  RunDir(const std::string& out_dir, const std::string& name);
  // Reopens a run directory to resume it: metrics.jsonl keeps the records up to `epoch`
  // (a later line, written before a kill, is dropped: the resumed run writes it again).
  static RunDir reopen(const std::string& dir, std::int64_t epoch);
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void append_metrics(const nlohmann::json& record);
  void write_json(const std::string& name, const nlohmann::json& value);  // atomic

 private:
  RunDir() = default;
  std::string path_;
  std::ofstream metrics_;
};

}  // namespace gradnet
