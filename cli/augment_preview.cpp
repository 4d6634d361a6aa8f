// gradnet augment-preview CONFIG [--out DIR|FILE.png] [--count N] [--versions K] [--zoom Z] [--seed S] [--set KEY=VALUE]...
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
#include "options.h"

namespace gradnet::cli {

namespace {
struct AugmentPreviewArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;  // "": runs/<name>-augment-<UTC>/augment_preview.png
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
  app->add_option("config", args->config, "Experiment config (TOML)")->type_name("CONFIG")->required();
  add_set_option(app, args->sets);
  app->add_option("--out", args->out,
                  "Directory for augment_preview.png, or the PNG itself when it ends in .png "
                  "(default: runs/<name>-augment-<UTC>)")
      ->type_name("DIR|FILE.png");
  app->add_option("--count", args->count, "Training examples shown, one per row (the first N; 1 to 1000)")
      ->type_name("N")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  app->add_option("--versions", args->versions, "Augmented versions of each example, one per column (1 to 100)")
      ->type_name("K")
      ->check(integer_in(1, 100))
      ->capture_default_str();
  app->add_option("--zoom", args->zoom, "Magnification (nearest neighbour; 1 to 32)")
      ->type_name("Z")
      ->check(integer_in(1, 32))
      ->capture_default_str();
  app->add_option("--seed", args->seed, "Seed of the augment stream (default: train.seed)")
      ->type_name("SEED")
      ->check(non_negative_integer());
  set_examples(app, {"gradnet augment-preview configs/cifar10-cnn.toml",
                     "gradnet augment-preview configs/cifar10-cnn.toml --set augment.rotation=15 --count 4 "
                     "--versions 12 --seed 3 --out aug.png"});
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
            const std::string png = png_out_path(args->out, config.name + "-augment", "augment_preview.png");
            const auto [width, height] = write_augment_preview(png, examples, augmenter, config.model.input,
                                                               data.normalizer, args->versions, args->zoom, rng);
            fmt::print(stderr, "gradnet: {} examples of {} x {} augmented versions, seed {}, {}x{} pixels\n",
                       n, shape_str(config.model.input), args->versions, seed, width, height);
            fmt::print("{}\n", png);
            return 0;
          }};
}

}  // namespace gradnet::cli
