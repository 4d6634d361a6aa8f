// ModelSpec: [model] as the config reads it: the per-example input shape, the loss, and the
// layers in order (each a validated LayerSpec: type plus every key, defaults filled). Net<T>
// (net.h) is built from it.
#pragma once

#include <cstdint>
#include <vector>

#include "gradnet/loss.h"
#include "gradnet/tensor.h"
#include "gradnet/value.h"

namespace gradnet {

struct ModelSpec {
  Shape input;                     // per-example input shape, e.g. {784} or {1, 28, 28}
  LossType loss = LossType::softmax_cross_entropy;
  TargetKind target = TargetKind::labels;  // input: an autoencoder, the output reconstructs the input
  // With target = input: -1 reconstructs the net's input; k >= 0 the output of layers.k instead (a
  // stage of greedy layer-wise pretraining, the layers up to k frozen: gradnet pretrain).
  std::int64_t target_layer = -1;
  std::vector<LayerSpec> layers;
};

}  // namespace gradnet
