// The rules of reconstruction models (model.target = "input"), denoising and [pretrain].
#include <fmt/format.h>

#include "rules.h"

namespace gradnet::config_rules {

namespace {

// BCE's targets are probabilities: only scale01 (or data already in [0, 1]) keeps the input there.
bool keeps_unit_range(NormalizeMethod n) { return n == NormalizeMethod::scale01 || n == NormalizeMethod::none; }

Problem noise_problem(const char* kind_key, InputNoise kind, double level) {
  const std::string level_key = std::string(kind_key) + "_level";
  if (kind == InputNoise::none) return {};
  if (level <= 0)
    return problem(level_key, fmt::format("{} = \"{}\" needs {} > 0", kind_key, name_of(kind), level_key));
  if (kind == InputNoise::mask && level >= 1)
    return problem(level_key, fmt::format("{} = {:g}: a mask zeroes this fraction of the values, expected a number "
                                          "in (0, 1)", level_key, level));
  return {};
}

}  // namespace

Problem autoencoder_problem(const Config& c) {
  const bool reconstructs = c.model.target == TargetKind::input;
  if (reconstructs && c.model.loss == LossType::softmax_cross_entropy)
    return problem("model.loss", "model.target = \"input\" reconstructs the input: model.loss must be mse or "
                                 "bce_with_logits, not softmax_cross_entropy");
  if (reconstructs && c.model.loss == LossType::bce_with_logits && !keeps_unit_range(c.data.normalize))
    return problem("data.normalize", fmt::format("model.loss = \"bce_with_logits\" with model.target = \"input\" "
                                                 "needs targets in [0, 1]: data.normalize = \"scale01\" (it is "
                                                 "\"{}\")", name_of(c.data.normalize)));
  if (reconstructs && is_accuracy(c.checkpoint.monitor))
    return problem("checkpoint.monitor", fmt::format("checkpoint.monitor = \"{}\": a reconstruction model "
                                                     "(model.target = \"input\") has no accuracy; use val_loss or "
                                                     "train_loss", name_of(c.checkpoint.monitor)));
  if (reconstructs && c.early_stopping.enabled && is_accuracy(c.early_stopping.monitor))
    return problem("early_stopping.monitor", fmt::format("early_stopping.monitor = \"{}\": a reconstruction model "
                                                         "(model.target = \"input\") has no accuracy; use val_loss "
                                                         "or train_loss", name_of(c.early_stopping.monitor)));
  if (!reconstructs && c.model.target_layer != -1)
    return problem("model.target_layer", "model.target_layer chooses what a reconstruction model reconstructs: it "
                                         "needs model.target = \"input\"");
  if (!reconstructs && c.train.input_noise != InputNoise::none)
    return problem("train.input_noise", "train.input_noise corrupts the input of a reconstruction model "
                                        "(model.target = \"input\"); a classifier's inputs are augmented by "
                                        "[augment] instead");
  if (Problem p = noise_problem("train.input_noise", c.train.input_noise, c.train.input_noise_level); !p.first.empty())
    return p;
  if (c.pretrain.loss == LossType::softmax_cross_entropy)
    return problem("pretrain.loss", "pretrain.loss must be mse or bce_with_logits (a reconstruction loss)");
  if (c.pretrain.loss == LossType::bce_with_logits && !keeps_unit_range(c.data.normalize))
    return problem("pretrain.loss", fmt::format("pretrain.loss = \"bce_with_logits\" needs targets in [0, 1]: "
                                                "data.normalize = \"scale01\" (it is \"{}\")",
                                                name_of(c.data.normalize)));
  return noise_problem("pretrain.input_noise", c.pretrain.input_noise, c.pretrain.input_noise_level);
}

}  // namespace gradnet::config_rules
