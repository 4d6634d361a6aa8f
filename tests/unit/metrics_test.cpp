// Classification metrics against values worked out by hand (and, where noted, the numbers
// sklearn's documentation prints for the same inputs).
#include "gradnet/train/metrics.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "gradnet/error.h"

using namespace gradnet;

namespace {

// Rows of a (n x k) score matrix, flattened.
struct Scores {
  std::vector<float> v;
  Index k;
  ConstView<float> view() const { return {v.data(), static_cast<Index>(v.size()) / k, k}; }
};

void expect_curve(const Curve& c, const std::vector<double>& x, const std::vector<double>& y) {
  ASSERT_EQ(c.x.size(), x.size());
  ASSERT_EQ(c.y.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(c.x[i], x[i], 1e-12) << "x[" << i << "]";
    EXPECT_NEAR(c.y[i], y[i], 1e-12) << "y[" << i << "]";
  }
}

}  // namespace

// sklearn's roc_auc_score / roc_curve / precision_recall_curve / average_precision_score
// docstring example: y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8].
// Sorted by score: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-), with P = N = 2:
//   ROC points (fpr, tpr): (0,0) (0,.5) (.5,.5) (.5,1) (1,1); AUC = .5*.5 + .5*1 = 0.75
//   PR points (recall, precision): (0,1) (.5,1) (.5,.5) (1,2/3) (1,.5)
//   AP = .5*1 + 0*.5 + .5*(2/3) + 0*.5 = 0.8333 (sklearn prints 0.83...)
TEST(Metrics, SklearnBinaryExample) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<bool> y = {false, false, true, true};
  expect_curve(roc_curve(s, y), {0, 0, 0.5, 0.5, 1}, {0, 0.5, 0.5, 1, 1});
  EXPECT_DOUBLE_EQ(roc_auc(s, y), 0.75);
  expect_curve(pr_curve(s, y), {0, 0.5, 0.5, 1, 1}, {1, 1, 0.5, 2.0 / 3, 0.5});
  EXPECT_NEAR(average_precision(s, y), 5.0 / 6, 1e-12);
  EXPECT_NEAR(trapezoid_area(pr_curve(s, y)), 0.5 * 1 + 0.5 * (0.5 + 2.0 / 3) / 2, 1e-12);
}

// Tied scores move together: one threshold, one diagonal step. y = [1, 0, 1, 0],
// s = [.5, .5, .9, .1]: (0,0) -> .9 (+): (0,.5) -> .5 (+,-): (.5,1) -> .1 (-): (1,1).
// AUC = 0 + .5*(.5+1)/2 + .5*1 = 0.875 = U/(P*N) with U = 3 wins + 1 tie * 1/2 = 3.5 of 4.
TEST(Metrics, TiesFormOneDiagonalStep) {
  const std::vector<double> s = {0.5, 0.5, 0.9, 0.1};
  const std::vector<bool> y = {true, false, true, false};
  expect_curve(roc_curve(s, y), {0, 0, 0.5, 1}, {0, 0.5, 1, 1});
  EXPECT_DOUBLE_EQ(roc_auc(s, y), 0.875);
  // PR: (0,1) -> .9: (.5, 1) -> .5: (1, 2/3) -> .1: (1, .5); AP = .5*1 + .5*2/3.
  EXPECT_NEAR(average_precision(s, y), 0.5 + 1.0 / 3, 1e-12);
}

// The trapezoid AUC equals the Mann-Whitney U statistic / (P * N) on data with many ties.
TEST(Metrics, RocAucEqualsMannWhitneyU) {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> level(0, 9);  // ten score levels: lots of ties
  std::bernoulli_distribution coin(0.3);
  std::vector<double> s(400);
  std::vector<bool> y(400);
  for (std::size_t i = 0; i < s.size(); ++i) {
    y[i] = coin(gen);
    s[i] = level(gen) / 10.0 + (y[i] ? 0.15 : 0.0);
  }
  double u = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j)
      if (y[i] && !y[j]) {
        pairs += 1;
        u += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  const double auc = roc_auc(s, y);
  EXPECT_NEAR(auc, u / pairs, 1e-12);
  EXPECT_GT(auc, 0.55);
  EXPECT_LT(auc, 0.95);
}

