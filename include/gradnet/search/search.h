// gradnet search: hyperparameter studies (docs/search.md). A SEARCH.toml names a base config, a
// space of --set keys, a sampler, a pruner and stages; `run_study` runs its trials as ordinary
// run directories (DIR/trials/NNNN/) in one or more worker processes that share DIR/study.db.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/search/study.h"

namespace gradnet::search {

struct PrunerSpec {
  std::string type = "none";        // none | median | asha
  std::int64_t warmup_epochs = 1;   // never prune before this many epochs
  std::int64_t min_trials = 4;      // reports at an epoch (others for median, all for asha) before judging
  std::int64_t reduction = 3;       // asha's eta: rungs at warmup x eta^k, the top 1/eta go on
};

struct StageSpec {
  std::int64_t trials = 0;          // complete + pruned trials the stage needs (grid: at most its combinations)
  std::int64_t epochs = 0;          // train.epochs of its trials (0: the spec's, else the base config's)
  double narrow = 0;                // > 0: this stage's ranges are narrowed around the best so far
};

struct SearchSpec {
  std::string path;                 // SEARCH.toml, absolute
  std::string text;                 // its contents
  std::string base;                 // the base config, absolute
  std::string name;
  std::vector<std::string> set;     // overrides before the sampled ones
  std::string objective = "val_accuracy";
  bool maximize = true;
  std::string sampler = "random";
  std::int64_t trials = 20;
  double time_budget = 0;           // seconds; 0: none
  std::uint64_t seed = 1;
  std::int64_t max_attempts = 3;
  double heartbeat_timeout = 30;
  std::int64_t epochs = 0;
  std::vector<SpaceDim> space;
  PrunerSpec pruner;
  std::vector<StageSpec> stages;    // at least one (without [[search.stage]]: one of `trials`)
};

// cv_accuracy / cv_loss: each trial is a cross-validation (train/cv.h: data.folds runs), its value
// the mean over the folds of the final validation metric.
inline bool is_cv_objective(const std::string& objective) { return objective.rfind("cv_", 0) == 0; }

// Reads and validates SEARCH.toml, including every space key against the base config (each
// dim's low, high and first choice applied as a --set). Error{config} naming the file and key.
SearchSpec load_search_spec(const std::string& path);
// The same from stored text (a study's spec_text); base_override replaces the spec's base path.
SearchSpec parse_search_spec(const std::string& text, const std::string& path, const std::string& base_override = "");

struct WorkerOptions {
  bool quiet = false;
  int workers_on_machine = 1;        // trials get cores / this threads unless the base config sets them
  std::atomic<int>* signal_flag = nullptr;  // SIGINT/SIGTERM: checkpoint, re-queue, stop
};

// Creates DIR/study.db for the spec (Error when DIR holds a study already).
void create_study(const SearchSpec& spec, const std::string& dir);
// Sets the study's time budget deadline from now (search and --resume call it before working).
void start_budget(const std::string& dir);
// Runs trials of the study in DIR until none are left: 0, or 128 + signal when interrupted.
int run_worker(const std::string& dir, const WorkerOptions& options);
// `gradnet search --workers N`: spawns N - 1 `gradnet worker DIR` processes of exe, works as the
// N-th, waits for them; notes a worker that died. 0, or 128 + signal when interrupted.
int run_study(const std::string& dir, const std::string& exe, int workers, const WorkerOptions& options);

// `mpirun -np N gradnet search` (docs/search.md, "Across nodes"): rank 0 is the master, the only
// process that opens DIR/study.db; ranks 1..N-1 are workers that get trials from it by MPI messages
// and train them into their run directories (a file system every node shares).
struct MpiStudy {
  std::string dir;            // absolute
  std::string spec_text, spec_path, base_config;  // the study's spec, as its store holds it
};
MpiStudy mpi_study(const std::string& dir);  // read from the store (rank 0)
// Rank 0: serves the workers' requests until each has said goodbye (or is gone: a rank whose
// process died, or that sent nothing for heartbeat_timeout). 0, or 128 + signal when interrupted.
int run_mpi_master(const std::string& dir, const WorkerOptions& options);
// Ranks 1..N-1: trials from the master until it says there are none. 0, or 128 + signal.
int run_mpi_worker(const MpiStudy& study, const WorkerOptions& options);

// The results: {"best": {...} | null, "trials": [...], "objective", "direction"} and a table.
std::string results_json(const StudyRecord& study);
std::string results_table(const StudyRecord& study);
// Notes on how the study ended (failed trials, a stage that gave up, trials still waiting).
std::vector<std::string> study_notes(const StudyRecord& study);

}  // namespace gradnet::search
