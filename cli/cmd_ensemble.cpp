// gradnet ensemble DIR --top K [--split test|val] [--vote] [--json]: the best K complete trials of
// the search study in DIR, evaluated as one ensemble (docs/ensembles.md): what `gradnet eval RUN...`
// prints for them, with the trials picked.
#include <algorithm>

#include <fmt/format.h>

#include "commands.h"
#include "eval_output.h"
#include "gradnet/error.h"
#include "gradnet/search/search.h"
#include "gradnet/search/study.h"
#include "options.h"

namespace gradnet::cli {
namespace {

struct EnsembleArgs {
  std::string dir;
  std::int64_t top = 5;
  std::string split = "test";
  std::int64_t threads = -1;
  bool vote = false;
  bool json = false;
};

// The complete trials, best first (ties: the lower number); at most k of them.
std::vector<const search::TrialRecord*> top_trials(const search::StudyRecord& study, std::int64_t k) {
  std::vector<const search::TrialRecord*> done;
  for (const auto& t : study.trials)
    if (t.state == search::TrialState::complete && t.value) done.push_back(&t);
  std::stable_sort(done.begin(), done.end(), [&](const auto* a, const auto* b) {
    return study.maximize ? *a->value > *b->value : *a->value < *b->value;
  });
  if (static_cast<std::int64_t>(done.size()) > k) done.resize(static_cast<std::size_t>(k));
  return done;
}

int run(const EnsembleArgs& args) {
  const search::StudyRecord study = search::load_study(args.dir);
  GRADNET_CHECK(!search::is_cv_objective(study.objective), usage,
                "{}: the study's trials are cross-validations ({}): each holds one model per fold, not one model; "
                "ensemble the folds' runs with `gradnet eval RUN...`", args.dir, study.objective);
  const auto picked = top_trials(study, args.top);
  GRADNET_CHECK(!picked.empty(), usage, "{}: no complete trial yet to build an ensemble from", args.dir);
  if (static_cast<std::int64_t>(picked.size()) < args.top)
    fmt::print(stderr, "gradnet: warning: only {} complete trial{} in {}: the ensemble has {}\n", picked.size(),
               picked.size() == 1 ? "" : "s", args.dir, picked.size());
  EnsembleEvalRequest request;
  nlohmann::json trials = nlohmann::json::array();
  for (const auto* t : picked) {
    request.models.push_back(t->run_dir);
    trials.push_back({{"number", t->number}, {"value", *t->value}, {"run_dir", t->run_dir}});
    if (!args.json)
      fmt::print(stderr, "gradnet: note: trial {} ({} {:.4f}): {}\n", t->number, study.objective, *t->value, t->run_dir);
  }
  request.split = args.split;
  request.vote = args.vote;
  request.threads = args.threads;
  request.json = args.json;
  request.extra = {{"study", study.dir}, {"objective", study.objective}, {"trials", trials}};
  return run_ensemble_eval(request);
}

}  // namespace

Command add_ensemble(CLI::App& root) {
  auto args = std::make_shared<EnsembleArgs>();
  CLI::App* app = root.add_subcommand("ensemble", "Evaluate the best K trials of a search study as one ensemble");
  app->add_option("dir", args->dir, "A study directory made by `gradnet search` (it holds study.db)")
      ->type_name("DIR")
      ->required();
  app->add_option("--top", args->top, "How many of the best complete trials (by the study's objective)")
      ->type_name("K")
      ->check(positive_integer())
      ->capture_default_str();
  app->add_option("--split", args->split, "Which split: test or val")
      ->type_name("SPLIT")
      ->check(one_of({"test", "val"}))
      ->capture_default_str();
  add_threads_option(app, args->threads);
  app->add_flag("--vote", args->vote,
                "Majority vote (ties broken by the mean probability) instead of the mean of the members' probabilities");
  app->add_flag("--json", args->json, "Print the results as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet ensemble runs/lr-search --top 5", "gradnet ensemble runs/lr-search --top 3 --vote --json"});
  return {app, [args] { return run(*args); }};
}

}  // namespace gradnet::cli
