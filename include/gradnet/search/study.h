// A hyperparameter study as its store holds it: what `gradnet search` writes to DIR/study.db and
// what the search report, `gradnet search DIR --json` and `gradnet ensemble DIR --top k` read.
//
// The store is SQLite (WAL mode, busy timeout, short transactions), one file per study:
//
//   study(id = 1, name, spec_path, spec_text, base_config, objective, direction, sampler, seed,
//         trials_requested, max_attempts, created_at, heartbeat_timeout, deadline, format)
//         -- direction: maximize | minimize; heartbeat_timeout: seconds; deadline: Unix seconds after
//         -- which no trial starts (0: none; each `search`/`--resume` sets it anew); format: 1
//   space(stage, position, key, distribution, low, high, choices)  -- choices: JSON array of
//         -- strings (the --set literals); a numeric dim with `steps` lists its points there too
//   trials(number PRIMARY KEY, stage, state, params, value, run_dir, worker, attempts, heartbeat,
//          started_at, finished_at, message)                        -- params: JSON object key -> value
//   intermediate(trial, epoch, value, PRIMARY KEY (trial, epoch))   -- the objective per epoch
//
// state is one of waiting | running | complete | pruned | failed; heartbeat is Unix seconds,
// refreshed by the worker that runs the trial. A running trial whose heartbeat is older than the
// study's timeout is re-queued (attempts + 1) or, past max_attempts, marked failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradnet::search {

enum class TrialState { waiting, running, complete, pruned, failed };
const char* to_string(TrialState state);

// One dimension of the space, addressed as --set addresses config keys (optimizer.lr,
// model.layers[0].out, train.seed).
struct SpaceDim {
  std::string key;
  std::string distribution;         // log_uniform | uniform | int | int_log | choice | grid
  double low = 0, high = 0;         // numeric distributions
  std::vector<std::string> choices; // choice / grid: each value as --set takes it (0.1, "adam", 64)
  bool log_scale() const { return distribution == "log_uniform" || distribution == "int_log"; }
};

struct ParamValue {
  std::string key;
  std::string literal;                 // as --set takes it: 0.01, adam, 64
  std::optional<double> number;        // when the value is numeric
};

struct TrialRecord {
  std::int64_t number = 0;             // from 0, in the order trials were created
  int stage = 0;                       // coarse-to-fine stage, from 0
  TrialState state = TrialState::waiting;
  std::vector<ParamValue> params;
  std::optional<double> value;         // the objective; none unless complete (pruned: the last reported)
  std::string run_dir;                 // absolute
  int attempts = 0;
  std::string message;                 // why it was pruned or failed
  std::vector<std::pair<std::int64_t, double>> intermediate;  // (epoch, objective)
};

struct StudyRecord {
  std::string dir;                     // the study directory (holds study.db and trials/)
  std::string name;
  std::string objective;               // a metric: val_accuracy, val_loss, test_accuracy, ...
  bool maximize = true;
  std::string sampler;                 // random | grid | tpe
  std::int64_t trials_requested = 0;
  std::vector<std::vector<SpaceDim>> stages;  // the space of each stage (stage 0: the spec's)
  std::vector<TrialRecord> trials;     // by number
  // The best complete trial (by objective and direction); none before one completes.
  const TrialRecord* best() const;
};

// Reads DIR/study.db (read-only, safe while workers write). Error{checkpoint} naming the file when
// it is missing or not a gradnet study.
StudyRecord load_study(const std::string& dir);

}  // namespace gradnet::search
