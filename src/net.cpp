#include "gradnet/net.h"

#include <algorithm>
#include <chrono>

#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "gradnet/layers/conv2d.h"
#include "gradnet/layers/linear.h"
#include "gradnet/layers/pool.h"
#include "kernels/activation.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A linear layer with tied_to = "layers.j" borrows the transpose of layer j's weight: layer j must be
// a plain linear layer (no weight_norm, not tied itself) of the transposed shape.
template <typename T>
void tie_layer(std::vector<std::unique_ptr<Layer<T>>>& layers, const LayerSpec& ls) {
  auto* tied = dynamic_cast<LinearLayer<T>*>(layers.back().get());
  if (!tied || tied->tied_to() < 0) return;
  const Index j = tied->tied_to();
  const std::string key = fmt::format("layers.{} (linear): tied_to = \"layers.{}\"", ls.index, j);
  auto* source = dynamic_cast<LinearLayer<T>*>(layers[static_cast<std::size_t>(j)].get());
  GRADNET_CHECK(source, config, "{}: layers.{} is a {} layer; only a linear layer's weight can be tied", key, j,
                layers[static_cast<std::size_t>(j)]->type());
  GRADNET_CHECK(source->tied_to() < 0 && !source->weight_normed(), config,
                "{}: layers.{} has no weight of its own to tie to ({})", key, j,
                source->weight_normed() ? "weight_norm = true" : "it is tied itself");
  GRADNET_CHECK(source->in_features() == tied->out_features() && source->out_features() == tied->in_features(),
                config,
                "{}: the transpose of layers.{}'s weight ({} x {}) maps {} inputs to {} outputs, but this layer has "
                "{} inputs and out = {}",
                key, j, source->out_features(), source->in_features(), source->out_features(),
                source->in_features(), tied->in_features(), tied->out_features());
  tied->tie(source->params()[0]);
}

}  // namespace