TEST(Metrics, UndefinedCurvesAreNaN) {
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {false, false})));  // no positives
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {true, true})));    // no negatives
  EXPECT_TRUE(std::isnan(average_precision({0.1, 0.2}, {false, false})));
  EXPECT_FALSE(std::isnan(average_precision({0.1, 0.2}, {true, true})));
  EXPECT_DOUBLE_EQ(average_precision({0.1, 0.2}, {true, true}), 1.0);
}

// sklearn's top_k_accuracy_score docstring: y = [0, 1, 2, 2], k = 2 gives 0.75
// (the last row's true class 2 scores lowest).
TEST(Metrics, TopKSklearnExample) {
  Scores p{{0.5f, 0.2f, 0.2f, 0.3f, 0.4f, 0.2f, 0.2f, 0.4f, 0.3f, 0.7f, 0.2f, 0.1f}, 3};
  const std::int32_t y[] = {0, 1, 2, 2};
  EXPECT_DOUBLE_EQ(top_k_accuracy(p.view(), y, 2), 0.75);
  EXPECT_DOUBLE_EQ(top_k_accuracy(p.view(), y, 1), 0.5);  // rows 0 and 1
  EXPECT_DOUBLE_EQ(top_k_accuracy(p.view(), y, 3), 1.0);
}

// A tie goes to the lower class index (argmax_rows' rule), so top-1 equals accuracy.
TEST(Metrics, TopOneEqualsAccuracyUnderTies) {
  Scores p{{0.4f, 0.4f, 0.2f, 0.3f, 0.3f, 0.4f}, 3};
  const std::int32_t y[] = {1, 0};
  ClassificationMetrics m = classification_metrics(p.view(), y);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.0);  // row 0 predicts 0 (tie), row 1 predicts 2
  ASSERT_EQ(m.top_k.size(), 1u);      // K = 3: only k = 1 (k < K)
  EXPECT_EQ(m.top_k[0].k, 1);
  EXPECT_DOUBLE_EQ(m.top_k[0].accuracy, m.accuracy);
  EXPECT_DOUBLE_EQ(top_k_accuracy(p.view(), y, 2), 1.0);
}

