// gradnet eval RUNDIR|MODEL|CHECKPOINT... [--split test|val] [--vote] [--snapshots [--last K]] [--json]
// Accuracy, loss, top-k accuracy, per-class precision / recall / F1, macro and weighted
// averages, one-vs-rest ROC-AUC and average precision (PR-AUC), confusion matrix. Several models
// (or --snapshots of one run): the same for their ensemble, and each member's accuracy and loss.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/metrics.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/ensemble.h"
#include "eval_output.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct EvalArgs {
  std::vector<std::string> targets;
  std::string split = "test";
  std::int64_t threads = -1;  // -1: the run's train.threads
  bool json = false;
  bool vote = false;
  bool snapshots = false;
  std::int64_t last = 0;      // --snapshots: the newest this many (0: all)
};

// An autoencoder (model.target = "input"): its reconstruction loss; accuracy does not apply.
int print_reconstruction_eval(const EvalArgs& args, const LoadedModel& m, const EvalResult& r) {
  const std::string loss(name_of(m.config.model.loss));
  if (args.json) {
    print_json_line(nlohmann::json{{"split", args.split},       {"examples", r.examples}, {"loss", r.loss},
                                   {"loss_type", loss},         {"target", "input"},      {"accuracy", nullptr},
                                   {"model", m.model_path},     {"run_dir", m.run_dir}});
  } else {
    fmt::print("{} split of {}: {} examples, reconstruction loss {:.6f} ({}); accuracy: not applicable "
               "(model.target = \"input\")\n",
               args.split, m.run_dir, r.examples, r.loss, loss);
  }
  return 0;
}

// One model, as `gradnet eval` always did.
int eval_one(const EvalArgs& args) {
  // Forward only, in eval mode, through a net planned for the run's evaluation passes (the
  // training batch by default) and holding no gradients; the split stays as its file's
  // bytes, converted a pass at a time. The figures equal the run's own summary.json.
  LoadedModel m = load_model(args.targets.front());
  if (!m.note.empty()) fmt::print(stderr, "gradnet: note: {}\n", m.note);
  set_threads(threads_or(args.threads, m.config.train.threads));  // the run's unless --threads: its figures
  // The same data, split and seed as training; the normalization fitted then.
  Dataset data = args.split == "test" ? load_test_split(m.config.data, m.run_dir, m.config.train.seed)
                                      : load_splits(m.config.data, m.run_dir, m.config.train.seed).val;
  GRADNET_CHECK(data.size() > 0, usage, "{}: the {} split is empty (train.validation = 0?)", m.run_dir, args.split);
  m.normalizer.apply(data);  // first: pca with k components makes the examples [k]
  GRADNET_CHECK(data.features() == numel(m.net->input_shape()), shape,
                "{} gives {} features per example, the model takes {}", data.source, data.features(),
                numel(m.net->input_shape()));
  // The names the run stored (dataset.json); a run made before it: the data's own, if any.
  ClassLabels labels{m.info.class_names};
  if (labels.names.empty() && static_cast<Index>(data.class_names.size()) == m.classes) labels.names = data.class_names;
  Tensor<float> probs;  // one pass gives the loss, the confusion matrix and the probabilities
  const EvalResult r = evaluate(*m.net, data, eval_pass_rows(m.config.train, *m.net), &probs);
  if (m.net->reconstructs()) return print_reconstruction_eval(args, m, r);
  if (args.json) {
    nlohmann::json j = eval_json(args.split, r, probs.view(), data.y.data(), labels);
    j["model"] = m.model_path;
    j["run_dir"] = m.run_dir;
    print_json_line(j);
  } else {
    fmt::print("{} split of {}: {} examples, accuracy {:.4f}, loss {:.4f}\n", args.split, m.run_dir, r.examples,
               r.accuracy, r.loss);
    print_eval_details(r, probs.view(), data.y.data(), labels);
  }
  return 0;
}
}  // namespace

Command add_eval(CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* app = root.add_subcommand("eval", "Evaluate a trained run on its test (or validation) split");
  app->add_option("targets", args->targets,
                  "A run directory made by `gradnet train` (its model, or its newest checkpoint when it has none), "
                  "its model.safetensors (or ema.safetensors, swa.safetensors), or a file in its checkpoints/; "
                  "several: evaluate them as one ensemble (docs/ensembles.md)")
      ->type_name("RUNDIR|MODEL ...")
      ->expected(1, -1)
      ->required();
  app->add_option("--split", args->split, "Which split: test or val")
      ->type_name("SPLIT")
      ->check(one_of({"test", "val"}))
      ->capture_default_str();
  add_threads_option(app, args->threads);
  app->add_flag("--json", args->json, "Print the results as one JSON object, the last line on stdout");
  app->add_flag("--vote", args->vote,
                "An ensemble by majority vote (ties broken by the mean probability) instead of the mean of the "
                "members' probabilities");
  app->add_flag("--snapshots", args->snapshots,
                "A snapshot ensemble of one run: its checkpoints/step-*.safetensors after step 0 (keep them with "
                "checkpoint.keep_last = 0)");
  app->add_option("--last", args->last, "With --snapshots: only the newest K checkpoints; 0: every one")
      ->type_name("K")
      ->check(non_negative_integer())
      ->capture_default_str();
  set_examples(app, {"gradnet eval runs/try1", "gradnet eval runs/try1 --split val --json",
                     "gradnet eval runs/seed1 runs/seed2 runs/seed3", "gradnet eval runs/sgdr --snapshots --last 4",
                     "gradnet eval runs/try1/ema.safetensors"});
  return {app, [args] {
            GRADNET_CHECK(!args->snapshots || args->targets.size() == 1, usage,
                          "--snapshots takes one run directory ({} given)", args->targets.size());
            GRADNET_CHECK(args->last == 0 || args->snapshots, usage, "--last goes with --snapshots");
            if (!args->snapshots && args->targets.size() == 1) {
              GRADNET_CHECK(!args->vote, usage, "--vote combines several models; one was given");
              return eval_one(*args);
            }
            EnsembleEvalRequest request;
            request.models = args->snapshots ? snapshot_models(args->targets.front(), args->last) : args->targets;
            request.split = args->split;
            request.vote = args->vote;
            request.threads = args->threads;
            request.json = args->json;
            return run_ensemble_eval(request);
          }};
}

}  // namespace gradnet::cli
