// Net's fused paths give the bits of the layers run one by one (Layer::forward, Layer::backward):
// a relu's max pool that pools the relu's input (the relu's output made when read), and a first
// block conv2d (one channel) -> relu -> max_pool2d run example by example where nothing else
// splits the rows (one thread, or inside a parallel region: a thread shard, an evaluation copy).
#include <gtest/gtest.h>
#include <omp.h>

#include "gradnet/net.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::model_spec;

struct Pass {
  std::vector<std::vector<float>> acts, grads;
};

std::vector<LayerSpec> cnn() {
  return {layer_spec("conv2d", {{"out", std::int64_t{16}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}),
          layer_spec("relu"),
          layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}),
          layer_spec("conv2d", {{"out", std::int64_t{32}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}),
          layer_spec("relu"),
          layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}),
          layer_spec("flatten"),
          layer_spec("linear", {{"out", std::int64_t{10}}})};
}

constexpr Index kRows = 5;
const std::int32_t kLabels[kRows] = {3, 1, 4, 1, 5};

Pass through_net(Net<float>& net, const std::vector<float>& x) {
  const StepContext ctx{Mode::train, nullptr, nullptr};
  net.zero_grad();
  net.forward(cview(x, kRows), ctx);
  net.loss(Targets<float>(kLabels));
  net.backward(Targets<float>(kLabels));
  Pass p;
  for (Param<float>* q : net.params()) p.grads.emplace_back(q->grad.data(), q->grad.data() + q->grad.size());
  for (Index i = 0; i < net.num_layers(); ++i) {  // read after the backward: made now where skipped
    const ConstView<float> a = net.activation(i);
    p.acts.emplace_back(a.data, a.data + a.size());
  }
  return p;
}

// The same, one layer at a time; the first layer's dx is not asked for (as Net::backward).
Pass one_by_one(Net<float>& net, const std::vector<float>& x) {
  const StepContext ctx{Mode::train, nullptr, nullptr};
  net.zero_grad();
  Pass p;
  ConstView<float> in = cview(x, kRows);
  for (Index i = 0; i < net.num_layers(); ++i) {
    p.acts.emplace_back(static_cast<std::size_t>(kRows * numel(net.layer_output_shape(i))));
    View<float> out{p.acts.back().data(), kRows, numel(net.layer_output_shape(i))};
    net.layer(i).forward(in, out, ctx);
    in = out;
  }
  const Index classes = numel(net.output_shape());
  const ConstView<float> logits(p.acts.back().data(), kRows, classes);
  net.loss_fn().forward(logits, Targets<float>(kLabels));
  std::vector<float> dy(p.acts.back().size()), dx;
  net.loss_fn().backward(logits, Targets<float>(kLabels), View<float>(dy.data(), kRows, classes));
  for (Index i = net.num_layers() - 1; i >= 0; --i) {
    const auto& a = p.acts[static_cast<std::size_t>(i)];
    const ConstView<float> xi = i == 0 ? cview(x, kRows) : cview(p.acts[static_cast<std::size_t>(i - 1)], kRows);
    dx.assign(static_cast<std::size_t>(xi.size()), 0.0f);
    View<float> dxv(dx.data(), kRows, xi.cols);
    net.layer(i).backward(xi, cview(a, kRows), ConstView<float>(dy.data(), kRows, numel(net.layer_output_shape(i))),
                          i == 0 ? nullptr : &dxv);
    dy = dx;
  }
  for (Param<float>* q : net.params()) p.grads.emplace_back(q->grad.data(), q->grad.data() + q->grad.size());
  return p;
}

void expect_same(const Pass& got, const Pass& want, Net<float>& net, const std::string& how) {
  for (std::size_t i = 0; i < want.acts.size(); ++i) EXPECT_EQ(got.acts[i], want.acts[i]) << "layers." << i << ", " << how;
  const std::vector<Param<float>*> params = net.params();
  for (std::size_t j = 0; j < params.size(); ++j) EXPECT_EQ(got.grads[j], want.grads[j]) << params[j]->name << ", " << how;
}

TEST(NetFusion, FusedPathsGiveTheLayersOwnBits) {
  const int threads = omp_get_max_threads();
  // One channel: the first block; three: the blocked handoff at layer 0 too. Odd sides: a row and
  // a column no pool covers.
  for (const Shape& input : {Shape{1, 12, 12}, Shape{1, 9, 11}, Shape{3, 10, 10}}) {
    Net<float> net(model_spec(input, "softmax_cross_entropy", cnn()), 10, kRows);
    Rng rng(9);
    net.init(rng);
    std::vector<float> x(static_cast<std::size_t>(kRows * numel(input)));
    for (float& v : x) v = static_cast<float>(rng.normal(0, 1));
    const std::string shape = shape_str(input);
    omp_set_num_threads(1);  // the first block example by example
    expect_same(through_net(net, x), one_by_one(net, x), net, "one thread, " + shape);
    Pass in_region, want;
#pragma omp parallel num_threads(2)
    if (omp_get_thread_num() == 0) {  // as a thread shard: a region of its own; the others idle
      omp_set_num_threads(1);
      in_region = through_net(net, x);
      want = one_by_one(net, x);
    }
    expect_same(in_region, want, net, "inside a parallel region, " + shape);
    omp_set_num_threads(2);  // the layers one after the other over two threads
    expect_same(through_net(net, x), one_by_one(net, x), net, "two threads, " + shape);
    omp_set_num_threads(threads);
  }
}

// A reconstruction target that is a relu's output before a pool (model.target_layer): the fused
// forward skips writing it, so Net::forward makes it before the loss reads its buffer.
TEST(NetFusion, AReconstructionTargetSkippedByTheFusionIsStillMade) {
  ModelSpec spec = model_spec(
      {1, 6, 6}, "mse",
      {layer_spec("conv2d", {{"out", std::int64_t{2}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}}),
       layer_spec("relu"), layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}), layer_spec("flatten"),
       layer_spec("linear", {{"out", std::int64_t{72}}})});
  spec.target = TargetKind::input;
  spec.target_layer = 1;
  Net<float> net(spec, 0, kRows);
  Rng rng(3);
  net.init(rng);
  std::vector<float> x(kRows * 36);
  for (float& v : x) v = static_cast<float>(rng.normal(0, 1));
  const float* target = net.reconstruction_targets(x.data()).values;
  net.forward(cview(x, kRows), StepContext{Mode::train, nullptr, nullptr});
  std::vector<float> conv(kRows * 72);
  net.layer(0).forward(cview(x, kRows), View<float>(conv.data(), kRows, 72), StepContext{Mode::train, nullptr, nullptr});
  for (std::size_t i = 0; i < conv.size(); ++i) ASSERT_EQ(target[i], conv[i] > 0 ? conv[i] : 0.0f) << i;
}

}  // namespace
}  // namespace gradnet
