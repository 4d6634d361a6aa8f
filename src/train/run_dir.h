// The run directory: created only once config and data are known to be good, written as the
// run goes (metrics.jsonl line by line, flushed), finished by atomic writes. A run directory
// belongs to one process at a time: RunDir holds an flock on RUNDIR/.lock for its lifetime, and
// a second process (train --out, train --resume) gets Error{usage}. Before each write it checks
// that the directory is still the one it made: a removed or replaced run directory is
// Error{runtime} naming it, never silently recreated.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace gradnet {

// t as UTC ISO-8601 to the second, "2026-12-06T20:10:41Z" (summary.json's started_at, finished_at).
std::string utc_iso8601(std::time_t t);

class RunDir {
 public:
  // out_dir empty: runs/<name>-<UTC timestamp>[-N], created exclusively. An existing non-empty
  // out_dir is refused (Error{usage}): an earlier run's results are never overwritten. One that
  // holds only what a run writes before its first checkpoint (killed that early) is started over.
  RunDir(const std::string& out_dir, const std::string& name);
  // Reopens a run directory to resume it: metrics.jsonl keeps the records up to `epoch`
  // (a later line, written before a kill, is dropped: the resumed run writes it again); with
  // epoch < 0, none.
  static RunDir reopen(const std::string& dir, std::int64_t epoch);
  RunDir(RunDir&& other) noexcept;
  RunDir& operator=(RunDir&& other) noexcept;
  ~RunDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void append_metrics(const nlohmann::json& record);
  void write_json(const std::string& name, const nlohmann::json& value);  // atomic
  // Error{runtime} naming the directory when it was removed or replaced since it was opened.
  void check() const;
  // check(), at most once a second: called every step, so a long epoch notices a removal too.
  void check_now_and_then();
  // Runs write() (a write into the directory); when it fails and the directory is gone, the error
  // says that (check()) rather than "rename failed" on one of its files.
  template <typename F>
  void guarded(F&& write) const {
    check();
    try {
      write();
    } catch (...) {
      check();
      throw;
    }
  }
  // check(), then RUNDIR/<name> as a directory (not its parents: a removed run stays removed).
  std::string subdir(const std::string& name) const;

 private:
  RunDir() = default;
  void lock();  // flock RUNDIR/.lock; Error{usage} while another process holds it
  std::string path_;
  std::ofstream metrics_;
  int lock_fd_ = -1;
  std::int64_t last_check_ns_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace gradnet
