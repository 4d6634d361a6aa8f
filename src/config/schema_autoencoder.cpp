// The config schema's autoencoder keys: train.input_noise (denoising) and [pretrain] (gradnet
// pretrain's greedy layer-wise pretraining); docs/autoencoders.md.
#include "schema_builder.h"

namespace gradnet::config_schema {

void denoising_keys(Section v) {
  const auto t = &Config::train;
  using T = TrainConfig;
  v.add(field("train", t, &T::input_noise, "input_noise", K::string,
              "denoising autoencoder (model.target = \"input\"): corrupt the net's input, not the target: none, "
              "gaussian (add N(0, level²)) or mask (zero each value with probability level); from the seed"));
  v.add(field("train", t, &T::input_noise_level, "input_noise_level", K::number,
              "gaussian: the noise's std, in normalized units; mask: the fraction of values zeroed (< 1)")
            .at_least(0));
}

void pretrain_keys(Section v) {
  const auto p = &Config::pretrain;
  using P = PretrainConfig;
  v.add(field("pretrain", p, &P::epochs, "epochs", K::integer,
              "gradnet pretrain: epochs of each stage (one autoencoder per hidden linear layer)")
            .at_least(1).at_most(1000000));
  v.add(field("pretrain", p, &P::train_limit, "train_limit", K::integer,
              "training examples each stage learns from (their labels unused); 0: all of the training split, "
              "whatever data.train_limit (the labelled subset) says")
            .at_least(0));
  v.add(field("pretrain", p, &P::lr, "lr", K::number, "the stages' learning rate; 0: optimizer.lr").at_least(0));
  v.add(field("pretrain", p, &P::loss, "loss", K::string,
              "the first stage's reconstruction loss: mse or bce_with_logits (needs data.normalize = scale01 or "
              "none); deeper stages reconstruct hidden activations with mse"));
  v.add(field("pretrain", p, &P::input_noise, "input_noise", K::string,
              "denoising stages: none, gaussian or mask, applied to the net's input (train.input_noise)"));
  v.add(field("pretrain", p, &P::input_noise_level, "input_noise_level", K::number,
              "the stages' train.input_noise_level")
            .at_least(0));
}

}  // namespace gradnet::config_schema
