// gradnet gradcheck CONFIG [--json] [--batch N] [--max-elements N] [--set KEY=VALUE]...
// Builds the config's net in double precision and compares every analytic gradient (each
// parameter, the loss, the input) with centred finite differences. Exit 1 above the tolerance.
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/gradcheck.h"
#include "gradnet/net.h"
#include "gradnet/threads.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct GradcheckArgs {
  std::string config;
  std::vector<std::string> sets;
  Index batch = 4;
  Index max_elements = 2000;
  double tolerance = 1e-7;
  bool json = false;
};

const char* verdict(double e) { return e < 1e-7 ? "good" : e < 1e-4 ? "suspicious" : e < 1e-2 ? "bad" : "wrong"; }
}  // namespace

Command add_gradcheck(CLI::App& root) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* app = root.add_subcommand("gradcheck", "Check every layer's gradients against finite differences (double precision)");
  app->add_option("config", args->config, "Experiment config (TOML); only [model], train.seed and train.threads are used")
      ->type_name("CONFIG")
      ->required();
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets);
  app->add_option("--batch", args->batch, "Examples in the random batch (1 to 1024)")
      ->type_name("N")
      ->check(integer_in(1, 1024))
      ->capture_default_str();
  app->add_option("--max-elements", args->max_elements,
                  "Check at most this many elements per tensor (a seeded sample); 0: all")
      ->type_name("N")
      ->check(non_negative_integer())
      ->capture_default_str();
  app->add_option("--tolerance", args->tolerance, "Largest relative error that passes")
      ->type_name("TOL")
      ->check(positive_number())
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print the report as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet gradcheck configs/mnist-mlp.toml",
                     "gradnet gradcheck configs/fashion-cnn.toml --batch 2 --max-elements 200 --json"});
  return {app, [args] {
            const Config config = load_config(args->config, args->sets);
            set_threads(config.train.threads);  // --threads / train.threads, as every command that reads a config
            // Random standardized inputs and labels: the check needs no dataset. The loss
            // decides the number of classes from the net's output.
            Net<double> net(config.model, 0, args->batch);
            const Index classes = numel(net.output_shape());
            Rng init_rng = Rng::stream(config.train.seed, "init");
            net.init(init_rng);
            Rng data_rng = Rng::stream(config.train.seed, "gradcheck");
            const Index features = numel(net.input_shape());
            std::vector<double> x(static_cast<std::size_t>(args->batch * features));
            for (double& v : x) v = data_rng.normal();
            std::vector<std::int32_t> labels(static_cast<std::size_t>(args->batch));
            for (auto& l : labels) l = static_cast<std::int32_t>(data_rng.below(static_cast<std::uint64_t>(classes)));
            GradcheckOptions options;
            options.max_elements = args->max_elements;
            options.seed = config.train.seed;
            options.tolerance = args->tolerance;
            // The loss on its own first, then the whole net: every param of every layer and the input.
            GradcheckReport report = gradcheck_loss(*make_loss<double>(config.model.loss), classes, args->batch, options);
            const GradcheckReport net_report =
                gradcheck_net(net, ConstView<double>(x.data(), args->batch, features), labels.data(), options);
            report.tensors.insert(report.tensors.end(), net_report.tensors.begin(), net_report.tensors.end());
            const bool passed = report.passed(args->tolerance);
            if (args->json) {
              nlohmann::json tensors = nlohmann::json::array();
              for (const auto& t : report.tensors)
                tensors.push_back({{"name", t.name},
                                   {"checked", t.checked},
                                   {"skipped_kinks", t.skipped_kinks},
                                   {"max_rel_error", t.max_rel_error},
                                   {"max_abs_error", t.max_abs_error}});
              print_json_line({{"passed", passed},
                               {"tolerance", args->tolerance},
                               {"max_rel_error", report.max_rel_error()},
                               {"batch", args->batch},
                               {"tensors", tensors}});
            } else {
              fmt::print("gradient check of {} in double precision, batch {}, loss {}\n", args->config, args->batch,
                         config.model.loss);
              fmt::print("{:<40} {:>9} {:>7} {:>14}  {}\n", "tensor", "checked", "kinks", "max rel error", "");
              for (const auto& t : report.tensors)
                fmt::print("{:<40} {:>9} {:>7} {:>14.3e}  {}\n", t.name, t.checked, t.skipped_kinks, t.max_rel_error,
                           verdict(t.max_rel_error));
              fmt::print("{}: max relative error {:.3e} (tolerance {:.0e}; < 1e-7 good, > 1e-2 wrong)\n",
                         passed ? "PASSED" : "FAILED", report.max_rel_error(), args->tolerance);
            }
            return passed ? 0 : 1;
          }};
}

}  // namespace gradnet::cli
