#include "run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"

namespace fs = std::filesystem;

namespace gradnet {

namespace {

std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

std::string utc_iso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// What a run writes before its first checkpoint; a directory holding only these (and at least
// config.toml or metrics.jsonl) is a run killed that early, with no result to keep.
bool written_before_first_checkpoint(const fs::directory_entry& e) {
  const std::string name = e.path().filename().string();
  if (name == ".lock" || name == "config.toml" || name == "metrics.jsonl" || name == "steps.jsonl" ||
      name == "histograms.jsonl" || name == "normalization.safetensors" || name == "dataset.json" ||
      name == "tensorboard")
    return true;
  if (name.front() == '.' && name.find(".tmp-") != std::string::npos) return true;  // a killed atomic write
  if (name != "checkpoints") return false;
  std::error_code ec;
  for (const auto& c : fs::directory_iterator(e.path(), ec))
    if (c.path().filename().string().find(".tmp-") == std::string::npos) return false;
  return !ec;
}

enum class Contents { empty, unstarted_run, other };

Contents contents(const std::string& dir) {
  std::error_code ec;
  bool started = false;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == ".lock") continue;
    if (!written_before_first_checkpoint(e)) return Contents::other;
    if (name == "config.toml" || name == "metrics.jsonl") started = true;
  }
  if (ec) return Contents::other;
  return started ? Contents::unstarted_run : Contents::empty;
}

void refuse_if_not_empty(const std::string& dir, Contents c) {
  GRADNET_CHECK(c != Contents::other, usage,
                "--out {}: directory is not empty; refusing to overwrite an earlier run (choose a new "
                "directory, or --resume it)",
                dir);
}

}  // namespace

RunDir::RunDir(const std::string& out_dir, const std::string& name) {
  std::error_code ec;
  if (!out_dir.empty()) {
    path_ = out_dir;
    const fs::path parent = fs::path(out_dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (::mkdir(out_dir.c_str(), 0755) != 0) {
      GRADNET_CHECK(errno == EEXIST, runtime, "{}: cannot create the run directory: {}", out_dir, std::strerror(errno));
      GRADNET_CHECK(fs::is_directory(out_dir, ec), usage, "--out {}: exists and is not a directory", out_dir);
      refuse_if_not_empty(out_dir, contents(out_dir));  // before creating .lock in someone else's directory
    }
    lock();  // then look again: a process that held the lock may have written there
    const Contents c = contents(out_dir);
    refuse_if_not_empty(out_dir, c);
    if (c == Contents::unstarted_run)  // killed before its first checkpoint: nothing to keep, start over
      for (const auto& e : fs::directory_iterator(out_dir, ec))
        if (e.path().filename() != ".lock") fs::remove_all(e.path(), ec);
  } else {
    fs::create_directories("runs", ec);
    const std::string base = "runs/" + name + "-" + utc_stamp();
    path_ = base;
    for (int k = 2; ::mkdir(path_.c_str(), 0755) != 0; ++k) {  // exclusive: two runs never share one
      GRADNET_CHECK(errno == EEXIST && k < 10000, runtime, "{}: cannot create the run directory: {}", path_,
                    std::strerror(errno));
      path_ = fmt::format("{}-{}", base, k);
    }
    lock();
  }
  metrics_.open(file("metrics.jsonl"), std::ios::out | std::ios::trunc);
  GRADNET_CHECK(metrics_.good(), runtime, "{}: cannot write metrics.jsonl", path_);
}

RunDir RunDir::reopen(const std::string& dir, std::int64_t epoch) {
  RunDir run;
  run.path_ = dir;
  run.lock();  // before anything is read or rewritten: another process may be running it
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {  // temp files of a write a kill cut short
    const std::string name = e.path().filename().string();
    if (name.front() == '.' && name.find(".tmp-") != std::string::npos) fs::remove(e.path(), ec);
  }
  std::ifstream in(run.file("metrics.jsonl"));
  std::string kept, line;
  while (epoch >= 0 && std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      break;  // a line cut short by a kill: everything after it is rewritten
    }
    if (j.value("epoch", std::int64_t(0)) > epoch) break;
    kept += line + "\n";
  }
  in.close();
  write_file_atomic(run.file("metrics.jsonl"), kept);
  run.metrics_.open(run.file("metrics.jsonl"), std::ios::out | std::ios::app);
  GRADNET_CHECK(run.metrics_.good(), runtime, "{}: cannot append to metrics.jsonl", dir);
  return run;
}

