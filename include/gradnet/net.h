// Net<T>: a runtime list of layers built from [model], with shapes inferred once from
// model.input and every activation/gradient buffer allocated once for max_batch rows.
//   forward(x) -> output; loss(targets); backward(targets) -> every Param::grad (+=). The targets
//   are labels, or (model.target = "input") the clean input rows the output must reconstruct.
// An inference net (NetUse::inference: gradnet eval, predict, report) holds no gradients: no
// dL/d(activation) buffers, and every Param::grad is released right after the layers' setup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gradnet/layer.h"
#include "gradnet/loss.h"
#include "gradnet/model_spec.h"
#include "gradnet/value.h"

namespace gradnet {

// Wall-clock seconds a net spends, summed over calls (gradnet train --profile); one entry per layer.
struct NetTimes {
  std::vector<double> forward, backward;
  double loss_forward = 0, loss_backward = 0, zero_grad = 0;
};

enum class NetUse { train, inference };

template <typename T>
class Net {
 public:
  // classes: labels lie in [0, classes); the loss checks the output shape against it.
  // classes = 0: as many classes as the net has outputs.
  Net(const ModelSpec& spec, Index classes, Index max_batch, NetUse use = NetUse::train);
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  void init(Rng& rng);  // every layer's init(), in order, from one generator

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return shapes_.back(); }
  const Shape& layer_output_shape(Index i) const { return shapes_[i + 1]; }
  Index max_batch() const { return max_batch_; }
  bool inference() const { return inference_; }
  // Values held for gradients: the dL/d(activation) buffers and every Param::grad (0 for inference).
  Index gradient_elements() const;
  Index num_layers() const { return static_cast<Index>(layers_.size()); }
  Layer<T>& layer(Index i) { return *layers_[i]; }
  Loss<T>& loss_fn() { return *loss_; }
  // model.target = "input": the loss compares the output with the input (no classes, no accuracy).
  bool reconstructs() const { return reconstructs_; }
  // A reconstruction net's targets for input rows x: x itself, or (model.target_layer = k) the
  // output of layers.k, which the next forward() fills (the pointer is stable).
  Targets<T> reconstruction_targets(const T* x) const {
    return Targets<T>::dense(target_layer_ < 0 ? x : acts_[static_cast<std::size_t>(target_layer_)].data());
  }

  // x: (N, numel(input)) with N <= max_batch; x must stay alive until backward().
  ConstView<T> forward(ConstView<T> x, const StepContext& ctx);
  double loss(Targets<T> targets);  // mean loss of the last forward's output
  // dL/d(every param) accumulated into the grads; with input_grad, dL/dx too. Not for inference.
  void backward(Targets<T> targets, bool input_grad = false);
  ConstView<T> input_grad() const;
  ConstView<T> activation(Index i) const;  // output of layer i after the last forward

  std::vector<Param<T>*> params();  // named "layers.<i>.<name>"
  std::vector<Buffer<T>*> buffers();  // running statistics, named like params
  // Everything a saved model holds: each param's value, then each buffer (state_dict order).
  std::vector<std::pair<std::string, Tensor<T>*>> state_tensors();
  void zero_grad();
  Index parameter_count() const;

  // With times set, forward, loss, backward and zero_grad add their wall time to it (per layer);
  // nullptr (the default) times nothing.
  void set_times(NetTimes* times);

  // A net of the same model for at most max_batch rows, its weights as setup left them (not
  // initialised): the shards of a batch split over threads (train/step.h), evaluation copies.
  std::unique_ptr<Net<T>> sibling(Index max_batch, NetUse use) const;
  // `count` inference copies of this net for passes of at most `rows` rows, run side by side by
  // evaluate() (one per thread). Built on the first call (again when count or rows change); every
  // call gives them this net's current weights and running statistics. An inference net planned
  // for `rows` is the first of them itself.
  std::vector<Net<T>*> eval_replicas(int count, Index rows);

 private:
  Shape input_shape_;
  std::vector<Shape> shapes_;  // shapes_[0] = input, shapes_[i + 1] = output of layer i
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::unique_ptr<Loss<T>> loss_;
  Index max_batch_;
  bool inference_ = false;
  bool reconstructs_ = false;
  Index target_layer_ = -1;
  // acts_[i] = output of layer i; mutable for pending_
  mutable std::vector<std::vector<T>> acts_;
  std::vector<T> grad_a_, grad_b_;    // ping-pong dL/d(activation)
  // after_relu_[i]: layer i is a max pool right after a relu; Net::forward runs the pool on the
  // relu's input and leaves the relu's output to be made when activation() reads it (the monitor
  // samples it every N steps; a relu at layer 0 needs it for its backward; otherwise nothing reads
  // it). through_relu_[i]: the same, the relu not the first layer; the pool's backward passes the
  // gradient through the relu too (Net::backward skips the relu's).
  std::vector<char> after_relu_, through_relu_;
  // pending_[i]: how activation(i) makes an output the last forward skipped.
  enum Pending : char { kDone = 0, kReluOfInput = 1, kForwardAgain = 2, kPlainFromBlocked = 3 };
  mutable std::vector<char> pending_;
  // Layers 0-2 a one-channel conv2d, relu, max_pool2d: run example by example (net.cpp).
  bool first_block_ = false;
  std::vector<T> block_scratch_;  // one example's conv output, or its gradient
  void plan_first_block();
  bool first_block_serial() const;
  ConstView<T> forward_first_block(ConstView<T> x);
  void backward_first_block(ConstView<T> dy);
  // blocked_pool_[p]: layers p-2..p a conv2d, relu, 2x2 max pool that can hand over in oneDNN's
  // blocked layout; blocked_used_[p]: the last forward did (net.cpp).
  std::vector<char> blocked_pool_, blocked_used_;
  ConstView<T> forward_blocked_handoff(std::size_t c, ConstView<T> in);
  bool backward_blocked_handoff(Index p, ConstView<T> dy, bool input_grad, T* spare);
  std::vector<T> dx_;                 // dL/dx of the input, when asked for
  ConstView<T> x_;                    // input of the last forward
  Index n_ = 0;                       // rows of the last forward
  NetTimes* times_ = nullptr;
  ModelSpec spec_;  // what the net was built from, for eval_replicas
  Index classes_ = 0;
  std::vector<std::unique_ptr<Net<T>>> replicas_;
};

extern template class Net<float>;
extern template class Net<double>;

}  // namespace gradnet
