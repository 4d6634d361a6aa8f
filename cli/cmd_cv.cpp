// gradnet cv CONFIG [--folds K] [--set KEY=VALUE]... [--out DIR] [--epochs N] [--json] [--quiet]
// k-fold cross-validation: k ordinary runs DIR/fold-<i>/ on rotating validation folds of the
// training split, the mean ± sample std of their validation metrics, DIR/cv.json.
#include <charconv>
#include <cmath>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/train/cv.h"
#include "options.h"
#include "progress.h"
#include "stop_signals.h"

namespace gradnet::cli {

namespace {

struct CvArgs {
  std::string config;
  std::string folds;  // becomes --set data.folds=K
  std::vector<std::string> sets;
  std::string out;
  std::int64_t epochs = 0;
  bool json = false;
  bool quiet = false;
};

// --folds -1 reads as the other numeric options' errors do ("--folds must be ..."), naming the key
// it sets; a K above the training examples is the config's check (it knows the count).
CLI::Validator folds_check() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        std::int64_t k = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), k);
        if (ec == std::errc() && end == s.data() + s.size() && k >= 2) return {};
        return fmt::format("must be an integer >= 2 (data.folds, the number of folds), got {}", s);
      },
      "");
}

void print_fold(const FoldResult& r) {
  fmt::print("fold {}: val accuracy {:.4f} (loss {:.4f}), test accuracy {:.4f}, {} train / {} val examples; {}\n",
             r.fold, r.val_accuracy, r.val_loss, r.test_accuracy, r.train_examples, r.val_examples, r.run_dir);
  std::fflush(stdout);
}

void print_summary(const CvSummary& cv) {
  fmt::print("{}-fold cross-validation (mean ± sample std over the folds):\n", cv.folds);
  fmt::print("  val accuracy  {:.4f} ± {:.4f}\n", cv.mean_val_accuracy, cv.std_val_accuracy);
  fmt::print("  val loss      {:.4f} ± {:.4f}\n", cv.mean_val_loss, cv.std_val_loss);
  fmt::print("  test accuracy {:.4f} ± {:.4f} (each fold's model on the test split)\n", cv.mean_test_accuracy,
             cv.std_test_accuracy);
  fmt::print("{}\n", (std::filesystem::path(cv.out_dir) / "cv.json").string());
}
}  // namespace

Command add_cv(CLI::App& root) {
  auto args = std::make_shared<CvArgs>();
  CLI::App* app = root.add_subcommand(
      "cv", "Cross-validate a config: k runs on rotating validation folds of the training split, mean ± std");
  app->add_option("config", args->config, "Experiment config (TOML), e.g. configs/iris-mlp.toml")
      ->type_name("CONFIG")
      ->required();
  app->add_option("--folds", args->folds, "Shorthand for --set data.folds=K (k >= 2; default: the config's data.folds)")
      ->type_name("K")
      ->check(folds_check());
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets);
  app->add_option("--out", args->out,
                  "Directory for fold-<i>/ and cv.json (default: runs/<name>-cv-<UTC timestamp>); must not hold a "
                  "cross-validation already")
      ->type_name("DIR");
  app->add_option("--epochs", args->epochs, "Shorthand for --set train.epochs=N (default: the config's)")
      ->type_name("N")
      ->check(positive_integer());
  app->add_flag("--json", args->json, "Print cv.json's object as one JSON line, the last line on stdout");
  app->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  set_examples(app, {"gradnet cv configs/iris-mlp.toml --folds 5",
                     "gradnet cv configs/mnist-mlp.toml --folds 5 --epochs 3 --out runs/mlp-cv --json"});
  return {app, [args] {
            std::vector<std::string> overrides = args->sets;
            if (!args->folds.empty()) overrides.push_back("data.folds=" + args->folds);
            if (args->epochs > 0) overrides.push_back(fmt::format("train.epochs={}", args->epochs));
            const Config config = load_config(args->config, overrides);
            TrainOptions options;
            options.out_dir = args->out.empty() ? default_out_dir(config.name + "-cv") : args->out;
            ProgressPrinter progress(args->quiet);
            options.signal_flag = stop_flag_for_signals();
            CvSummary cv;
            try {
              cv = cross_validate(config, options, progress, args->json ? std::function<void(const FoldResult&)>()
                                                                        : print_fold);
            } catch (const Interrupted& i) {
              fmt::print(stderr, "gradnet: interrupted by signal {} during {}; the finished folds stay; start the "
                         "cross-validation again in a new directory\n", i.signal, options.out_dir);
              return 128 + i.signal;
            }
            if (args->json)
              print_json_line(cv_json(cv));
            else
              print_summary(cv);
            return 0;
          }};
}

}  // namespace gradnet::cli
