// gradnet pretrain CONFIG [--set KEY=VALUE]... [--out DIR] [--json] [--quiet]: greedy layer-wise
// autoencoder pretraining of the config's hidden layers (train/pretrain.h, docs/autoencoders.md).
#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/train/pretrain.h"
#include "options.h"
#include "progress.h"
#include "stop_signals.h"

namespace gradnet::cli {

namespace {

struct PretrainArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  bool json = false;
  bool quiet = false;
};

}  // namespace

Command add_pretrain(CLI::App& root) {
  auto args = std::make_shared<PretrainArgs>();
  CLI::App* app = root.add_subcommand(
      "pretrain", "Pretrain a classifier's hidden layers as stacked autoencoders, one layer at a time; fine-tune with "
                  "train.init_from");
  app->add_option("config", args->config, "The classifier's config (TOML); its [pretrain] section sets the stages")
      ->required()
      ->type_name("CONFIG");
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets);
  app->add_option("--out", args->out,
                  "Output directory (default: runs/<name>-pretrain-<UTC timestamp>); must be new or empty")
      ->type_name("DIR");
  app->add_flag("--json", args->json, "Print the result as one JSON object, the last line on stdout");
  app->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  set_examples(app, {"gradnet pretrain configs/mnist-1k-labels.toml --out runs/pre",
                     "gradnet train configs/mnist-1k-labels.toml --set train.init_from=runs/pre"});
  return {app, [args] {
            const Config config = load_config(args->config, args->sets);
            TrainOptions options;
            options.out_dir = args->out.empty() ? default_out_dir(config.name + "-pretrain") : args->out;
            options.signal_flag = stop_flag_for_signals();
            ProgressPrinter progress(args->quiet);
            PretrainResult r;
            try {
              r = pretrain(config, options, progress);
            } catch (const Interrupted& i) {
              fmt::print(stderr, "gradnet: interrupted by signal {} (checkpoint {}); pretraining stopped\n", i.signal,
                         i.checkpoint);
              return 128 + i.signal;
            }
            if (args->json) {
              nlohmann::json stages = nlohmann::json::array();
              for (const PretrainStage& s : r.stages)
                stages.push_back({{"run_dir", s.run_dir},
                                  {"layers", fmt::format("layers.{}-{}", s.first_layer, s.end_layer - 1)},
                                  {"test_loss", s.summary.test_loss},
                                  {"initial_loss", s.summary.initial_loss}});
              print_json_line({{"run_dir", r.run_dir}, {"stages", stages}, {"tensors", r.tensors}});
            } else {
              for (std::size_t k = 0; k < r.stages.size(); ++k) {
                const PretrainStage& s = r.stages[k];
                fmt::print("stage {}: layers.{}-{}, reconstruction test loss {:.6f} (initial {:.6f}); {}\n", k + 1,
                           s.first_layer, s.end_layer - 1, s.summary.test_loss, s.summary.initial_loss, s.run_dir);
              }
              fmt::print("pretrained {} tensors ({}); fine-tune with --set train.init_from={}\n", r.tensors.size(),
                         fmt::join(r.tensors, ", "), r.run_dir);
            }
            return 0;
          }};
}

}  // namespace gradnet::cli