template <typename T>
Net<T>::Net(const ModelSpec& spec, Index classes, Index max_batch, NetUse use)
    : input_shape_(spec.input), max_batch_(max_batch), inference_(use == NetUse::inference), spec_(spec),
      classes_(classes) {
  GRADNET_CHECK(!spec.input.empty() && numel(spec.input) > 0, config, "model.input {} has no elements",
                shape_str(spec.input));
  GRADNET_CHECK(!spec.layers.empty(), config, "model.layers is empty: a net needs at least one layer");
  GRADNET_ASSERT(max_batch >= 1);
  shapes_.push_back(input_shape_);
  Index widest = numel(input_shape_);
  for (const LayerSpec& ls : spec.layers) {
    layers_.push_back(make_layer<T>(ls));
    Shape out = layers_.back()->setup(shapes_.back(), max_batch);
    tie_layer(layers_, ls);
    GRADNET_CHECK(numel(out) > 0, shape, "layers.{} ({}): output shape {} has no elements", ls.index, ls.type,
                  shape_str(out));
    shapes_.push_back(out);
    acts_.emplace_back(static_cast<std::size_t>(max_batch * numel(out)));
    widest = std::max(widest, numel(out));
    for (Param<T>& p : layers_.back()->params()) {
      p.name = "layers." + std::to_string(ls.index) + "." + p.name;
      if (ls.has("lr_mult")) p.lr_mult = static_cast<float>(ls.get_number("lr_mult"));
      if (ls.has("decay_mult")) p.decay_mult = static_cast<float>(ls.get_number("decay_mult"));
    }
    if (ls.has("frozen")) layers_.back()->set_frozen(ls.get_bool("frozen"));
    for (Buffer<T>& b : layers_.back()->buffers()) b.name = "layers." + std::to_string(ls.index) + "." + b.name;
  }
  loss_ = make_loss<T>(spec.loss);
  reconstructs_ = spec.target == TargetKind::input;
  if (reconstructs_) {
    const LayerSpec& last = spec.layers.back();
    target_layer_ = spec.target_layer;
    GRADNET_CHECK(target_layer_ >= -1 && target_layer_ < num_layers() - 1, config,
                  "model.target_layer = {}: expected -1 (the input) or a layer before the last, 0..{}", target_layer_,
                  num_layers() - 2);
    const Shape& target = shapes_[static_cast<std::size_t>(target_layer_ + 1)];
    const std::string what = target_layer_ < 0 ? "the input" : "the output of layers." + std::to_string(target_layer_);
    GRADNET_CHECK(numel(shapes_.back()) == numel(target), shape,
                  "model.target = \"input\": the last layer, layers.{} ({}), gives {} ({} values) but {} {} has {}: "
                  "a reconstruction must have as many values as what it reconstructs",
                  last.index, last.type, shape_str(shapes_.back()), numel(shapes_.back()), what, shape_str(target),
                  numel(target));
    loss_->setup_dense(shapes_.back(), max_batch);
  } else {
    loss_->setup(shapes_.back(), classes > 0 ? classes : numel(shapes_.back()), max_batch);
  }
  after_relu_.assign(layers_.size(), 0);
  pending_.assign(layers_.size(), 0);
  for (std::size_t i = 1; i < layers_.size(); ++i)
    after_relu_[i] = layers_[i]->type() == "max_pool2d" && layers_[i - 1]->type() == "relu";
  through_relu_ = after_relu_;
  if (through_relu_.size() > 1) through_relu_[1] = 0;  // the relu is layer 0: its dx is the input's
  plan_first_block();
  blocked_pool_.assign(layers_.size(), 0);
  blocked_used_.assign(layers_.size(), 0);
  if constexpr (std::is_same_v<T, float>)
    for (std::size_t i = 2; i < layers_.size(); ++i)
      blocked_pool_[i] = after_relu_[i] && layers_[i - 2]->type() == "conv2d" &&
                         static_cast<MaxPool2dLayer<T>&>(*layers_[i]).blocked_fits() && !(i == 2 && first_block_);
  if (inference_) {
    for (Param<T>* p : params()) p->grad = Tensor<T>();
    return;
  }
  grad_a_.resize(static_cast<std::size_t>(max_batch * widest));
  grad_b_.resize(grad_a_.size());
}

template <typename T>
Net<T>::~Net() = default;

template <typename T>
void Net<T>::init(Rng& rng) {
  for (auto& layer : layers_) layer->init(rng);
}

template <typename T>
ConstView<T> Net<T>::forward(ConstView<T> x, const StepContext& ctx) {
  GRADNET_ASSERT(x.rows <= max_batch_ && x.cols == numel(input_shape_));
  x_ = x;
  n_ = x.rows;
  std::fill(pending_.begin(), pending_.end(), 0);
  std::fill(blocked_used_.begin(), blocked_used_.end(), 0);
  ConstView<T> in = x;
  std::size_t first = 0;
  if (first_block_serial()) {
    in = forward_first_block(x);
    first = 3;
  }
  for (std::size_t i = first; i < layers_.size(); ++i) {
    View<T> out{acts_[i].data(), n_, numel(shapes_[i + 1])};
    const auto t0 = times_ ? Clock::now() : Clock::time_point{};
    if (i + 2 < layers_.size() && blocked_pool_[i + 2] &&
        static_cast<Conv2dLayer<T>&>(*layers_[i]).blocked_fits(n_)) {
      in = forward_blocked_handoff(i, in);
      i += 2;
      continue;
    }
    if (i + 1 < layers_.size() && after_relu_[i + 1]) {  // relu and the max pool after it in one pass
      View<T> pooled{acts_[i + 1].data(), n_, numel(shapes_[i + 2])};
      static_cast<MaxPool2dLayer<T>&>(*layers_[i + 1]).forward_after_relu(in, pooled);
      pending_[i] = kReluOfInput;
      if (times_) times_->forward[i + 1] += since(t0);
      in = pooled;
      ++i;
      continue;
    }
    layers_[i]->forward(in, out, ctx);
    if (times_) times_->forward[i] += since(t0);
    in = out;
  }
  if (target_layer_ >= 0) activation(target_layer_);  // the loss reads its buffer: made if skipped
  return in;
}

