// gradnet schedule-plot CONFIG [--out DIR|FILE.png] [--steps-per-epoch N] [--log-y] [--json] [--set KEY=VALUE]...
// Draws the lr of every update of the config's run (train.epochs × steps per epoch), as the trainer
// will use it: the schedule's lr times optimizer.lr_scaling's factor for that epoch's batch size.
// Steps per epoch come from the dataset's size for mnist / fashion-mnist (60000 training images,
// less data.validation, or data.train_limit), else from --steps-per-epoch (default 100).
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/plot.h"
#include "gradnet/schedule.h"
#include "gradnet/train/batch_schedule.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct SchedulePlotArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;  // "": runs/<name>-schedule-<UTC>/lr_schedule.png
  Index steps_per_epoch = 0;
  bool log_y = false;
  bool json = false;
};

// Training examples per epoch when cheap to know without reading the data; 0 otherwise.
Index known_train_size(const Config& c) {
  if (c.data.dataset != DatasetKind::mnist && c.data.dataset != DatasetKind::fashion_mnist) return 0;
  double n = 60000;
  if (c.data.train_limit > 0) n = std::min<double>(n, static_cast<double>(c.data.train_limit));
  const double v = c.data.validation;
  if (c.data.folds >= 2)  // fold i's training part (folds.h): n minus its validation fold
    n -= std::floor((c.data.fold + 1) * n / c.data.folds) - std::floor(c.data.fold * n / c.data.folds);
  else
    n -= v < 1 ? std::floor(n * v) : v;
  return n >= 1 ? static_cast<Index>(n) : 0;
}
}  // namespace

Command add_schedule_plot(CLI::App& root) {
  auto args = std::make_shared<SchedulePlotArgs>();
  CLI::App* app = root.add_subcommand("schedule-plot", "Plot a config's learning rate over its run (PNG, JSON)");
  app->add_option("config", args->config, "Experiment config (TOML)")->type_name("CONFIG")->required();
  add_set_option(app, args->sets);
  app->add_option("--out", args->out,
                  "Directory for lr_schedule.png, or the PNG itself when it ends in .png "
                  "(default: runs/<name>-schedule-<UTC>)")
      ->type_name("DIR|FILE.png");
  app->add_option("--steps-per-epoch", args->steps_per_epoch,
                  "Updates per epoch, 1 to 10000000 (default: from the dataset's size where known, else 100)")
      ->type_name("N")
      ->check(integer_in(1, 10000000));
  app->add_flag("--log-y", args->log_y, "Logarithmic lr axis");
  app->add_flag("--json", args->json, "Print the sequence as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet schedule-plot configs/mnist-mlp.toml",
                     "gradnet schedule-plot configs/mnist-mlp.toml --set schedule.policy=one_cycle "
                     "--set schedule.max_lr=0.3 --log-y --out lr.png"});
  return {app, [args] {
            const Config config = load_config(args->config, args->sets);
            const TrainConfig& tc = config.train;
            const Index n_train = args->steps_per_epoch > 0 ? 0 : known_train_size(config);
            std::string source;
            auto spe_at = [&](Index epoch) {
              if (args->steps_per_epoch > 0) return args->steps_per_epoch;
              if (n_train > 0) return (n_train + batch_size_at(tc, epoch) - 1) / batch_size_at(tc, epoch);
              return Index{100};
            };
            if (args->steps_per_epoch > 0) source = "--steps-per-epoch";
            else if (n_train > 0) source = fmt::format("{} training examples / batch size", n_train);
            else source = "default; set --steps-per-epoch";
            std::vector<Index> run_steps;  // each epoch's, as the trainer counts them (train.batch_sizes)
            for (Index e = 0; e < tc.epochs; ++e) run_steps.push_back(spe_at(e));
            auto schedule = make_schedule(config.schedule, config.optimizer.lr, run_steps);
            std::vector<double> x, lr, steps;
            Index step = 0;
            for (Index e = 0; e < tc.epochs; ++e) {
              const Index spe = spe_at(e);
              const double scale = lr_scale(config, batch_size_at(tc, e));
              for (Index s = 0; s < spe; ++s, ++step) {
                x.push_back(static_cast<double>(e) + static_cast<double>(s) / static_cast<double>(spe));
                steps.push_back(static_cast<double>(step));
                lr.push_back(schedule->lr(step, e) * scale);
              }
            }
            plot::Axes axes;
            axes.title = fmt::format("{}: schedule.policy = \"{}\" (unit: {})", config.name,
                                     name_of(config.schedule.policy), name_of(config.schedule.unit));
            axes.x_label = "epoch";
            axes.y_label = args->log_y ? "learning rate (log scale)" : "learning rate";
            axes.log_y = args->log_y;
            axes.legend = false;
            axes.note = fmt::format("steps per epoch: {} ({}); {} steps{}", spe_at(0), source, step,
                                    config.schedule.policy == Policy::plateau ? "; plateau drawn without reductions" : "");
            plot::Series series{"lr", x, lr, plot::palette(0), 2.0};
            const std::string png = png_out_path(args->out, config.name + "-schedule", "lr_schedule.png");
            plot::line_plot(png, axes, {series});
            fmt::print(stderr, "gradnet: {} steps, lr {:.4g} .. {:.4g}\n", step, *std::min_element(lr.begin(), lr.end()),
                       *std::max_element(lr.begin(), lr.end()));
            if (args->json) {
              print_json_line({{"png", png}, {"policy", name_of(config.schedule.policy)},
                               {"unit", name_of(config.schedule.unit)}, {"epochs", tc.epochs},
                               {"steps_per_epoch", spe_at(0)}, {"steps", step}, {"lr", lr}});
            } else {
              fmt::print("{}\n", png);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
