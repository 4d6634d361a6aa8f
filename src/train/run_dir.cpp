#include "run_dir.h"

#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"

namespace fs = std::filesystem;

namespace gradnet {

static std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

RunDir::RunDir(const std::string& out_dir, const std::string& name) {
  std::error_code ec;
  if (!out_dir.empty()) {
    if (fs::exists(out_dir, ec)) {
      GRADNET_CHECK(fs::is_directory(out_dir, ec), usage, "--out {}: exists and is not a directory", out_dir);
      GRADNET_CHECK(fs::is_empty(out_dir, ec), usage,
                    "--out {}: directory is not empty; refusing to overwrite an earlier run (choose a new "
                    "directory, or --resume it)",
                    out_dir);
    }
    path_ = out_dir;
  } else {
    const std::string base = "runs/" + name + "-" + utc_stamp();
    path_ = base;
    for (int k = 2; fs::exists(path_, ec); ++k) path_ = fmt::format("{}-{}", base, k);
  }
  fs::create_directories(path_, ec);
  GRADNET_CHECK(!ec, runtime, "{}: cannot create the run directory: {}", path_, ec.message());
  metrics_.open(file("metrics.jsonl"), std::ios::out | std::ios::trunc);
  GRADNET_CHECK(metrics_.good(), runtime, "{}: cannot write metrics.jsonl", path_);
}

RunDir RunDir::reopen(const std::string& dir, std::int64_t epoch) {
  RunDir run;
  run.path_ = dir;
  std::ifstream in(run.file("metrics.jsonl"));
  std::string kept, line;
  while (std::getline(in, line)) {
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

void RunDir::append_metrics(const nlohmann::json& record) {
  metrics_ << record.dump() << '\n';
  metrics_.flush();
  GRADNET_CHECK(metrics_.good(), runtime, "{}: writing metrics.jsonl failed", path_);
}

void RunDir::write_json(const std::string& name, const nlohmann::json& value) {
  write_file_atomic(file(name), value.dump(2) + "\n");
}

}  // namespace gradnet
