// Thread shards (include/gradnet/train/step.h): a batch's rows split over two threads, each
// stepping its own copy of the net (on the net's own weights), give the update one thread gives (up to the order of the
// sums), repeat themselves bit for bit, leave nets with batch statistics alone, and evaluation
// passes run side by side give the figures of one thread.
#include <cmath>

#include <gtest/gtest.h>

#include "gradnet/layer_registry.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/threads.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/step.h"

namespace gradnet {
namespace {

LayerSpec spec(const std::string& type, Index index, std::map<std::string, Value> attrs = {}) {
  return LayerSpec{type, index, std::move(attrs)};
}

ModelSpec mlp(bool dropout = false, bool batch_norm = false) {
  ModelSpec m;
  m.input = {784};
  m.layers.push_back(spec("linear", 0, {{"out", std::int64_t(256)}}));
  m.layers.push_back(spec("relu", 1));
  if (dropout) m.layers.push_back(spec("dropout", 2, {{"rate", 0.5}}));
  if (batch_norm) m.layers.push_back(spec("batch_norm", 2));
  m.layers.push_back(spec("linear", static_cast<Index>(m.layers.size()), {{"out", std::int64_t(10)}}));
  return m;
}

ModelSpec convnet() {  // conv2d's oneDNN primitives inside the threads' region (a hang once)
  ModelSpec m;
  m.input = {1, 28, 28};
  m.layers = {spec("conv2d", 0, {{"out", std::int64_t(16)}, {"kernel", std::int64_t(3)}, {"padding", std::int64_t(1)}}),
              spec("relu", 1), spec("max_pool2d", 2, {{"kernel", std::int64_t(2)}}), spec("flatten", 3),
              spec("linear", 4, {{"out", std::int64_t(64)}}), spec("relu", 5), spec("linear", 6, {{"out", std::int64_t(10)}})};
  return m;
}

struct Batch128 {
  Tensor<float> x;
  std::vector<std::int32_t> y;
  explicit Batch128(Index features) : x({128, features}) {
    Rng rng(7);
    for (Index i = 0; i < x.size(); ++i) x[i] = static_cast<float>(rng.uniform());
    for (Index i = 0; i < 128; ++i) y.push_back(static_cast<std::int32_t>((i * 7) % 10));
  }
};

struct Trained {
  std::vector<float> weights;
  std::vector<double> losses;
  int shards = 0;
};

// steps steps (Adam, or SGD: its update scales with the gradient, so a wrong share shows) on the
// same batch from the same init; shards on or off.
Trained train(const ModelSpec& m, bool shards, int steps = 10, OptimizerType type = OptimizerType::adam) {
  Net<float> net(m, 10, 128);
  Rng rng(1);
  net.init(rng);
  auto opt = make_optimizer(OptimizerOptions::of(type), net.params());
  const Batch128 b(numel(m.input));
  TrainStep step(net, *opt, Rng(3));
  step.set_thread_shards(shards);
  Trained r;
  for (int i = 0; i < steps; ++i) {
    r.losses.push_back(step.run(ConstView<float>(b.x.data(), 128, numel(m.input)), b.y.data(), type == OptimizerType::sgd ? 0.1 : 1e-3).loss);
    r.shards = std::max(r.shards, step.last_shards());
  }
  for (Param<float>* p : net.params()) r.weights.insert(r.weights.end(), p->value.data(), p->value.data() + p->value.size());
  return r;
}

class StepShards : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(set_threads(2), 2) << "needs two cores (or an address-space limit that allows two threads): the split is what is tested";
  }
  void TearDown() override { set_threads(1); }
};

void expect_close(const Trained& a, const Trained& b, double tol) {
  ASSERT_EQ(a.weights.size(), b.weights.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.weights.size(); ++i) worst = std::max(worst, std::abs(double(a.weights[i]) - b.weights[i]));
  EXPECT_LT(worst, tol) << "largest weight difference after the steps";
  for (std::size_t i = 0; i < a.losses.size(); ++i) EXPECT_NEAR(a.losses[i], b.losses[i], 1e-5) << "step " << i + 1;
}

// mlp() stepping with SGD (its update scales with the gradient) on Batch128's first rows, from
// the same init; shards on or off.
struct SgdSteps {
  Net<float> net{mlp(), 10, 128};
  std::unique_ptr<Optimizer<float>> opt = initialised_sgd(net);
  const Batch128 b{784};
  TrainStep step{net, *opt, Rng(3)};
  explicit SgdSteps(bool shards) { step.set_thread_shards(shards); }
  static std::unique_ptr<Optimizer<float>> initialised_sgd(Net<float>& n) {
    Rng rng(1);
    n.init(rng);
    return make_optimizer(OptimizerOptions::of(OptimizerType::sgd), n.params());
  }
  double run(Index rows) { return step.run(ConstView<float>(b.x.data(), rows, 784), b.y.data(), 0.1).loss; }
  std::vector<float> weights() {
    std::vector<float> w;
    for (Param<float>* p : net.params()) w.insert(w.end(), p->value.data(), p->value.data() + p->value.size());
    return w;
  }
};

TEST_F(StepShards, TwoThreadsGiveOneThreadsUpdate) {
  for (const OptimizerType type : {OptimizerType::sgd, OptimizerType::adam}) {
    const Trained split = train(mlp(), true, 10, type), whole = train(mlp(), false, 10, type);
    EXPECT_EQ(split.shards, 2);
    EXPECT_EQ(whole.shards, 1);
    expect_close(split, whole, 1e-5);
  }
}

