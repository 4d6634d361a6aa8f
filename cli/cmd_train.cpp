// gradnet train CONFIG [--set KEY=VALUE]... [--out DIR] [--epochs N] [--json] [--quiet]
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/train/trainer.h"
#include "progress.h"

namespace gradnet::cli {

namespace {
struct TrainArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  std::int64_t epochs = 0;
  bool json = false;
  bool quiet = false;
};

nlohmann::json nullable(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
}  // namespace

Command add_train(CLI::App& root) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* app = root.add_subcommand("train", "Train the model a TOML config describes; results go to a run directory");
  app->add_option("config", args->config, "Experiment config (TOML), e.g. configs/mnist-mlp.toml")->required();
  app->add_option("--set", args->sets, "Override a config key: --set optimizer.lr=0.05 (repeatable)")
      ->type_name("KEY=VALUE");
  app->add_option("--out", args->out, "Run directory (default: runs/<name>-<UTC timestamp>); must be new or empty");
  app->add_option("--epochs", args->epochs, "Shorthand for --set train.epochs=N")->check(CLI::PositiveNumber);
  app->add_flag("--json", args->json, "Print the summary as one JSON object, the last line on stdout");
  app->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  return {app, [args] {
            std::vector<std::string> overrides = args->sets;
            if (args->epochs > 0) overrides.push_back(fmt::format("train.epochs={}", args->epochs));
            const Config config = load_config(args->config, overrides);
            ProgressPrinter progress(args->quiet);
            TrainOptions options;
            options.out_dir = args->out;
            const Summary s = train(config, options, progress);
            if (args->json) {
              print_json_line({{"test_accuracy", s.test_accuracy},
                               {"test_loss", s.test_loss},
                               {"val_accuracy", nullable(s.val_accuracy)},
                               {"val_loss", nullable(s.val_loss)},
                               {"train_loss", s.train_loss},
                               {"train_accuracy", s.train_accuracy},
                               {"initial_loss", s.initial_loss},
                               {"epochs", s.epochs},
                               {"steps", s.steps},
                               {"epoch_seconds", s.epoch_seconds},
                               {"parameters", s.parameters},
                               {"threads", s.threads},
                               {"total_seconds", s.total_seconds},
                               {"run_dir", s.run_dir}});
            } else {
              fmt::print("test accuracy {:.4f} (loss {:.4f}) after {} epochs; run directory {}\n", s.test_accuracy,
                         s.test_loss, s.epochs, s.run_dir);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