template <typename T>
ConstView<T> Net<T>::activation(Index i) const {
  T* a = acts_[static_cast<std::size_t>(i)].data();
  const Index cols = numel(shapes_[static_cast<std::size_t>(i + 1)]);
  const char pending = pending_[static_cast<std::size_t>(i)];
  if (pending != kDone) {  // an output the forward skipped (fused into the layers after it): made now
    pending_[static_cast<std::size_t>(i)] = kDone;
    const ConstView<T> x = i == 0 ? x_ : activation(i - 1);
    if (pending == kReluOfInput)
      kernels::relu_forward(x.data, a, n_ * cols);
    else if (pending == kPlainFromBlocked)
      static_cast<Conv2dLayer<T>&>(*layers_[static_cast<std::size_t>(i)]).blocked_output_to_plain(View<T>{a, n_, cols});
    else
      layers_[static_cast<std::size_t>(i)]->forward(x, View<T>{a, n_, cols}, StepContext{Mode::eval, nullptr});
  }
  return {a, n_, cols};
}

template <typename T>
double Net<T>::loss(Targets<T> labels) {
  const auto t0 = times_ ? Clock::now() : Clock::time_point{};
  const double l = loss_->forward(activation(num_layers() - 1), labels);
  if (times_) times_->loss_forward += since(t0);
  return l;
}

template <typename T>
void Net<T>::backward(Targets<T> labels, bool input_grad) {
  GRADNET_ASSERT(!inference_);
  const Index last = num_layers() - 1;
  View<T> dy{grad_a_.data(), n_, numel(shapes_.back())};
  auto t0 = times_ ? Clock::now() : Clock::time_point{};
  loss_->backward(activation(last), labels, dy);
  if (times_) times_->loss_backward += since(t0);
  T* spare = grad_b_.data();
  for (Index i = last; i >= 0; --i) {
    if (times_) t0 = Clock::now();
    if (i == 0) {
      const ConstView<T> x = x_;
      if (input_grad) {
        dx_.resize(static_cast<std::size_t>(n_ * x.cols));
        View<T> dx{dx_.data(), n_, x.cols};
        layers_[0]->backward(x, activation(0), dy, &dx);
      } else {
        layers_[0]->backward(x, activation(0), dy, nullptr);
      }
      if (times_) times_->backward[0] += since(t0);
      break;
    }
    if (i == 2 && !input_grad && first_block_serial()) {  // layers 2, 1 and 0 at once
      backward_first_block(dy);
      if (times_) times_->backward[2] += since(t0);
      break;
    }
    if (blocked_used_[static_cast<std::size_t>(i)]) {  // the pool, its relu and the conv before them
      const bool last = backward_blocked_handoff(i, dy, input_grad, spare);
      if (last) break;
      std::swap(spare, dy.data);
      dy = View<T>{dy.data, n_, numel(shapes_[static_cast<std::size_t>(i - 2)])};
      i -= 2;
      continue;
    }
    View<T> dx{spare, n_, numel(shapes_[static_cast<std::size_t>(i)])};
    if (through_relu_[static_cast<std::size_t>(i)]) {
      // The pool's backward gives the gradient at the relu's input (relu'(x) at each window's
      // argmax is [y > 0]): the same numbers as the two backwards in turn, one pass over dx less.
      static_cast<MaxPool2dLayer<T>&>(*layers_[i]).backward_through_relu(activation(i), dy, dx);
      if (times_) times_->backward[static_cast<std::size_t>(i)] += since(t0);
      --i;  // the relu's backward is done
    } else {
      layers_[i]->backward(activation(i - 1), activation(i), dy, &dx);
      if (times_) times_->backward[static_cast<std::size_t>(i)] += since(t0);
    }
    spare = dy.data;
    dy = dx;
  }
}

