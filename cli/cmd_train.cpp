// gradnet train CONFIG [--set KEY=VALUE]... [--out DIR] [--epochs N] [--resume RUNDIR] [--json] [--quiet]
// SIGINT/SIGTERM: finish the step, checkpoint, exit 130/143; SIGHUP: checkpoint and go on.
#include <csignal>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "gradnet/plural.h"
#include "gradnet/report.h"
#include "gradnet/train/averaging.h"
#include "gradnet/train/trainer.h"
#include "options.h"
#include "progress.h"
#include "stop_signals.h"

namespace gradnet::cli {

namespace {

struct TrainArgs {
  std::string resume;
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  std::string init_from;
  std::int64_t epochs = 0;
  bool json = false;
  bool quiet = false;
  bool report = false;
  bool profile = false;
  bool reshard = false;
};

nlohmann::json nullable(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

// A resumed run trains on with the config it was started with: a CONFIG beside --resume is
// refused rather than silently ignored, unless it is that run's own config.toml.
void check_no_other_config(const std::string& given, const std::string& run_config, const std::string& run) {
  std::error_code ec;
  if (given.empty() || std::filesystem::equivalent(given, run_config, ec)) return;
  fail(ErrorKind::usage, "--resume {} continues the run with its own config ({}); CONFIG {} does not apply: drop it, "
       "or start a new run from it (gradnet train {} --out DIR)", run, run_config, given, given);
}
// mpirun -np N: how each global batch is split, and where the learning-rate rules for large
// batches stop holding (linear scaling up to ~8k examples, Goyal et al. 2017; sqrt beyond; past
// ~32k none is known to hold for nets like these: docs/scaling.md).
void note_data_parallel(const Config& config, int ranks, bool quiet) {
  std::int64_t batch = config.train.batch_size;
  for (std::int64_t b : config.train.batch_sizes) batch = std::max(batch, b);
  if (!quiet)
    fmt::print(stderr, "gradnet: note: data parallel over {} ranks: each takes {} rows of every global batch of {}\n",
               ranks, batch % ranks ? fmt::format("{}-{}", batch / ranks, batch / ranks + 1) : fmt::format("{}", batch / ranks),
               batch);
  if (batch > 32768)
    fmt::print(stderr, "gradnet: warning: a global batch of {} is past ~32k examples, where no learning-rate rule "
               "is known to keep accuracy for nets like this; expect a worse result than smaller batches\n", batch);
  else if (batch > 8192 && config.optimizer.lr_scaling == LrScaling::linear)
    fmt::print(stderr, "gradnet: warning: a global batch of {} is past ~8k examples, where linear lr scaling stops "
               "holding; optimizer.lr_scaling = \"sqrt\" (or a warm-up) is safer\n", batch);
}

}  // namespace

Command add_train(CLI::App& root) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* app = root.add_subcommand("train", "Train the model a TOML config describes; results go to a run directory");
  app->add_option("config", args->config,
                  "Experiment config (TOML), e.g. configs/mnist-mlp.toml; with --resume, the run's own config.toml is used")
      ->type_name("CONFIG");
  CLI::Option* resume =
      app->add_option("--resume", args->resume,
                      "Continue this run directory from its newest checkpoint (same counters, same data order: the "
                      "result is bit-identical to an uninterrupted run); --epochs may extend it (default: a new run)")
          ->type_name("RUNDIR");
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets)->excludes(resume);  // a resumed run keeps its threads: same result
  app->add_option("--out", args->out, "Run directory (default: runs/<name>-<UTC timestamp>); must be new or empty")
      ->type_name("DIR");
  app->add_option("--init-from", args->init_from,
                  "Start from trained weights: shorthand for --set train.init_from=PATH (a run directory, its "
                  "model.safetensors or a checkpoint; docs/transfer.md); default: none, the config's train.init_from")
      ->type_name("RUNDIR|FILE")
      ->excludes(resume);
  app->add_option("--epochs", args->epochs, "Shorthand for --set train.epochs=N (default: the config's)")
      ->type_name("N")
      ->check(positive_integer());
  app->add_flag("--reshard", args->reshard,
                "With --resume under mpirun: continue a checkpoint written by another number of ranks (the "
                "global batch stays; dropout masks and local batch-norm statistics then differ from an "
                "uninterrupted run); default: refuse another number of ranks")
      ->needs(resume);
  app->add_flag("--json", args->json, "Print the summary as one JSON object, the last line on stdout");
  app->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  app->add_flag("--report", args->report, "Write RUNDIR/report.html at the end (as `gradnet report RUNDIR` does)");
  app->add_flag("--profile", args->profile,
                "Time every part of the run (each layer's forward and backward, loss, optimizer, data, callbacks, "
                "evaluation): a table on stderr, RUNDIR/profile.json, \"profile\" in --json");
  set_examples(app, {"gradnet train configs/iris-mlp.toml",
                     "gradnet train configs/mnist-mlp.toml --set optimizer.lr=0.05 --epochs 3 --out runs/try1 --json",
                     "gradnet train --resume runs/try1 --epochs 6",
                     "gradnet train configs/mnist-mlp.toml --init-from runs/try1 --set train.freeze=layers.0-2"});
  return {app, [args] {
            std::vector<std::string> overrides = args->sets;
            if (args->epochs > 0) overrides.push_back(fmt::format("train.epochs={}", args->epochs));
            if (!args->init_from.empty()) overrides.push_back("train.init_from=" + args->init_from);
            TrainOptions options;
            options.out_dir = args->out;
            options.profile = args->profile;
            options.reshard = args->reshard;
            std::string config_path = args->config;
            if (!args->resume.empty()) {
              GRADNET_CHECK(args->out.empty(), usage, "--resume continues {} in place; --out does not apply", args->resume);
              GRADNET_CHECK(args->sets.empty(), usage,
                            "--resume continues a run with its own config ({}/config.toml); --set does not apply "
                            "(only --epochs, to train longer)", args->resume);
              config_path = (std::filesystem::path(args->resume) / "config.toml").string();
              GRADNET_CHECK(std::filesystem::exists(config_path), usage,
                            "--resume {}: no config.toml there; give a run directory made by `gradnet train`", args->resume);
              check_no_other_config(args->config, config_path, args->resume);
              options.resume_dir = args->resume;
            } else {
              GRADNET_CHECK(!config_path.empty(), usage, "train needs a CONFIG (or --resume RUNDIR)");
            }
            const Config config = load_config(config_path, overrides);
            // One rank of `mpirun -np N gradnet train`: rank 0 reports and writes the run directory.
            options.comm = &world();
            const bool root = options.comm->is_root();
            if (root && options.comm->size() > 1) note_data_parallel(config, options.comm->size(), args->quiet);
            ProgressPrinter progress(args->quiet);
            options.signal_flag = stop_flag_for_signals();
            Summary s;
            try {
              TrainCallbacks silent;  // ranks > 0: rank 0 alone reports, warnings included
              s = train(config, options, root ? static_cast<TrainCallbacks&>(progress) : silent);
            } catch (const Interrupted& i) {
              const int n = options.comm->size();
              if (root) fmt::print(stderr, "gradnet: interrupted by signal {}; checkpoint {}; continue with: {}gradnet train --resume {}\n",
                         i.signal, i.checkpoint, n > 1 ? fmt::format("mpirun -np {} ", n) : std::string(),
                         std::filesystem::path(i.checkpoint).parent_path().parent_path().string());
              return 128 + i.signal;
            }
            if (!root) return 0;
            if (s.profile) fmt::print(stderr, "{}", profile_table(*s.profile));
            if (args->report) {
              const ReportResult r = write_report(s.run_dir);
              if (!args->quiet) fmt::print(stderr, "gradnet: report {}\n", r.path);
            }
            if (args->json) {
              nlohmann::json j = {{"test_accuracy", nullable(s.test_accuracy)},
                               {"test_loss", s.test_loss},
                               {"val_accuracy", nullable(s.val_accuracy)},
                               {"val_loss", nullable(s.val_loss)},
                               {"train_loss", s.train_loss},
                               {"train_accuracy", nullable(s.train_accuracy)},
                               {"initial_loss", s.initial_loss},
                               {"epochs", s.epochs},
                               {"steps", s.steps},
                               {"epoch_seconds", s.epoch_seconds},
                               {"parameters", s.parameters},
                               {"threads", s.threads},
                               {"total_seconds", s.total_seconds},
                               {"stopped_early", s.stopped_early.empty() ? nlohmann::json(nullptr)
                                                                         : nlohmann::json(s.stopped_early)},
                               {"run_dir", s.run_dir}};
              add_averaged_json(j, s);
              if (s.init_from) j["init_from"] = to_json(*s.init_from);
              if (s.profile) j["profile"] = nlohmann::json::parse(profile_json(*s.profile));  // only with --profile
              print_json_line(j);
            } else if (config.model.target == TargetKind::input) {  // an autoencoder: no accuracy
              fmt::print("test reconstruction loss {:.6f} ({}) after {}; run directory {}\n", s.test_loss,
                         name_of(config.model.loss), count_of(s.epochs, "epoch"), s.run_dir);
            } else {
              fmt::print("test accuracy {:.4f} (loss {:.4f}) after {}; run directory {}\n", s.test_accuracy,
                         s.test_loss, count_of(s.epochs, "epoch"), s.run_dir);
              for (const AveragedResult& a : s.averaged)  // beside the raw weights' figures
                fmt::print("{} weights: test accuracy {:.4f} (loss {:.4f}), {} ({} {}); {}\n",
                           a.kind == "ema" ? "EMA" : "SWA", a.test_accuracy, a.test_loss,
                           std::isnan(a.val_accuracy) ? "no validation split"
                                                      : fmt::format("validation accuracy {:.4f}", a.val_accuracy),
                           a.averaged, a.kind == "ema" ? "updates" : "epoch-end models averaged", a.path);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
