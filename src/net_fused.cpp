// Net's fused paths (net.h): a first block conv2d (one channel) -> relu -> max_pool2d run example by
// example, and conv2d -> relu -> 2x2 max pool handing over in oneDNN's blocked layout. Each gives
// the bits of the layers run one by one (tests/layers/net_fusion_test.cpp).
#include <omp.h>

#include <chrono>
#include <type_traits>

#include "gradnet/layers/conv2d.h"
#include "gradnet/layers/pool.h"
#include "gradnet/net.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

// A first block conv2d (one channel, Conv2dLayer::one_channel_plain) -> relu -> max_pool2d, run
// example by example where nothing else splits the rows (one thread, or inside a thread shard or
// an evaluation copy): the conv's output for one example (W3: 32 x 28 x 28, 100 KB) stays in cache
// for the pool, and in backward the pool's dx for one example for the conv's weight gradient,
// instead of 12.8 MB per batch of 128 written and read back each way. The conv's and the relu's
// outputs are made only when read (activation()); the numbers are those of the layers one by one.
template <typename T>
void Net<T>::plan_first_block() {
  if constexpr (std::is_same_v<T, float>) {
    if (layers_.size() < 3 || !after_relu_[2] || layers_[0]->type() != "conv2d") return;
    if (!static_cast<Conv2dLayer<T>&>(*layers_[0]).one_channel_plain()) return;
    first_block_ = true;
    block_scratch_.resize(static_cast<std::size_t>(numel(shapes_[1])));
  }
}

template <typename T>
bool Net<T>::first_block_serial() const {
  return first_block_ && (omp_in_parallel() || omp_get_max_threads() == 1);
}

template <typename T>
ConstView<T> Net<T>::forward_first_block(ConstView<T> x) {
  auto& conv = static_cast<Conv2dLayer<T>&>(*layers_[0]);
  auto& pool = static_cast<MaxPool2dLayer<T>&>(*layers_[2]);
  const Index conv_cols = numel(shapes_[1]), pool_cols = numel(shapes_[3]);
  const auto t0 = times_ ? Clock::now() : Clock::time_point{};
  for (Index r = 0; r < n_; ++r) {
    conv.forward(ConstView<T>(x.row(r), 1, x.cols), View<T>{block_scratch_.data(), 1, conv_cols},
                 StepContext{Mode::eval, nullptr});
    pool.forward_after_relu(ConstView<T>(block_scratch_.data(), 1, conv_cols),
                            View<T>{acts_[2].data() + r * pool_cols, 1, pool_cols}, r);
  }
  if (times_) times_->forward[2] += since(t0);
  pending_[0] = kForwardAgain;
  pending_[1] = kReluOfInput;
  return {acts_[2].data(), n_, pool_cols};
}

template <typename T>
void Net<T>::backward_first_block(ConstView<T> dy) {
  auto& conv = static_cast<Conv2dLayer<T>&>(*layers_[0]);
  auto& pool = static_cast<MaxPool2dLayer<T>&>(*layers_[2]);
  const Index conv_cols = numel(shapes_[1]), pool_cols = numel(shapes_[3]);
  const T* y = acts_[2].data();
  conv.one_channel_grad_begin();
  for (Index r = 0; r < n_; ++r) {
    pool.backward_through_relu(ConstView<T>(y + r * pool_cols, 1, pool_cols), ConstView<T>(dy.row(r), 1, pool_cols),
                               View<T>{block_scratch_.data(), 1, conv_cols}, r);
    conv.one_channel_grad_add(x_.row(r), block_scratch_.data(), 1);
  }
  conv.one_channel_grad_end();
}

// conv2d -> relu -> 2x2 max pool with the conv's y and dy in oneDNN's blocked layout (no reorder
// of either; the pool reads and writes that layout, kernels/pool_c16.h). The conv's plain output and
// the relu's are made when read (activation()). conv at layer c, the pool at c + 2.
template <typename T>
ConstView<T> Net<T>::forward_blocked_handoff(std::size_t c, ConstView<T> in) {
  auto& conv = static_cast<Conv2dLayer<T>&>(*layers_[c]);
  auto& pool = static_cast<MaxPool2dLayer<T>&>(*layers_[c + 2]);
  auto t0 = times_ ? Clock::now() : Clock::time_point{};
  const T* yb = conv.forward_blocked(in);
  if (times_) {
    times_->forward[c] += since(t0);
    t0 = Clock::now();
  }
  View<T> pooled{acts_[c + 2].data(), n_, numel(shapes_[c + 3])};
  pool.forward_blocked_after_relu(yb, pooled);
  if (times_) times_->forward[c + 2] += since(t0);
  pending_[c] = kPlainFromBlocked;
  pending_[c + 1] = kReluOfInput;
  blocked_used_[c + 2] = 1;
  return pooled;
}

// Backward of the three from dy at the pool's output (pool at layer p); dx of the conv's input into
// spare, or (the conv is layer 0) into dx_ when input_grad. True when the conv is layer 0.
template <typename T>
bool Net<T>::backward_blocked_handoff(Index p, ConstView<T> dy, bool input_grad, T* spare) {
  auto& conv = static_cast<Conv2dLayer<T>&>(*layers_[static_cast<std::size_t>(p - 2)]);
  auto& pool = static_cast<MaxPool2dLayer<T>&>(*layers_[static_cast<std::size_t>(p)]);
  auto t0 = times_ ? Clock::now() : Clock::time_point{};
  pool.backward_blocked_through_relu(dy, conv.blocked_dy(n_));
  if (times_) {
    times_->backward[static_cast<std::size_t>(p)] += since(t0);
    t0 = Clock::now();
  }
  const bool first = p - 2 == 0;
  const ConstView<T> x = first ? x_ : activation(p - 3);
  View<T> dx{first ? nullptr : spare, n_, x.cols};
  if (first && input_grad) {
    dx_.resize(static_cast<std::size_t>(n_ * x.cols));
    dx.data = dx_.data();
  }
  conv.backward_blocked(x, dx.data ? &dx : nullptr);
  if (times_) times_->backward[static_cast<std::size_t>(p - 2)] += since(t0);
  return first;
}

// The members defined here (the class itself is instantiated in net.cpp).
#define GRADNET_INSTANTIATE_NET_FUSED(T)                                                            \
  template void Net<T>::plan_first_block();                                                          \
  template bool Net<T>::first_block_serial() const;                                                  \
  template ConstView<T> Net<T>::forward_first_block(ConstView<T>);                                   \
  template void Net<T>::backward_first_block(ConstView<T>);                                          \
  template ConstView<T> Net<T>::forward_blocked_handoff(std::size_t, ConstView<T>);                  \
  template bool Net<T>::backward_blocked_handoff(Index, ConstView<T>, bool, T*)
GRADNET_INSTANTIATE_NET_FUSED(float);
GRADNET_INSTANTIATE_NET_FUSED(double);

}  // namespace gradnet