TEST_F(StepShards, RepeatBitForBit) {
  const Trained a = train(mlp(true), true), b = train(mlp(true), true);
  EXPECT_EQ(a.shards, 2);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.losses, b.losses);
}

// The shards read net_'s weights in place; a param given new storage between steps (a checkpoint
// or init_from loads that way) must reach every shard at the next step.
TEST_F(StepShards, WeightsGivenNewStorageBetweenStepsReachEveryShard) {
  const auto run = [](bool shards) {
    SgdSteps s(shards);
    Trained r;
    for (int i = 0; i < 6; ++i) {
      if (i == 3)
        for (Param<float>* p : s.net.params()) {
          std::vector<float> halved = p->value.to_vector();
          for (float& v : halved) v *= 0.5f;
          p->value.assign(std::move(halved));
        }
      r.losses.push_back(s.run(128));
      r.shards = std::max(r.shards, s.step.last_shards());
    }
    r.weights = s.weights();
    return r;
  };
  const Trained split = run(true), whole = run(false);
  EXPECT_EQ(split.shards, 2);
  expect_close(split, whole, 1e-5);
}

// A split step leaves the linear layers' weight gradients to its grad-sum meeting (over both
// shards' rows at once); a step too small to split that follows must take them in backward again.
// SGD: a weight gradient left out would leave the weights where the split step put them.
TEST_F(StepShards, AStepTooSmallToSplitAfterASplitOneTakesEveryWeightGradient) {
  const auto run = [](bool shards, std::vector<int>* split) {
    SgdSteps s(shards);
    Trained r;
    for (const Index rows : {128, 8, 128, 8, 8}) {
      r.losses.push_back(s.run(rows));
      split->push_back(s.step.last_shards());
    }
    r.weights = s.weights();
    return r;
  };
  std::vector<int> split_shards, whole_shards;
  const Trained split = run(true, &split_shards), whole = run(false, &whole_shards);
  EXPECT_EQ(split_shards, (std::vector<int>{2, 1, 2, 1, 1}));
  EXPECT_EQ(whole_shards, (std::vector<int>{1, 1, 1, 1, 1}));
  expect_close(split, whole, 1e-5);
}

// A step that ends after the loss (a non-finite loss, lr-find's divergence) leaves every grad
// zero, as an unsplit step does, though the split step zeroes no deferred weight grad up front.
TEST_F(StepShards, AStepEndedAfterTheLossLeavesEveryGradZero) {
  struct EndAfterLoss : StepObserver {
    bool after_loss(double) override { return false; }
  } end;
  SgdSteps s(true);
  s.run(128);  // a whole split step: the weights' grads hold its gradient
  ASSERT_EQ(s.step.last_shards(), 2);
  const StepResult r = s.step.run(ConstView<float>(s.b.x.data(), 128, 784), s.b.y.data(), 0.1, end);
  EXPECT_FALSE(r.updated);
  EXPECT_EQ(s.step.last_shards(), 2);
  for (Param<float>* p : s.net.params()) {
    Index nonzero = 0;
    for (Index i = 0; i < p->grad.size(); ++i) nonzero += p->grad.data()[i] != 0.0f;
    EXPECT_EQ(nonzero, 0) << p->name;
  }
}

TEST_F(StepShards, ConvolutionsSplitAndAgree) {
  const Trained split = train(convnet(), true, 4), whole = train(convnet(), false, 4);
  EXPECT_EQ(split.shards, 2);
  expect_close(split, whole, 1e-5);
}

TEST_F(StepShards, BatchNormIsNotSplit) {
  EXPECT_EQ(train(mlp(false, true), true, 2).shards, 1) << "batch statistics span the whole batch";
}

TEST_F(StepShards, SmallNetsAreNotSplit) {  // waking a thread costs more than it saves (W1)
  ModelSpec m;
  m.input = {784};
  m.layers = {spec("linear", 0, {{"out", std::int64_t(64)}}), spec("sigmoid", 1), spec("linear", 2, {{"out", std::int64_t(10)}})};
  EXPECT_EQ(train(m, true, 1).shards, 1);
}

TEST_F(StepShards, EvaluationSideBySideGivesOneThreadsFigures) {
  Net<float> net(convnet(), 10, 128);
  Rng rng(1);
  net.init(rng);
  Dataset d;
  d.shape = {1, 28, 28};
  d.classes = 10;
  d.x = Tensor<float>({300, 784});
  for (Index i = 0; i < d.x.size(); ++i) d.x[i] = static_cast<float>(rng.uniform());
  for (Index i = 0; i < 300; ++i) d.y.push_back(static_cast<std::int32_t>(i % 10));
  const EvalResult two = evaluate(net, d, 20), again = evaluate(net, d, 20);
  set_threads(1);
  const EvalResult one = evaluate(net, d, 20);
  EXPECT_EQ(two.loss, again.loss);
  EXPECT_NEAR(two.loss, one.loss, 1e-6 * std::abs(one.loss));
  EXPECT_EQ(two.accuracy, one.accuracy);
  EXPECT_EQ(two.confusion, one.confusion);
}

}  // namespace
}  // namespace gradnet
