// The inference path (gradnet eval / predict / report): an inference net holds no gradients and
// computes what a training net computes; evaluation reads byte rows a pass at a time with the bits
// of float rows; a run directory evaluated later gives the figures of the run's own summary.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "configs.h"
#include "gradnet/data/load.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/metrics.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/trainer.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;

Config tiny(const std::vector<std::string>& overrides = {}) {
  return parse_config(testing::tiny_mnist_config(testing::mnist_dir()), "tiny.toml", overrides);
}

bool same_bits(const float* a, const float* b, Index n) {
  return std::memcmp(a, b, sizeof(float) * static_cast<std::size_t>(n)) == 0;
}

TEST(Inference, AnInferenceNetHoldsNoGradientsAndComputesTheSame) {
  const Config c = tiny();
  Net<float> train(c.model, 10, 64), infer(c.model, 10, 64, NetUse::inference);
  Rng r1 = Rng::stream(7, "init"), r2 = Rng::stream(7, "init");
  train.init(r1);
  infer.init(r2);
  EXPECT_GT(train.gradient_elements(), 0);
  EXPECT_EQ(infer.gradient_elements(), 0);
  EXPECT_TRUE(infer.inference());
  for (Param<float>* p : infer.params()) EXPECT_EQ(p->grad.size(), 0) << p->name;
  std::vector<float> x(64 * 784);
  Rng rx(3);
  for (float& v : x) v = static_cast<float>(rx.normal());
  const StepContext eval{Mode::eval, nullptr};
  const ConstView<float> a = train.forward(ConstView<float>(x.data(), 64, 784), eval);
  const ConstView<float> b = infer.forward(ConstView<float>(x.data(), 64, 784), eval);
  EXPECT_TRUE(same_bits(a.data, b.data, a.size()));
}

TEST(Inference, EvaluatingByteRowsGivesTheFiguresOfFloatRows) {
  const PreparedData p = prepare_data(tiny());
  const Dataset& bytes = p.splits.test;
  ASSERT_TRUE(bytes.byte_rows);  // MNIST stays bytes; standardize is applied per pass
  Dataset floats = slice(bytes, 0, bytes.size());
  to_float_rows(floats);
  Net<float> net(p.config.model, p.classes, 64, NetUse::inference);
  Rng rng = Rng::stream(7, "init");
  net.init(rng);
  for (Index pass : {Index{64}, Index{37}}) {
    Tensor<float> probs;
    const EvalResult a = evaluate(net, bytes, pass, &probs);
    const EvalResult b = evaluate(net, floats, pass);
    EXPECT_EQ(std::memcmp(&a.loss, &b.loss, sizeof(double)), 0) << a.loss << " vs " << b.loss;
    EXPECT_EQ(a.accuracy, b.accuracy);
    EXPECT_EQ(a.confusion, b.confusion);
    const Tensor<float> reference = predict_probabilities(net, floats, pass);
    ASSERT_EQ(probs.size(), reference.size());
    EXPECT_TRUE(same_bits(probs.data(), reference.data(), probs.size()));
  }
}

// What `gradnet eval RUNDIR` computes: an inference net sized to the run's evaluation pass (the
// training batch by default) on the test split alone, equal to the run's summary to the bit.
TEST(Inference, ARunEvaluatedLaterGivesItsSummaryFigures) {
  TempDir tmp;
  TrainOptions options;
  options.out_dir = tmp / "run";
  Trainer trainer(tiny({"train.epochs=1"}), options);
  struct Quiet : TrainCallbacks {} quiet;
  add_standard_callbacks(trainer, quiet);
  const Summary s = trainer.run();
  LoadedModel m = load_model(s.run_dir);
  EXPECT_TRUE(m.net->inference());
  EXPECT_EQ(m.net->gradient_elements(), 0);
  EXPECT_EQ(m.net->max_batch(), 64);  // train.batch_size: eval_batch_size = 0
  EXPECT_EQ(eval_batch_size(m.config.train), 64);
  Dataset test = load_test_split(m.config.data, m.run_dir, m.config.train.seed);
  EXPECT_EQ(test.size(), 500);
  m.normalizer.apply(test);
  const EvalResult r = evaluate(*m.net, test, eval_batch_size(m.config.train));
  EXPECT_EQ(std::memcmp(&r.loss, &s.test_loss, sizeof(double)), 0) << r.loss << " vs " << s.test_loss;
  EXPECT_EQ(r.accuracy, s.test_accuracy);
}

}  // namespace
}  // namespace gradnet