template <typename T>
ConstView<T> Net<T>::input_grad() const {
  return {dx_.data(), n_, numel(input_shape_)};
}

template <typename T>
std::vector<Param<T>*> Net<T>::params() {
  std::vector<Param<T>*> out;
  for (auto& layer : layers_)
    for (Param<T>& p : layer->params()) out.push_back(&p);
  return out;
}

template <typename T>
std::vector<Buffer<T>*> Net<T>::buffers() {
  std::vector<Buffer<T>*> out;
  for (auto& layer : layers_)
    for (Buffer<T>& b : layer->buffers()) out.push_back(&b);
  return out;
}

template <typename T>
std::vector<std::pair<std::string, Tensor<T>*>> Net<T>::state_tensors() {
  std::vector<std::pair<std::string, Tensor<T>*>> out;
  for (Param<T>* p : params()) out.emplace_back(p->name, &p->value);
  for (Buffer<T>* b : buffers()) out.emplace_back(b->name, &b->value);
  return out;
}

template <typename T>
void Net<T>::zero_grad() {
  const auto t0 = times_ ? Clock::now() : Clock::time_point{};
  for (auto& layer : layers_)
    for (Param<T>& p : layer->params()) p.grad.fill(T(0));
  if (times_) times_->zero_grad += since(t0);
}

template <typename T>
void Net<T>::set_times(NetTimes* times) {
  times_ = times;
  if (!times_) return;
  times_->forward.resize(layers_.size(), 0.0);
  times_->backward.resize(layers_.size(), 0.0);
}

template <typename T>
std::unique_ptr<Net<T>> Net<T>::sibling(Index max_batch, NetUse use) const {
  return std::make_unique<Net<T>>(spec_, classes_, max_batch, use);
}

template <typename T>
std::vector<Net<T>*> Net<T>::eval_replicas(int count, Index rows) {
  GRADNET_ASSERT(count >= 1 && rows >= 1);
  // An inference net planned for passes this large (gradnet eval's own) is copy 0 itself.
  const bool self = inference_ && max_batch_ >= rows;
  const auto copies = static_cast<std::size_t>(count - (self ? 1 : 0));
  if (replicas_.size() != copies || (copies > 0 && replicas_[0]->max_batch() != rows)) {
    replicas_.clear();
    for (std::size_t k = 0; k < copies; ++k) replicas_.push_back(sibling(rows, NetUse::inference));
  }
  const std::vector<std::pair<std::string, Tensor<T>*>> from = state_tensors();
  std::vector<Net<T>*> out;
  if (self) out.push_back(this);
  for (auto& r : replicas_) {
    const std::vector<std::pair<std::string, Tensor<T>*>> to = r->state_tensors();
    GRADNET_ASSERT(to.size() == from.size());
    for (std::size_t i = 0; i < from.size(); ++i) {
      GRADNET_ASSERT(to[i].second->size() == from[i].second->size());
      std::copy(from[i].second->data(), from[i].second->data() + from[i].second->size(), to[i].second->data());
    }
    out.push_back(r.get());
  }
  return out;
}

template <typename T>
Index Net<T>::gradient_elements() const {
  Index n = static_cast<Index>(grad_a_.size() + grad_b_.size() + dx_.size());
  for (const auto& layer : layers_)
    for (const Param<T>& p : layer->params()) n += p.grad.size();
  return n;
}

template <typename T>
Index Net<T>::parameter_count() const {
  Index n = 0;
  for (const auto& layer : layers_)
    for (const Param<T>& p : layer->params()) n += p.value.size();
  return n;
}

template class Net<float>;
template class Net<double>;

}  // namespace gradnet
