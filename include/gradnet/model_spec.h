// ModelSpec: [model] as the config reads it: the per-example input shape, the loss, and the
// layers in order (each a validated LayerSpec: type plus every key, defaults filled). Net<T>
// (net.h) is built from it.
#pragma once

#include <vector>

#include "gradnet/loss.h"
#include "gradnet/tensor.h"
#include "gradnet/value.h"

namespace gradnet {

struct ModelSpec {
  Shape input;                     // per-example input shape, e.g. {784} or {1, 28, 28}
  LossType loss = LossType::softmax_cross_entropy;
  std::vector<LayerSpec> layers;
};

}  // namespace gradnet
