// The rules across keys (rules.h), and config_problem() that runs them in order. ([optimizer]'s
// own, the type's defaults and the options a type ignores, are applied while reading it:
// optimizer_section.cpp.)
#include "rules.h"

#include <algorithm>

#include <fmt/format.h>

namespace gradnet {

namespace config_rules {

Problem optimizer_problem(const OptimizerConfig& o) {
  // (An option the type would ignore has no place in a typed config: optimizer_section.cpp refuses
  // it while reading the file.)
  if (o.type() != OptimizerType::sgd) return {};
  const SgdOptions& s = o.options.sgd();
  if (s.nesterov && (s.momentum <= 0 || s.dampening != 0))
    return problem("optimizer.nesterov",
                   fmt::format("optimizer.nesterov = true: needs momentum > 0 and dampening = 0 (PyTorch's rule); "
                               "momentum = {}, dampening = {}",
                               s.momentum, s.dampening));
  return {};
}

Problem batch_size_problem(const TrainConfig& t) {
  if (t.batch_sizes.size() != t.batch_size_milestones.size())
    return problem("train.batch_sizes", fmt::format("train.batch_sizes has {} entries, train.batch_size_milestones {}: "
                                                    "one batch size per milestone", t.batch_sizes.size(),
                                                    t.batch_size_milestones.size()));
  if (!strictly_increasing_from_1(t.batch_size_milestones))
    return problem("train.batch_size_milestones", fmt::format("train.batch_size_milestones = [{}]: expected a strictly "
                                                              "increasing list of epochs >= 1",
                                                              fmt::join(t.batch_size_milestones, ", ")));
  for (std::int64_t b : t.batch_sizes)
    if (b < 1) return problem("train.batch_sizes", fmt::format("train.batch_sizes: {} is not a batch size >= 1", b));
  if (t.swa_start > t.epochs)
    return problem("train.swa_start", fmt::format("train.swa_start = {} is after the last epoch (train.epochs = {}): "
                                                  "nothing to average",
                                                  t.swa_start, t.epochs));
  if (t.swa_lr > 0 && t.swa_start == 0)
    return problem("train.swa_lr", fmt::format("train.swa_lr = {:g} needs train.swa_start (the epoch it starts "
                                               "from; 0 turns SWA off)",
                                               t.swa_lr));
  return {};
}

namespace {

// The first transform turned on, as {key, its value as written}.
Problem first_enabled(const AugmentConfig& c) {
  if (c.hflip > 0) return {"augment.hflip", fmt::format("{:g}", c.hflip)};
  if (c.crop_padding > 0) return {"augment.crop_padding", fmt::format("{}", c.crop_padding)};
  if (c.translate > 0) return {"augment.translate", fmt::format("{:g}", c.translate)};
  if (c.rotation > 0) return {"augment.rotation", fmt::format("{:g}", c.rotation)};
  if (c.scale.size() == 2 && (c.scale[0] != 1 || c.scale[1] != 1))
    return {"augment.scale", fmt::format("[{:g}, {:g}]", c.scale[0], c.scale[1])};
  if (c.brightness > 0) return {"augment.brightness", fmt::format("{:g}", c.brightness)};
  if (c.contrast > 0) return {"augment.contrast", fmt::format("{:g}", c.contrast)};
  if (c.saturation > 0) return {"augment.saturation", fmt::format("{:g}", c.saturation)};
  if (c.noise_std > 0) return {"augment.noise_std", fmt::format("{:g}", c.noise_std)};
  if (c.cutout > 0) return {"augment.cutout", fmt::format("{}", c.cutout)};
  return {};
}

}  // namespace

Problem augment_problem(const AugmentConfig& a, const Shape& in, NormalizeMethod normalize) {
  const auto [key, value] = first_enabled(a);
  if (key.empty()) return {};
  if (in.size() != 3)
    return {key, fmt::format("{} = {} augments images, but model.input = {} is not an image shape [C, H, W] "
                             "(e.g. [1, 28, 28] for MNIST, [3, 32, 32] for CIFAR-10)",
                             key, value, shape_str(in))};
  if (a.saturation > 0 && in[0] != 3)
    return {"augment.saturation",
            fmt::format("augment.saturation = {:g} needs 3 (RGB) channels, but model.input = {} has {}", a.saturation,
                        shape_str(in), in[0])};
  const bool per_pixel = normalize == NormalizeMethod::none || normalize == NormalizeMethod::scale01 ||
                         normalize == NormalizeMethod::standardize;
  if ((a.brightness > 0 || a.contrast > 0 || a.saturation > 0) && !per_pixel)
    return {"data.normalize", fmt::format("data.normalize = \"{}\": colour jitter (augment.brightness, contrast, "
                                          "saturation) works on pixel values and needs none, scale01 or standardize",
                                          name_of(normalize))};
  return {};
}

Problem data_problem(const Config& c) {
  if (c.data.dataset == DatasetKind::csv && c.data.path.empty())
    return problem("data.dataset", "data.dataset = \"csv\" needs data.path (the CSV file)");
  if (c.data.dataset == DatasetKind::npy && c.data.path.empty())
    return problem("data.dataset", "data.dataset = \"npy\" needs data.path (an .npy of features, or an .npz archive)");
  if (c.data.dataset == DatasetKind::folder && c.data.dir.empty())
    return problem("data.dataset", "data.dataset = \"folder\" needs data.dir (the folder of class subfolders)");
  if ((!c.data.image_size.empty() || c.data.channels != 0) && c.data.dataset != DatasetKind::folder)
    return problem(c.data.image_size.empty() ? "data.channels" : "data.image_size",
                   fmt::format("data.image_size and data.channels convert image folders; data.dataset is \"{}\"",
                               name_of(c.data.dataset)));
  if (c.data.fold > 0 && c.data.fold >= std::max<std::int64_t>(c.data.folds, 1))
    return problem("data.fold", c.data.folds >= 2 ? fmt::format("data.fold = {}: expected a fold in 0..{} (data.folds = {})",
                                                               c.data.fold, c.data.folds - 1, c.data.folds)
                                                  : fmt::format("data.fold = {} needs data.folds >= 2 (it is {})",
                                                                c.data.fold, c.data.folds));
  if (const std::int64_t k = c.data.pca_components; k > 0) {
    if (!keeps_components(c.data.normalize))
      return problem("data.pca_components",
                     fmt::format("data.pca_components = {} needs data.normalize = \"pca\" or \"pca_whiten\" (it is "
                                 "\"{}\")",
                                 k, name_of(c.data.normalize)));
    if (c.model.input != Shape{k})
      return problem("model.input", fmt::format("model.input = {}, but data.pca_components = {} reduces each example "
                                                "to [{}]: set model.input = [{}]",
                                                shape_str(c.model.input), k, k, k));
  }
  return {};
}

// Keys that only mean something beside another (docs/transfer.md).
Problem transfer_problem(const Config& c) {
  const TrainConfig& t = c.train;
  if (!t.init_layers.empty() && t.init_from.empty())
    return problem("train.init_layers", "train.init_layers needs train.init_from (the run or file to load them from)");
  if (!t.unfreeze.empty() && c.optimizer.type() == OptimizerType::lbfgs)
    return problem("train.unfreeze", "train.unfreeze: L-BFGS fixes its parameter vector at the start; unfreezing "
                                     "on a schedule needs another optimizer");
  return {};
}

}  // namespace config_rules

std::pair<std::string, std::string> config_problem(const Config& c) {
  using namespace config_rules;
  for (const Problem& p : {optimizer_problem(c.optimizer), schedule_problem(c.schedule, c.optimizer.lr),
                           batch_size_problem(c.train)})
    if (!p.first.empty()) return p;
  if (c.monitor.ratio_low >= c.monitor.ratio_high)
    return problem("monitor.ratio_low", fmt::format("monitor.ratio_low = {:g} must be below monitor.ratio_high = {:g}",
                                                    c.monitor.ratio_low, c.monitor.ratio_high));
  for (const Problem& p : {augment_problem(c.augment, c.model.input, c.data.normalize), data_problem(c),
                           autoencoder_problem(c), transfer_problem(c)})
    if (!p.first.empty()) return p;
  return {};
}

}  // namespace gradnet
