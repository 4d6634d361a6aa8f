// gradnet lr-find CONFIG [--start 1e-7] [--end 10] [--steps 100] [--mode exp|linear] [--stop-factor 4]
//                        [--out DIR] [--set KEY=VALUE]... [--json]
// The learning-rate range test (gradnet/train/lr_find.h): writes lr_find.png and lr_find.json into
// DIR (default runs/<name>-lrfind-<UTC timestamp>/) and prints the suggested lr and its rule.
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/train/lr_find.h"
#include "options.h"

namespace fs = std::filesystem;

namespace gradnet::cli {

namespace {
struct LrFindArgs {
  std::string config;
  std::vector<std::string> sets;
  LrFindOptions options;
  std::string out;
  bool json = false;
};

// --out may be an existing directory (a run's, say), but an earlier lr-find's files are never overwritten.
void check_out(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  GRADNET_CHECK(fs::is_directory(dir, ec), usage, "--out {}: exists and is not a directory", dir);
  for (const char* f : {"lr_find.png", "lr_find.json"})
    GRADNET_CHECK(!fs::exists(fs::path(dir) / f, ec), usage,
                  "--out {}: already holds {} from an earlier lr-find; refusing to overwrite it (choose another "
                  "directory)",
                  dir, f);
}
}  // namespace

Command add_lr_find(CLI::App& root) {
  auto args = std::make_shared<LrFindArgs>();
  CLI::App* app =
      root.add_subcommand("lr-find", "Learning-rate range test: sweep the lr, plot the loss, suggest an lr");
  app->add_option("config", args->config, "Experiment config (TOML)")->type_name("CONFIG")->required();
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets);
  app->add_option("--start", args->options.start, "First learning rate")
      ->type_name("LR")
      ->check(positive_number())
      ->capture_default_str();
  app->add_option("--end", args->options.end, "Last learning rate (above --start)")
      ->type_name("LR")
      ->check(positive_number())
      ->capture_default_str();
  app->add_option("--steps", args->options.steps, "Updates in the sweep (one mini-batch each; 2 to 1000000)")
      ->type_name("N")
      ->check(integer_in(2, 1000000))
      ->capture_default_str();
  app->add_option("--mode", args->options.mode, "How the lr grows: exp (geometric) or linear")
      ->type_name("MODE")
      ->check(one_of({"exp", "linear"}))
      ->capture_default_str();
  app->add_option("--stop-factor", args->options.stop_factor,
                  "Stop once the smoothed loss exceeds this many times its minimum (> 1; fastai: 4)")
      ->type_name("X")
      ->check(number_above(1.0))
      ->capture_default_str();
  app->add_option("--out", args->out, "Directory for lr_find.png and lr_find.json (default: runs/<name>-lrfind-<UTC>)")
      ->type_name("DIR");
  app->add_flag("--json", args->json, "Print the result as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet lr-find configs/mnist-mlp.toml",
                     "gradnet lr-find configs/iris-mlp.toml --start 1e-5 --end 1 --steps 60 --out runs/iris-lr --json"});
  return {app, [args] {
            const Config config = load_config(args->config, args->sets);
            lr_sweep(args->options.start, args->options.end, args->options.steps, args->options.mode);  // validate
            if (!args->out.empty()) check_out(args->out);
            const LrFindResult r = lr_find(config, args->options);
            const std::string dir = args->out.empty() ? default_out_dir(config.name + "-lrfind") : args->out;
            std::error_code ec;
            fs::create_directories(dir, ec);
            GRADNET_CHECK(!ec, runtime, "{}: cannot create the directory: {}", dir, ec.message());
            const std::string png = (fs::path(dir) / "lr_find.png").string();
            const std::string json = (fs::path(dir) / "lr_find.json").string();
            const std::string text = lr_find_json(r);
            write_file_atomic(json, text);
            plot_lr_find(png, r);
            if (args->json) {
              nlohmann::json j = nlohmann::json::parse(text);
              j["out_dir"] = dir;
              j["png"] = png;
              j["json"] = json;
              print_json_line(j);
              return 0;
            }
            fmt::print("lr range test of {}: {}, batch {}, {} sweep from {:g} to {:g} over {} steps\n", r.name,
                       r.optimizer, r.batch_size, r.options.mode, r.options.start, r.options.end, r.options.steps);
            if (r.stop_reason == "completed")
              fmt::print("{}\n", r.stop_detail);  // "all 100 steps ran, up to lr ..."
            else
              fmt::print("stopped early ({}): {}\n", r.stop_reason, r.stop_detail);
            if (r.suggestions.empty()) {
              fmt::print("no suggestion: too few points before the loss exploded; lower --start or raise --steps\n");
            } else {
              const LrSuggestion& s = r.suggestions[0];
              fmt::print("suggested lr: {:.3g} (rule: {}: {})\n", s.lr, s.rule, s.meaning);
              for (std::size_t k = 1; k < r.suggestions.size(); ++k)
                fmt::print("  also {:<8} {:.3g} ({})\n", r.suggestions[k].rule + ":", r.suggestions[k].lr,
                           r.suggestions[k].meaning);
            }
            fmt::print("wrote {} and {}\n", png, json);
            return 0;
          }};
}

}  // namespace gradnet::cli
