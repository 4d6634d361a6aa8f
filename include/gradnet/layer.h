// Layer<T>: the contract every layer follows. Read this first.
//
//  * setup(in, max_batch) runs once, at net build time: it validates the per-example input
//    shape (throwing Error{shape} with the layer's index when it does not fit), sizes every
//    parameter and buffer for max_batch rows, and returns the per-example output shape.
//    Nothing allocates after setup(): a training step allocates nothing.
//  * init(rng) fills the parameters from the layer's init spec with the seeded init generator.
//  * forward(x, y, ctx) reads x (N rows of numel(in)) and writes y (N rows of numel(out)),
//    for any N <= max_batch. It may keep what backward() needs (masks, statistics) in its
//    own buffers.
//  * backward(x, y, dy, dx) gets the same x and y as the last forward(), and dy = dL/dy.
//    It OVERWRITES *dx with dL/dx and ACCUMULATES (+=) into each Param::grad (Caffe's rule:
//    overwrite is cheapest on the data path, += makes gradient accumulation free; the
//    trainer zeroes the grads). dx is null for the first layer: skip the input gradient.
//  * Every layer is gradient-checked in double (tests/layers/, `gradnet gradcheck`).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gradnet/param.h"
#include "gradnet/rng.h"
#include "gradnet/tensor.h"
#include "gradnet/value.h"

namespace gradnet {

enum class Mode { train, eval };

class Communicator;

struct StepContext {
  Mode mode = Mode::train;
  Rng* rng = nullptr;  // this step's stream for stochastic layers (dropout); null in eval
  // Data-parallel training with train.sync_batch_norm: batch norm's statistics and its backward
  // sums span every rank's rows (null: this process's rows only).
  Communicator* sync_ranks = nullptr;
};

using Attributes = std::vector<std::pair<std::string, std::string>>;

template <typename T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string_view type() const = 0;  // as written in TOML: "linear"
  virtual Shape setup(const Shape& in, Index max_batch) = 0;
  virtual void init(Rng& /*rng*/) {}
  virtual void forward(ConstView<T> x, View<T> y, const StepContext& ctx) = 0;
  virtual void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) = 0;
  virtual std::span<Param<T>> params() { return {}; }
  virtual std::span<Buffer<T>> buffers() { return {}; }  // running statistics; saved, not trained
  // True for layers whose derivative jumps (relu, max pooling): the gradient check skips
  // perturbations that change kink_state() of this layer's input (Caffe's kink handling).
  virtual bool has_kink() const { return false; }
  // Which side of each kink x lies on; the default is the sign of every element (relu's kink at 0).
  // Max pooling overrides it with the argmax of each window.
  virtual std::vector<std::int32_t> kink_state(ConstView<T> x) const;
  virtual Attributes describe() const { return {}; }  // for the report, checkpoints, export
  // Fine-tuning (per-layer frozen, train.freeze, train.unfreeze): no updates for this layer's
  // params. Batch norm also normalizes with its running statistics and stops updating them
  // while frozen (Keras's trainable = False): a frozen feature extractor computes what it learned.
  void set_frozen(bool frozen) {
    frozen_ = frozen;
    for (Param<T>& p : params()) p.frozen = frozen;
  }
  bool frozen() const { return frozen_; }

  // Thread shards (train/step_shards.cpp): a weight whose gradient Σ_n dyᵀ·x can be taken over
  // every shard's rows at once, instead of per shard and then summed (deferrable_weight(): that
  // param, else null). defer_weight_grad(true, share): backward leaves the product out and keeps
  // share·dy and x; take_deferred_weight_grad(shards, part, parts) then writes part `part` of
  // `parts` of the weight's rows of this layer's grad (overwritten, not added to: the step does not
  // zero it), summed over every shard's kept rows in shard order (shards[0] is this layer).
  // defer_weight_grad(false, 1): back to the product in backward.
  virtual Param<T>* deferrable_weight() { return nullptr; }
  virtual void defer_weight_grad(bool /*on*/, T /*share*/) {}
  virtual void take_deferred_weight_grad(std::span<Layer<T>* const> /*shards*/, int /*part*/, int /*parts*/) {}

 protected:
  bool frozen_ = false;
};

extern template class Layer<float>;
extern template class Layer<double>;

}  // namespace gradnet
