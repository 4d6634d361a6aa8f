// gradnet gradcheck CONFIG [--json] [--batch N] [--max-elements N] [-q] [--set KEY=VALUE]...
// Builds the config's net in double precision and compares every analytic gradient (each
// parameter, the loss, the input) with centred finite differences. Exit 1 when a tensor fails
// the shared rule (gradcheck.h) or could not be checked at all; progress per tensor on stderr.
#include <chrono>
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
  Index batch = 2;
  Index max_elements = 100;
  double tolerance = 1e-7;
  bool json = false;
  bool quiet = false;
};

// "200 of 18432", or "all 64".
std::string checked_of(const TensorCheck& t) {
  return t.checked == t.size ? fmt::format("all {}", t.size) : fmt::format("{} of {}", t.checked, t.size);
}

// What the table's last column adds to the verdict: why a tensor is not verified, what was excused.
std::string verdict_note(const TensorCheck& t, double tol) {
  if (!t.verified()) return " (all skipped at kinks, even at the smallest step)";
  std::string note;
  if (t.within_noise > 0) note += fmt::format("{} within rounding noise", t.within_noise);
  if (t.smaller_step > 0) note += fmt::format("{}{} at a smaller step, near a kink", note.empty() ? "" : ", ", t.smaller_step);
  if (!t.passed(tol)) note += fmt::format("{}{:.3e} above the noise floor", note.empty() ? "" : ", ", t.max_rel_error_above_noise);
  return note.empty() ? "" : " (" + note + ")";
}

void print_table(const std::string& config, const GradcheckArgs& a, LossType loss, const GradcheckReport& report,
                 bool passed) {
  fmt::print("gradient check of {} in double precision, batch {}, loss {}\n", config, a.batch, loss);
  fmt::print("{:<40} {:>14} {:>7} {:>14}  {}\n", "tensor", "checked", "kinks", "max rel error", "");
  for (const auto& t : report.tensors)
    fmt::print("{:<40} {:>14} {:>7} {:>14.3e}  {}{}\n", t.name, checked_of(t), t.skipped_kinks, t.max_rel_error,
               gradcheck_verdict(t, a.tolerance), verdict_note(t, a.tolerance));
  const Index unverified = report.unverified();
  if (unverified > 0)
    fmt::print("NOT VERIFIED: {} tensor{} with no element checked (each crossed a ReLU or max-pool kink); try "
               "another --batch or a larger --max-elements\n",
               unverified, unverified == 1 ? "" : "s");
  Index within_noise = 0;
  for (const auto& t : report.tensors) within_noise += t.within_noise;
  fmt::print("{}: max relative error {:.3e}{} (tolerance {:.0e}; < 1e-7 good, > 1e-2 wrong)\n", passed ? "PASSED" : "FAILED",
             report.max_rel_error(),
             within_noise > 0 ? fmt::format("; {} element{} above it within rounding noise, {:.3e} beyond it", within_noise,
                                            within_noise == 1 ? "" : "s", report.max_rel_error_above_noise())
                              : std::string(),
             a.tolerance);
}
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
  app->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
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
            const auto start = std::chrono::steady_clock::now();
            if (!args->quiet)
              options.on_tensor = [&](std::size_t k, std::size_t count, const std::string& name, Index size) {
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                const Index n = args->max_elements > 0 ? std::min(args->max_elements, size) : size;
                fmt::print(stderr, "gradcheck: [{}/{}] {} ({} of {} elements) at {:.1f} s\n", k + 1, count, name, n,
                           size, s);
              };
            // The loss on its own first, then the whole net: every param of every layer and the input.
            GradcheckReport report = gradcheck_loss(*make_loss<double>(config.model.loss), classes, args->batch, options);
            const GradcheckReport net_report =
                gradcheck_net(net, ConstView<double>(x.data(), args->batch, features),
                              net.reconstructs() ? net.reconstruction_targets(x.data()) : Targets<double>(labels.data()), options);
            report.tensors.insert(report.tensors.end(), net_report.tensors.begin(), net_report.tensors.end());
            const bool passed = report.passed(args->tolerance);
            if (args->json) {
              nlohmann::json tensors = nlohmann::json::array();
              for (const auto& t : report.tensors)
                tensors.push_back({{"name", t.name},
                                   {"size", t.size},
                                   {"checked", t.checked},
                                   {"skipped_kinks", t.skipped_kinks},
                                   {"smaller_step", t.smaller_step},
                                   {"within_noise", t.within_noise},
                                   {"max_rel_error", t.max_rel_error},
                                   {"max_rel_error_above_noise", t.max_rel_error_above_noise},
                                   {"max_abs_error", t.max_abs_error},
                                   {"verified", t.verified()},
                                   {"verdict", gradcheck_verdict(t, args->tolerance)}});
              print_json_line({{"passed", passed},
                               {"tolerance", args->tolerance},
                               {"max_rel_error", report.max_rel_error()},
                               {"max_rel_error_above_noise", report.max_rel_error_above_noise()},
                               {"unverified", report.unverified()},
                               {"batch", args->batch},
                               {"tensors", tensors}});
            } else {
              print_table(args->config, *args, config.model.loss, report, passed);
            }
            return passed ? 0 : 1;
          }};
}

}  // namespace gradnet::cli
