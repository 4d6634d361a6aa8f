// gradnet augment-preview CONFIG [--out FILE.png] [--count N] [--versions K] [--zoom Z] [--seed S] [--set KEY=VALUE]...
// Loads the training split as `train` does (normalized with statistics of the training split), takes
// its first N examples and writes a PNG grid: each row one example, the first column as given, then K
// augmented versions drawn with the config's [augment] (docs/augmentation.md), un-normalized back to
// 0..255 and magnified Z times. Prints the path written.
#include <fmt/format.h>

#include "commands.h"
#include "gradnet/config.h"
#include "gradnet/data/augment.h"
#include "gradnet/error.h"
#include "gradnet/train/prepare.h"

namespace gradnet::cli {

namespace {
struct AugmentPreviewArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out = "augment_preview.png";
  Index count = 8;
  Index versions = 8;
  Index zoom = 3;
  std::int64_t seed = -1;  // -1: train.seed
};
}  // namespace

Command add_augment_preview(CLI::App& root) {
  auto args = std::make_shared<AugmentPreviewArgs>();
  CLI::App* app = root.add_subcommand(
      "augment-preview", "Show what [augment] does: a PNG grid of training examples and augmented versions of each");
  app->add_option("config", args->config, "Experiment config (TOML)")->required();
  app->add_option("--set", args->sets, "Override a config key (repeatable)")->type_name("KEY=VALUE");
  app->add_option("--out", args->out, "PNG to write")->capture_default_str();
  app->add_option("--count", args->count, "Training examples shown, one per row (the first N)")
      ->check(CLI::Range(Index{1}, Index{1000}))
      ->capture_default_str();
  app->add_option("--versions", args->versions, "Augmented versions of each example, one per column")
      ->check(CLI::Range(Index{1}, Index{100}))
      ->capture_default_str();
  app->add_option("--zoom", args->zoom, "Magnification (nearest neighbour)")
      ->check(CLI::Range(Index{1}, Index{32}))
      ->capture_default_str();
  app->add_option("--seed", args->seed, "Seed of the augment stream (default: train.seed)")
      ->check(CLI::NonNegativeNumber);
  return {app, [args] {
            const Config given = load_config(args->config, args->sets);
            GRADNET_CHECK(augment_enabled(given.augment), config,
                          "{}: [augment] turns nothing on, so every version would equal the original; set a key, "
                          "e.g. --set augment.hflip=0.5 --set augment.crop_padding=4 (docs/augmentation.md)",
                          args->config);
            const PreparedData data = prepare_data(given);
            const Config& config = data.config;
            Augmenter augmenter(config.augment, config.model.input, data.normalizer);
            const Dataset& train = data.splits.train;
            const Index n = std::min(args->count, train.size());
            std::vector<float> scratch;
            const ConstView<float> examples = train.rows(0, n, scratch);
            const std::uint64_t seed = args->seed >= 0 ? static_cast<std::uint64_t>(args->seed) : config.train.seed;
            Rng rng = Rng::stream(seed, "augment");
            const auto [width, height] = write_augment_preview(args->out, examples, augmenter, config.model.input,
                                                               data.normalizer, args->versions, args->zoom, rng);
            fmt::print(stderr, "augment-preview: {} examples of {} x {} augmented versions, seed {}, {}x{} pixels\n",
                       n, shape_str(config.model.input), args->versions, seed, width, height);
            fmt::print("{}\n", args->out);
            return 0;
          }};
}

}  // namespace gradnet::cli
