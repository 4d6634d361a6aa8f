// The study store (DIR/study.db): creating it, and the JSON columns' encodings. The schema is
// documented in include/gradnet/search/study.h; load_study reads it back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/search/study.h"
#include "sqlite.h"

namespace gradnet::search {

// The study row as `gradnet search` writes it once, before the first trial.
struct StudySettings {
  std::string name;
  std::string spec_path;      // absolute
  std::string spec_text;      // SEARCH.toml as read: workers rebuild the spec from it
  std::string base_config;    // absolute
  std::string objective;
  bool maximize = true;
  std::string sampler;
  std::uint64_t seed = 1;
  std::int64_t trials_requested = 0;
  int max_attempts = 3;
  double heartbeat_timeout = 30;
};

std::string store_path(const std::string& dir);  // dir/study.db
// Creates dir/study.db with the schema, the study row and stage 0's space. Error{runtime} when it
// exists already.
void create_store(const std::string& dir, const StudySettings& settings, const std::vector<SpaceDim>& space);
// Opens an existing store for writing; Error{checkpoint} naming the file when it is not one.
Database open_store(const std::string& dir);
StudySettings read_settings(Database& db);
void write_space(Database& db, int stage, const std::vector<SpaceDim>& space);  // inside a write()

std::string params_to_json(const std::vector<ParamValue>& params);
std::vector<ParamValue> params_from_json(const std::string& text, const std::string& where);
std::string choices_to_json(const std::vector<std::string>& choices);
std::vector<std::string> choices_from_json(const std::string& text, const std::string& where);
TrialState trial_state_from(const std::string& word, const std::string& where);
double unix_now();

}  // namespace gradnet::search