RunDir::RunDir(RunDir&& o) noexcept
    : path_(std::move(o.path_)),
      metrics_(std::move(o.metrics_)),
      lock_fd_(o.lock_fd_),
      last_check_ns_(o.last_check_ns_),
      dev_(o.dev_),
      ino_(o.ino_) {
  o.lock_fd_ = -1;
}

RunDir& RunDir::operator=(RunDir&& o) noexcept {
  if (this != &o) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    path_ = std::move(o.path_);
    metrics_ = std::move(o.metrics_);
    lock_fd_ = o.lock_fd_;
    last_check_ns_ = o.last_check_ns_;
    dev_ = o.dev_;
    ino_ = o.ino_;
    o.lock_fd_ = -1;
  }
  return *this;
}

RunDir::~RunDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock; .lock stays (removing it would race)
}

void RunDir::lock() {
  const std::string lock_path = file(".lock");
  // O_NOFOLLOW: a .lock planted as a symlink must not make gradnet truncate the file it points to.
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  GRADNET_CHECK(lock_fd_ >= 0, runtime, "{}: cannot open {}: {}", path_, lock_path, std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    const std::string holder = n > 0 ? fmt::format(" (pid {})", std::string(pid, static_cast<std::size_t>(n))) : "";
    ::close(lock_fd_);
    lock_fd_ = -1;
    GRADNET_CHECK(err != EWOULDBLOCK, usage,
                  "{}: another gradnet process{} is using this run directory; a run directory belongs to one "
                  "process at a time",
                  path_, holder);
    fail(ErrorKind::runtime, "{}: cannot lock {}: {}", path_, lock_path, std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid());
  struct stat lock_stat {};
  if (::fstat(lock_fd_, &lock_stat) == 0 && S_ISREG(lock_stat.st_mode) && ::ftruncate(lock_fd_, 0) == 0 &&
      ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
  }  // the pid is only for the message above
  struct stat st {};
  GRADNET_CHECK(::stat(path_.c_str(), &st) == 0, runtime, "{}: {}", path_, std::strerror(errno));
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

void RunDir::check() const {
  struct stat now {}, lock_file {};
  const bool same = ::stat(path_.c_str(), &now) == 0 && now.st_dev == dev_ && now.st_ino == ino_;
  const bool locked = lock_fd_ >= 0 && ::fstat(lock_fd_, &lock_file) == 0 && lock_file.st_nlink > 0;
  GRADNET_CHECK(same && locked, runtime,
                "{}: the run directory was removed or replaced while the run was going on; stopping (it is not "
                "recreated)",
                path_);
}

void RunDir::check_now_and_then() {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (now - last_check_ns_ < 1'000'000'000) return;
  last_check_ns_ = now;
  check();
}

std::string RunDir::subdir(const std::string& name) const {
  check();
  const std::string dir = file(name);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    fail(ErrorKind::runtime, "{}: cannot create the directory: {}", dir, std::strerror(errno));
  return dir;
}

void RunDir::append_metrics(const nlohmann::json& record) {
  check();
  metrics_ << record.dump() << '\n';
  metrics_.flush();
  GRADNET_CHECK(metrics_.good(), runtime, "{}: writing metrics.jsonl failed", path_);
}

void RunDir::write_json(const std::string& name, const nlohmann::json& value) {
  guarded([&] { write_file_atomic(file(name), value.dump(2) + "\n"); });
}

}  // namespace gradnet
