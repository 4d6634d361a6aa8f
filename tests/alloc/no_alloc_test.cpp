// The engine's rule "a step allocates nothing" (docs/architecture.md). Counted: global operator new is replaced in this test
// binary of its own (area "alloc"),
// and every allocation inside the measured window fails the test.
#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "gradnet/data/batcher.h"
#include "gradnet/layer_registry.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/threads.h"
#include "gradnet/train/step.h"

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gradnet {
namespace {

LayerSpec spec(const std::string& type, Index index, std::map<std::string, Value> attrs = {}) {
  return LayerSpec{type, index, std::move(attrs)};
}

TEST(NoAllocation, TrainingStepsOfTheSeedMlpAllocateNothing) {
  ModelSpec m;
  m.input = {784};
  m.layers = {spec("linear", 0, {{"out", std::int64_t(64)}}), spec("sigmoid", 1),
              spec("linear", 2, {{"out", std::int64_t(16)}}), spec("tanh", 3),
              spec("linear", 4, {{"out", std::int64_t(10)}})};
  Net<float> net(m, 10, 128);
  Rng rng(1);
  net.init(rng);
  OptimizerOptions oc = OptimizerOptions::of(OptimizerType::sgd);
  oc.sgd().momentum = 0.9;
  auto opt = make_optimizer(oc, net.params());

  Dataset d;
  d.shape = {784};
  d.x = Tensor<float>({1000, 784});
  for (Index i = 0; i < d.x.size(); ++i) d.x[i] = static_cast<float>(rng.normal());
  for (Index i = 0; i < 1000; ++i) d.y.push_back(static_cast<std::int32_t>(i % 10));
  d.classes = 10;
  Batcher batcher(d, 128, true, Rng(2));
  batcher.start_epoch();
  TrainStep train_step(net, *opt, Rng(3));  // the step train, lr-find and sanity run
  auto step = [&] {
    Batch b;
    if (!batcher.next(b)) {
      batcher.start_epoch();
      batcher.next(b);
    }
    train_step.run(b.x, b.y, 0.1);
  };
  step();  // the first step may set lazy state up
  const long before = g_allocations.load();
  for (int i = 0; i < 20; ++i) step();  // crosses an epoch boundary (8 batches per epoch)
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations during 20 training steps";
}

// Thread shards (train/step.h): after the first step planned the shards' nets, a step split over
// two threads allocates nothing either. W2's MLP at batch 128 is large enough to be split.
TEST(NoAllocation, TrainingStepsSplitOverThreadsAllocateNothing) {
  ASSERT_EQ(set_threads(2), 2) << "needs two cores (or an address-space limit that allows two threads): the split is what is tested";
  ModelSpec m;
  m.input = {784};
  m.layers = {spec("linear", 0, {{"out", std::int64_t(512)}}), spec("relu", 1),
              spec("linear", 2, {{"out", std::int64_t(256)}}), spec("relu", 3),
              spec("linear", 4, {{"out", std::int64_t(10)}})};
  Net<float> net(m, 10, 128);
  Rng rng(1);
  net.init(rng);
  auto opt = make_optimizer(OptimizerOptions::of(OptimizerType::adam), net.params());
  Tensor<float> x({128, 784});
  for (Index i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.normal());
  std::vector<std::int32_t> y(128);
  for (Index i = 0; i < 128; ++i) y[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i % 10);
  TrainStep train_step(net, *opt, Rng(3));
  train_step.set_thread_shards(true);
  train_step.run(ConstView<float>(x.data(), 128, 784), y.data(), 1e-3);
  ASSERT_EQ(train_step.last_shards(), 2) << "the step was not split: the test checks nothing";
  const long before = g_allocations.load();
  for (int i = 0; i < 10; ++i) train_step.run(ConstView<float>(x.data(), 128, 784), y.data(), 1e-3);
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations during 10 steps split over 2 threads";
}

}  // namespace
}  // namespace gradnet