// sklearn's classification_report docstring: y_true = [0, 1, 2, 2, 2],
// y_pred = [0, 0, 2, 2, 1] prints
//   class 0: precision 0.50 recall 1.00 f1 0.67 support 1
//   class 1: precision 0.00 recall 0.00 f1 0.00 support 1
//   class 2: precision 1.00 recall 0.67 f1 0.80 support 3
//   accuracy 0.60; macro avg 0.50 0.56 0.49; weighted avg 0.70 0.60 0.61
TEST(Metrics, SklearnClassificationReportExample) {
  // Scores whose argmax is y_pred, with distinct values so the ROC is easy to follow.
  Scores p{{0.7f, 0.2f, 0.1f,    // true 0, predicted 0
            0.6f, 0.3f, 0.1f,    // true 1, predicted 0
            0.1f, 0.2f, 0.7f,    // true 2, predicted 2
            0.2f, 0.1f, 0.7f,    // true 2, predicted 2
            0.1f, 0.5f, 0.4f},   // true 2, predicted 1
           3};
  const std::int32_t y[] = {0, 1, 2, 2, 2};
  ClassificationMetrics m = classification_metrics(p.view(), y);
  EXPECT_EQ(m.examples, 5);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  const std::vector<std::vector<Index>> confusion = {{1, 0, 0}, {1, 0, 0}, {0, 1, 2}};
  EXPECT_EQ(m.confusion, confusion);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0);
  EXPECT_NEAR(m.per_class[0].f1, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 0.0);  // zero_division = 0
  EXPECT_DOUBLE_EQ(m.per_class[1].f1, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[2].precision, 1.0);
  EXPECT_NEAR(m.per_class[2].recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.per_class[2].f1, 0.8, 1e-12);
  EXPECT_EQ(m.per_class[2].support, 3);
  EXPECT_EQ(m.per_class[0].predicted, 2);
  EXPECT_NEAR(m.macro.precision, 0.5, 1e-12);
  EXPECT_NEAR(m.macro.recall, (1 + 0 + 2.0 / 3) / 3, 1e-12);          // 0.56
  EXPECT_NEAR(m.macro.f1, (2.0 / 3 + 0 + 0.8) / 3, 1e-12);            // 0.49
  EXPECT_NEAR(m.weighted.precision, (0.5 + 0 + 3 * 1.0) / 5, 1e-12);  // 0.70
  EXPECT_NEAR(m.weighted.recall, 0.6, 1e-12);
  EXPECT_NEAR(m.weighted.f1, (2.0 / 3 + 3 * 0.8) / 5, 1e-12);         // 0.61
  // One-vs-rest AUC by hand. Class 0: positive 0.7 vs negatives .6 .1 .2 .1: 4/4 = 1.
  // Class 1: positive 0.3 vs negatives .2 .2 .1 .5: 3 of 4 = 0.75.
  // Class 2: positives .7 .7 .4 vs negatives .1 .1: 6 of 6 = 1.
  EXPECT_DOUBLE_EQ(m.per_class[0].roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[1].roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(m.per_class[2].roc_auc, 1.0);
  EXPECT_NEAR(m.macro_roc_auc, 2.75 / 3, 1e-12);
  // Class 1 AP: order .5 (-), .3 (+), ...: recall jumps to 1 at precision 1/2.
  EXPECT_DOUBLE_EQ(m.per_class[1].average_precision, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[0].average_precision, 1.0);
  EXPECT_NEAR(m.macro_average_precision, 2.5 / 3, 1e-12);
  ASSERT_EQ(m.roc.size(), 3u);
  EXPECT_EQ(m.roc[1].x.front(), 0.0);
  EXPECT_EQ(m.roc[1].x.back(), 1.0);
}

// Classes that neither occur nor are predicted stay out of the macro mean (sklearn's label
// set); a class without positives has NaN AUC and stays out of the macro AUC.
TEST(Metrics, AbsentClassLeavesTheMacroAverages) {
  Scores p{{0.8f, 0.1f, 0.1f, 0.3f, 0.6f, 0.1f}, 3};
  const std::int32_t y[] = {0, 1};
  ClassificationMetrics m = classification_metrics(p.view(), y);
  EXPECT_DOUBLE_EQ(m.macro.f1, 1.0);
  EXPECT_TRUE(std::isnan(m.per_class[2].roc_auc));
  EXPECT_TRUE(m.roc[2].x.empty());
  EXPECT_DOUBLE_EQ(m.macro_roc_auc, 1.0);
}

TEST(Metrics, TopKListForTenClasses) {
  std::vector<float> v(10 * 4, 0.0f);
  for (int i = 0; i < 4; ++i)
    for (int c = 0; c < 10; ++c) v[i * 10 + c] = static_cast<float>(10 - c) / 55.0f;  // class 0 most likely
  Scores p{v, 10};
  const std::int32_t y[] = {0, 2, 4, 9};  // ranks 0, 2, 4, 9
  ClassificationMetrics m = classification_metrics(p.view(), y);
  ASSERT_EQ(m.top_k.size(), 3u);
  EXPECT_EQ(m.top_k[1].k, 3);
  EXPECT_DOUBLE_EQ(m.top_k[0].accuracy, 0.25);
  EXPECT_DOUBLE_EQ(m.top_k[1].accuracy, 0.5);
  EXPECT_DOUBLE_EQ(m.top_k[2].accuracy, 0.75);
}

TEST(Metrics, LabelOutOfRangeIsAShapeError) {
  Scores p{{0.5f, 0.5f}, 2};
  const std::int32_t y[] = {2};
  try {
    classification_metrics(p.view(), y);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("label 2 of example 0"), std::string::npos) << e.what();
  }
}
