// The study store: schema, creation, the study row, and load_study (include/gradnet/search/study.h).
#include "store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"

namespace gradnet::search {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* schema_sql =
    "CREATE TABLE study(id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, spec_path TEXT NOT NULL,\n"
    "  spec_text TEXT NOT NULL, base_config TEXT NOT NULL, objective TEXT NOT NULL, direction TEXT NOT NULL,\n"
    "  sampler TEXT NOT NULL, seed INTEGER NOT NULL, trials_requested INTEGER NOT NULL,\n"
    "  max_attempts INTEGER NOT NULL, created_at TEXT NOT NULL, heartbeat_timeout REAL NOT NULL,\n"
    "  deadline REAL NOT NULL DEFAULT 0, format INTEGER NOT NULL);\n"
    "CREATE TABLE space(stage INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL,\n"
    "  distribution TEXT NOT NULL, low REAL, high REAL, choices TEXT NOT NULL, PRIMARY KEY (stage, position));\n"
    "CREATE TABLE trials(number INTEGER PRIMARY KEY, stage INTEGER NOT NULL, state TEXT NOT NULL,\n"
    "  params TEXT NOT NULL, value REAL, run_dir TEXT NOT NULL, worker TEXT NOT NULL DEFAULT '',\n"
    "  attempts INTEGER NOT NULL DEFAULT 0, heartbeat REAL, started_at TEXT, finished_at TEXT,\n"
    "  message TEXT NOT NULL DEFAULT '');\n"
    "CREATE INDEX trials_state ON trials(state);\n"
    "CREATE TABLE intermediate(trial INTEGER NOT NULL, epoch INTEGER NOT NULL, value REAL NOT NULL,\n"
    "  PRIMARY KEY (trial, epoch));\n";

constexpr int store_format = 1;

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(now));
}

void require_study(Database& db) {
  auto check = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                          "('study','space','trials','intermediate')");
  check.step();
  GRADNET_CHECK(check.integer(0) == 4, checkpoint, "{}: not a gradnet study store (no study tables)", db.path());
}

std::vector<std::vector<SpaceDim>> read_space(Database& db) {
  std::vector<std::vector<SpaceDim>> stages;
  auto rows = db.prepare("SELECT stage, key, distribution, low, high, choices FROM space ORDER BY stage, position");
  while (rows.step()) {
    const auto stage = static_cast<std::size_t>(rows.integer(0));
    if (stages.size() <= stage) stages.resize(stage + 1);
    SpaceDim dim;
    dim.key = rows.text(1);
    dim.distribution = rows.text(2);
    dim.low = rows.optional_real(3).value_or(0);
    dim.high = rows.optional_real(4).value_or(0);
    dim.choices = choices_from_json(rows.text(5), db.path() + ": space " + dim.key);
    stages[stage].push_back(std::move(dim));
  }
  return stages;
}

std::vector<TrialRecord> read_trials(Database& db) {
  std::vector<TrialRecord> trials;
  std::map<std::int64_t, std::size_t> index;
  auto rows = db.prepare("SELECT number, stage, state, params, value, run_dir, attempts, message FROM trials "
                         "ORDER BY number");
  while (rows.step()) {
    TrialRecord t;
    t.number = rows.integer(0);
    t.stage = static_cast<int>(rows.integer(1));
    const std::string where = fmt::format("{}: trial {}", db.path(), t.number);
    t.state = trial_state_from(rows.text(2), where);
    t.params = params_from_json(rows.text(3), where);
    t.value = rows.optional_real(4);
    t.run_dir = rows.text(5);
    t.attempts = static_cast<int>(rows.integer(6));
    t.message = rows.text(7);
    index[t.number] = trials.size();
    trials.push_back(std::move(t));
  }
  auto steps = db.prepare("SELECT trial, epoch, value FROM intermediate ORDER BY trial, epoch");
  while (steps.step()) {
    const auto it = index.find(steps.integer(0));
    if (it != index.end()) trials[it->second].intermediate.emplace_back(steps.integer(1), steps.real(2));
  }
  return trials;
}

}  // namespace

const char* to_string(TrialState state) {
  switch (state) {
    case TrialState::waiting: return "waiting";
    case TrialState::running: return "running";
    case TrialState::complete: return "complete";
    case TrialState::pruned: return "pruned";
    case TrialState::failed: return "failed";
  }
  return "?";
}

TrialState trial_state_from(const std::string& word, const std::string& where) {
  for (auto s : {TrialState::waiting, TrialState::running, TrialState::complete, TrialState::pruned,
                 TrialState::failed})
    if (word == to_string(s)) return s;
  fail(ErrorKind::checkpoint, "{}: unknown trial state '{}'", where, clip(word));
}

