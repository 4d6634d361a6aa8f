// Param<T>: one learnable tensor, its gradient, and what an optimizer needs to know about it.
#pragma once

#include <string>

#include "gradnet/tensor.h"

namespace gradnet {

template <typename T>
struct Param {
  std::string name;      // "layers.0.weight": the name in model.safetensors and checkpoints
  Tensor<T> value;
  Tensor<T> grad;        // same shape as value; backward() accumulates into it
  float lr_mult = 1.0f;     // Caffe's per-blob multipliers: parameter groups and fine-tuning
  float decay_mult = 1.0f;  // 0 for biases when weight decay must spare them
  bool frozen = false;      // frozen params get no update (their grad is still computed)

  void resize(const Shape& shape) {
    value.resize(shape);
    grad.resize(shape);
  }
};

// Buffer<T>: state a layer learns without gradients (batch norm's running mean and variance).
// Saved beside the params in model.safetensors and checkpoints (PyTorch's state_dict buffers).
template <typename T>
struct Buffer {
  std::string name;  // "layers.1.running_mean"
  Tensor<T> value;
};

}  // namespace gradnet
