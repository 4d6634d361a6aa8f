// gradnet search SEARCH.toml [--workers N] [--out DIR] [--json] [-q] | --resume DIR | DIR --json
// gradnet worker DIR: join a study (claim its trials until none are left).
// mpirun -np N gradnet search ...: rank 0 serves the study, ranks 1..N-1 train (docs/search.md).
// SIGINT/SIGTERM: the running trials checkpoint and go back to waiting; exit 128 + signal.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "gradnet/search/search.h"
#include "options.h"
#include "stop_signals.h"

namespace gradnet::cli {
namespace fs = std::filesystem;

namespace {

struct SearchArgs {
  std::string target;
  std::string resume;
  std::string out;
  std::int64_t workers = 1;
  bool json = false;
  bool quiet = false;
};

bool is_study_dir(const std::string& path) { return fs::is_regular_file(fs::path(path) / "study.db"); }

int report(const std::string& dir, bool json, int rc) {
  const search::StudyRecord study = search::load_study(dir);
  for (const std::string& note : search::study_notes(study)) fmt::print(stderr, "gradnet: note: {}\n", note);
  if (rc > 128)
    fmt::print(stderr, "gradnet: interrupted by signal {}; continue with: gradnet search --resume {}\n", rc - 128, dir);
  if (json) print_json_line(nlohmann::json::parse(search::results_json(study)));
  else fmt::print("{}", search::results_table(study));
  const bool all_failed = !study.trials.empty() && std::all_of(study.trials.begin(), study.trials.end(), [](auto& t) {
    return t.state == search::TrialState::failed;
  });
  if (rc == 0 && all_failed) {
    fmt::print(stderr, "gradnet: error: every trial failed (the last: {})\n", study.trials.back().message);
    return 1;
  }
  return rc;
}

search::WorkerOptions worker_options(bool quiet, std::int64_t workers) {
  search::WorkerOptions o;
  o.quiet = quiet;
  o.workers_on_machine = static_cast<int>(workers);
  o.signal_flag = stop_flag_for_signals();
  return o;
}

// The study directory a search works in: --resume's, or a new study made from the spec.
std::string open_or_create_study(const SearchArgs& a) {
  if (!a.resume.empty()) {
    GRADNET_CHECK(a.target.empty(), usage, "--resume {} continues that study with its own spec; drop {}", a.resume,
                  a.target);
    GRADNET_CHECK(a.out.empty(), usage, "--resume {} continues the study in place; --out does not apply", a.resume);
    GRADNET_CHECK(is_study_dir(a.resume), usage, "--resume {}: no study.db there; give a directory made by "
                  "`gradnet search`", a.resume);
    return a.resume;
  }
  GRADNET_CHECK(!a.target.empty(), usage, "search needs a SEARCH.toml (or --resume DIR, or a study DIR)");
  const search::SearchSpec spec = search::load_search_spec(a.target);
  const std::string dir = a.out.empty() ? default_out_dir(spec.name + "-search") : a.out;
  search::create_study(spec, dir);
  if (!a.quiet) fmt::print(stderr, "gradnet: note: study {} in {}\n", spec.name, dir);
  return dir;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

// Workers of this job on this node: the launcher's local ranks, less the master's when it is here.
int workers_on_this_node(const std::string& master_host) {
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const int ranks = local && std::atoi(local) > 0 ? std::atoi(local) : world().size();
  return std::max(1, ranks - (host_name() == master_host ? 1 : 0));
}

// mpirun -np N: rank 0 opens or creates the study and serves it; ranks 1..N-1 train its trials.
// Rank 0 broadcasts the study (or the error that stopped it) before any trial starts.
int run_search_across_ranks(const SearchArgs& a) {
  Communicator& comm = world();
  skip_final_rendezvous();  // the master waits for every worker's goodbye instead
  GRADNET_CHECK(a.workers == 1, usage, "--workers {}: under mpirun every rank but rank 0 is a worker "
                "(-np {} gives {}); drop --workers", a.workers, comm.size(), comm.size() - 1);
  if (comm.rank() != 0) {
    std::string setup;
    comm.broadcast(setup, 0);
    const auto j = nlohmann::json::parse(setup);
    if (j.contains("error")) return j["code"].get<int>();  // rank 0 reports it
    const search::MpiStudy study{j["dir"], j["spec_text"], j["spec_path"], j["base_config"]};
    return search::run_mpi_worker(study, worker_options(a.quiet, workers_on_this_node(j["master_host"])));
  }
  std::string dir;
  try {
    dir = open_or_create_study(a);
    search::start_budget(dir);
  } catch (const Error& e) {
    std::string setup = nlohmann::json{{"error", e.what()}, {"code", e.exit_code()}}.dump();
    comm.broadcast(setup, 0);
    throw;
  } catch (...) {
    std::string setup = nlohmann::json{{"error", "internal error"}, {"code", 1}}.dump();
    comm.broadcast(setup, 0);
    throw;
  }
  const search::MpiStudy study = search::mpi_study(dir);
  std::string setup = nlohmann::json{{"dir", study.dir}, {"spec_text", study.spec_text},
                                     {"spec_path", study.spec_path}, {"base_config", study.base_config},
                                     {"master_host", host_name()}}.dump();
  comm.broadcast(setup, 0);
  if (!a.quiet)
    fmt::print(stderr, "gradnet: note: rank 0 serves the study to {} worker rank{}\n", comm.size() - 1,
               comm.size() == 2 ? "" : "s");
  const int rc = search::run_mpi_master(dir, worker_options(a.quiet, 1));
  return report(dir, a.json, rc);
}

int run_search(const SearchArgs& a) {
  if (a.resume.empty() && !a.target.empty() && fs::is_directory(a.target)) {
    GRADNET_CHECK(is_study_dir(a.target), usage, "{}: a directory without study.db; give a SEARCH.toml or a "
                  "study directory made by `gradnet search`", a.target);
    if (world().rank() != 0) return 0;  // under mpirun: rank 0 prints
    return report(a.target, a.json, 0);  // the results of a study as they stand: no training
  }
  if (world().size() > 1) return run_search_across_ranks(a);
  const std::string dir = open_or_create_study(a);
  search::start_budget(dir);
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  const int rc = search::run_study(dir, exe, static_cast<int>(a.workers), worker_options(a.quiet, a.workers));
  return report(dir, a.json, rc);
}

}  // namespace

Command add_search(CLI::App& root) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* app = root.add_subcommand("search", "Hyperparameter search: trials of a base config, in parallel workers");
  app->add_option("spec", args->target,
                  "SEARCH.toml (docs/search.md), or a study directory to print its results without training")
      ->type_name("SEARCH.toml|DIR");
  app->add_option("--resume", args->resume, "Continue the study in DIR: its waiting and interrupted trials, then more (default: a new study)")
      ->type_name("DIR");
  app->add_option("--workers", args->workers, "Worker processes, this one included (default: 1)")
      ->type_name("N")
      ->check(integer_in(1, 256));
  app->add_option("--out", args->out, "Study directory (default: runs/<name>-search-<UTC timestamp>)")
      ->type_name("DIR");
  app->add_flag("--json", args->json, "Print the results as one JSON object, the last line on stdout");
  app->add_flag("-q,--quiet", args->quiet, "No per-trial notes on stderr");
  set_examples(app, {"gradnet search configs/search/mnist-lr-random.toml --workers 2",
                     "gradnet search --resume runs/mnist-lr-random-search-20250101T000000Z",
                     "gradnet search runs/mnist-lr-random-search-20250101T000000Z --json"});
  return {app, [args] { return run_search(*args); }};
}

Command add_worker(CLI::App& root) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* app = root.add_subcommand("worker", "Join a search study: run its trials until none are left");
  app->add_option("dir", args->target, "The study directory (holds study.db)")->type_name("DIR")->required();
  app->add_option("--workers", args->workers,
                  "Workers sharing this machine: each trial gets cores / N threads unless its config sets "
                  "train.threads (default: 1)")
      ->type_name("N")
      ->check(integer_in(1, 256));
  app->add_flag("-q,--quiet", args->quiet, "No per-trial notes on stderr");
  set_examples(app, {"gradnet worker runs/mnist-lr-random-search-20250101T000000Z"});
  return {app, [args] {
            GRADNET_CHECK(is_study_dir(args->target), usage, "{}: no study.db there; give a directory made by "
                          "`gradnet search`", args->target);
            return search::run_worker(args->target, worker_options(args->quiet, args->workers));
          }};
}

}  // namespace gradnet::cli