const TrialRecord* StudyRecord::best() const {
  const TrialRecord* best = nullptr;
  for (const auto& t : trials) {
    if (t.state != TrialState::complete || !t.value || std::isnan(*t.value)) continue;
    if (!best || (maximize ? *t.value > *best->value : *t.value < *best->value)) best = &t;
  }
  return best;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string store_path(const std::string& dir) { return (fs::path(dir) / "study.db").string(); }

std::string params_to_json(const std::vector<ParamValue>& params) {
  json object = json::object();
  for (const auto& p : params) {
    if (!p.number) {
      object[p.key] = p.literal;
      continue;
    }
    // The literal keeps an integer an integer (64, not 64.0); a number's own form otherwise.
    const json literal = json::parse(p.literal, nullptr, false);
    object[p.key] = literal.is_number() ? literal : json(*p.number);
  }
  return object.dump();
}

std::vector<ParamValue> params_from_json(const std::string& text, const std::string& where) {
  const json object = json::parse(text, nullptr, false);
  GRADNET_CHECK(object.is_object(), checkpoint, "{}: params are not a JSON object", where);
  std::vector<ParamValue> params;
  for (const auto& [key, value] : object.items()) {
    ParamValue p{key, "", std::nullopt};
    if (value.is_number()) {
      p.number = value.get<double>();
      p.literal = value.dump();
    } else if (value.is_string()) {
      p.literal = value.get<std::string>();
    } else {
      p.literal = value.dump();
    }
    params.push_back(std::move(p));
  }
  return params;
}

std::string choices_to_json(const std::vector<std::string>& choices) { return json(choices).dump(); }

std::vector<std::string> choices_from_json(const std::string& text, const std::string& where) {
  const json array = json::parse(text, nullptr, false);
  GRADNET_CHECK(array.is_array(), checkpoint, "{}: choices are not a JSON array", where);
  std::vector<std::string> out;
  for (const auto& v : array) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

void write_space(Database& db, int stage, const std::vector<SpaceDim>& space) {
  db.prepare("DELETE FROM space WHERE stage = ?").bind(1, stage).run();
  auto insert = db.prepare("INSERT INTO space(stage, position, key, distribution, low, high, choices) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t i = 0; i < space.size(); ++i) {
    const auto& d = space[i];
    insert.bind(1, stage).bind(2, static_cast<std::int64_t>(i)).bind(3, d.key).bind(4, d.distribution);
    insert.bind(5, d.low).bind(6, d.high).bind(7, choices_to_json(d.choices)).run();
  }
}

void create_store(const std::string& dir, const StudySettings& s, const std::vector<SpaceDim>& space) {
  fs::create_directories(dir);
  const std::string path = store_path(dir);
  GRADNET_CHECK(!fs::exists(path), runtime, "{}: a study exists there already (continue it with --resume)", path);
  Database db(path, Database::Mode::create);
  db.write([&] {
    db.exec(schema_sql);
    auto insert = db.prepare(
        "INSERT INTO study(id, name, spec_path, spec_text, base_config, objective, direction, sampler, seed, "
        "trials_requested, max_attempts, created_at, heartbeat_timeout, format) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, s.name).bind(2, s.spec_path).bind(3, s.spec_text).bind(4, s.base_config).bind(5, s.objective);
    insert.bind(6, s.maximize ? "maximize" : "minimize").bind(7, s.sampler);
    insert.bind(8, static_cast<std::int64_t>(s.seed)).bind(9, s.trials_requested).bind(10, s.max_attempts);
    insert.bind(11, utc_now()).bind(12, s.heartbeat_timeout).bind(13, store_format).run();
    write_space(db, 0, space);
  });
}

Database open_store(const std::string& dir) {
  const std::string path = store_path(dir);
  GRADNET_CHECK(fs::is_regular_file(path), checkpoint, "{}: no study store there (not a gradnet search directory)",
                path);
  try {
    Database db(path, Database::Mode::read_write);
    require_study(db);
    return db;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::checkpoint) throw;
    fail(ErrorKind::checkpoint, "{}: not a gradnet study store ({})", path, e.what());
  }
}

StudySettings read_settings(Database& db) {
  auto row = db.prepare("SELECT name, spec_path, spec_text, base_config, objective, direction, sampler, seed, "
                        "trials_requested, max_attempts, heartbeat_timeout FROM study WHERE id = 1");
  GRADNET_CHECK(row.step(), checkpoint, "{}: the study row is missing", db.path());
  StudySettings s;
  s.name = row.text(0);
  s.spec_path = row.text(1);
  s.spec_text = row.text(2);
  s.base_config = row.text(3);
  s.objective = row.text(4);
  s.maximize = row.text(5) == "maximize";
  s.sampler = row.text(6);
  s.seed = static_cast<std::uint64_t>(row.integer(7));
  s.trials_requested = row.integer(8);
  s.max_attempts = static_cast<int>(row.integer(9));
  s.heartbeat_timeout = row.real(10);
  row.run();
  return s;
}

StudyRecord load_study(const std::string& dir) {
  // Read-write open (not read-only): a WAL database's reader needs the -shm file, which a
  // read-only connection cannot create when the last writer has gone. Nothing is written.
  Database db = open_store(dir);
  StudyRecord study;
  study.dir = fs::absolute(dir).lexically_normal().string();
  db.read([&] {
    const StudySettings s = read_settings(db);
    study.name = s.name;
    study.objective = s.objective;
    study.maximize = s.maximize;
    study.sampler = s.sampler;
    study.trials_requested = s.trials_requested;
    study.stages = read_space(db);
    study.trials = read_trials(db);
  });
  return study;
}

}  // namespace gradnet::search
