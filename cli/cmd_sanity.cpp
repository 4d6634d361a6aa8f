// gradnet sanity CONFIG [--set KEY=VALUE]... [--json] [--overfit-steps N] [--l2-lambda L] [--gradcheck-elements N]
// The CS231n checks before a long run (gradnet/train/sanity.h): initial loss ≈ ln(classes), L2
// raises the loss, the net overfits 20 examples, gradients match finite differences. Each is
// printed as PASS/FAIL/N/A with its numbers and what it means. Exit 1 when any check fails.
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/train/sanity.h"
#include "options.h"

namespace gradnet::cli {

namespace {
struct SanityArgs {
  std::string config;
  std::vector<std::string> sets;
  SanityOptions options;
  bool json = false;
};

nlohmann::json to_json(const SanityReport& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const SanityCheck& c : r.checks) {
    nlohmann::json numbers = nlohmann::json::object();
    for (const auto& [k, v] : c.numbers) numbers[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    const char* status = c.status == SanityStatus::pass ? "pass" : c.status == SanityStatus::fail ? "fail" : "n/a";
    checks.push_back({{"id", c.id}, {"title", c.title}, {"status", status}, {"numbers", numbers},
                      {"detail", c.detail}, {"meaning", c.meaning}});
  }
  return {{"passed", r.passed()}, {"loss", r.loss}, {"classes", r.classes}, {"train_examples", r.train_examples},
          {"parameters", r.parameters}, {"threads", r.threads}, {"checks", checks}};
}
}  // namespace

Command add_sanity(CLI::App& root) {
  auto args = std::make_shared<SanityArgs>();
  CLI::App* app = root.add_subcommand(
      "sanity", "Sanity checks before training: initial loss, L2, overfitting 20 examples, gradient check");
  app->add_option("config", args->config, "Experiment config (TOML)")->type_name("CONFIG")->required();
  add_set_option(app, args->sets);
  add_threads_override(app, args->sets);
  app->add_option("--overfit-steps", args->options.overfit_steps, "Full-batch updates at most per lr tried (1 to 100000)")
      ->type_name("N")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app->add_option("--l2-lambda", args->options.l2_lambda, "λ of the L2 check (> 0)")
      ->type_name("LAMBDA")
      ->check(positive_number())
      ->capture_default_str();
  app->add_option("--gradcheck-elements", args->options.gradcheck_max_elements,
                  "Elements checked per tensor (a seeded sample); 0: every element")
      ->type_name("N")
      ->check(non_negative_integer())
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print the report as one JSON object, the last line on stdout");
  set_examples(app, {"gradnet sanity configs/mnist-mlp.toml",
                     "gradnet sanity configs/iris-mlp.toml --set optimizer.type=adam --set optimizer.lr=0.01 --json"});
  return {app, [args] {
            const Config config = load_config(args->config, args->sets);
            const SanityReport r = run_sanity(config, args->options);
            if (args->json) {
              print_json_line(to_json(r));
            } else {
              fmt::print("sanity checks of {}: {} with {} classes, {} training examples, {} parameters, "
                         "{} thread{}\n\n",
                         args->config, r.loss, r.classes, r.train_examples, r.parameters, r.threads,
                         r.threads == 1 ? "" : "s");
              int passed = 0, failed = 0, na = 0;
              for (const SanityCheck& c : r.checks) {
                (c.status == SanityStatus::pass ? passed : c.status == SanityStatus::fail ? failed : na) += 1;
                fmt::print("{:<4}  {}\n      {}\n      {}\n\n", to_string(c.status), c.title, c.detail, c.meaning);
              }
              fmt::print("{}: {} passed, {} failed, {} not applicable\n", failed ? "FAILED" : "PASSED", passed, failed,
                         na);
            }
            return r.passed() ? 0 : 1;
          }};
}

}  // namespace gradnet::cli
