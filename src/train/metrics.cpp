#include "gradnet/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gradnet/error.h"
#include "gradnet/train/evaluate.h"

namespace gradnet {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Indices of scores in decreasing order (stable, so equal scores keep their order).
std::vector<std::size_t> by_decreasing_score(const std::vector<double>& scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Calls emit(tp, fp) after each group of equal scores, walking from the highest score down.
template <typename Emit>
void walk_thresholds(const std::vector<double>& scores, const std::vector<bool>& positive, Emit emit) {
  GRADNET_ASSERT(scores.size() == positive.size());
  const std::vector<std::size_t> order = by_decreasing_score(scores);
  Index tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (positive[order[i]]) ++tp; else ++fp;
    if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]]) emit(tp, fp);
  }
}

Index count_positive(const std::vector<bool>& positive) {
  return static_cast<Index>(std::count(positive.begin(), positive.end(), true));
}

double mean_defined(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v)
    if (!std::isnan(x)) {
      sum += x;
      ++n;
    }
  return n ? sum / n : kNaN;
}

}  // namespace

Curve roc_curve(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const Index p = count_positive(positive);
  const Index n = static_cast<Index>(positive.size()) - p;
  Curve c;
  if (p == 0 || n == 0) return c;
  c.x.push_back(0);
  c.y.push_back(0);
  walk_thresholds(scores, positive, [&](Index tp, Index fp) {
    c.x.push_back(static_cast<double>(fp) / static_cast<double>(n));
    c.y.push_back(static_cast<double>(tp) / static_cast<double>(p));
  });
  return c;
}

double trapezoid_area(const Curve& curve) {
  double area = 0;
  for (std::size_t i = 1; i < curve.x.size(); ++i)
    area += (curve.x[i] - curve.x[i - 1]) * (curve.y[i] + curve.y[i - 1]) / 2;
  return area;
}

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const Curve c = roc_curve(scores, positive);
  return c.x.empty() ? kNaN : trapezoid_area(c);
}

Curve pr_curve(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const Index p = count_positive(positive);
  Curve c;
  if (p == 0) return c;
  c.x.push_back(0);
  c.y.push_back(1);
  walk_thresholds(scores, positive, [&](Index tp, Index fp) {
    c.x.push_back(static_cast<double>(tp) / static_cast<double>(p));
    c.y.push_back(static_cast<double>(tp) / static_cast<double>(tp + fp));
  });
  return c;
}

double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const Curve c = pr_curve(scores, positive);
  if (c.x.empty()) return kNaN;
  double ap = 0;
  for (std::size_t i = 1; i < c.x.size(); ++i) ap += (c.x[i] - c.x[i - 1]) * c.y[i];
  return ap;
}

double top_k_accuracy(ConstView<float> probs, const std::int32_t* labels, Index k) {
  if (probs.rows == 0) return 0;
  Index hits = 0;
  for (Index i = 0; i < probs.rows; ++i) {
    const float* r = probs.row(i);
    const std::int32_t y = labels[i];
    Index rank = 0;  // classes ranked above the true one
    for (Index j = 0; j < probs.cols; ++j)
      if (r[j] > r[y] || (r[j] == r[y] && j < y)) ++rank;
    hits += rank < k ? 1 : 0;
  }
  return static_cast<double>(hits) / static_cast<double>(probs.rows);
}

ClassificationMetrics classification_metrics(ConstView<float> probs, const std::int32_t* labels) {
  ClassificationMetrics m;
  const Index n = probs.rows, k = probs.cols;
  m.examples = n;
  m.classes = k;
  for (Index i = 0; i < n; ++i)
    GRADNET_CHECK(labels[i] >= 0 && labels[i] < k, shape, "label {} of example {} is outside [0, {})", labels[i],
                  i, k);
  const auto K = static_cast<std::size_t>(k);
  m.confusion.assign(K, std::vector<Index>(K, 0));
  m.predicted.resize(static_cast<std::size_t>(n));
  argmax_rows(probs, m.predicted.data());
  Index correct = 0;
  for (Index i = 0; i < n; ++i) {
    ++m.confusion[labels[i]][m.predicted[i]];
    correct += m.predicted[i] == labels[i] ? 1 : 0;
  }
  m.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  for (Index kk : {1, 3, 5})
    if (kk == 1 || kk < k) m.top_k.push_back({kk, top_k_accuracy(probs, labels, kk)});

  m.per_class.resize(K);
  m.roc.resize(K);
  m.pr.resize(K);
  std::vector<double> scores(static_cast<std::size_t>(n));
  std::vector<bool> positive(static_cast<std::size_t>(n));
  std::vector<double> aucs, aps;
  Index occurring = 0;
  for (Index c = 0; c < k; ++c) {
    ClassMetrics& cm = m.per_class[c];
    const Index tp = m.confusion[c][c];
    for (Index j = 0; j < k; ++j) {
      cm.support += m.confusion[c][j];
      cm.predicted += m.confusion[j][c];
    }
    cm.precision = cm.predicted ? static_cast<double>(tp) / static_cast<double>(cm.predicted) : 0;
    cm.recall = cm.support ? static_cast<double>(tp) / static_cast<double>(cm.support) : 0;
    cm.f1 = cm.precision + cm.recall > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall) : 0;
    for (Index i = 0; i < n; ++i) {
      scores[i] = probs(i, c);
      positive[i] = labels[i] == c;
    }
    m.roc[c] = roc_curve(scores, positive);
    m.pr[c] = pr_curve(scores, positive);
    cm.roc_auc = m.roc[c].x.empty() ? kNaN : trapezoid_area(m.roc[c]);
    cm.average_precision = average_precision(scores, positive);
    aucs.push_back(cm.roc_auc);
    aps.push_back(cm.average_precision);
    if (cm.support > 0 || cm.predicted > 0) {
      ++occurring;
      m.macro.precision += cm.precision;
      m.macro.recall += cm.recall;
      m.macro.f1 += cm.f1;
    }
    if (n > 0) {
      const double w = static_cast<double>(cm.support) / static_cast<double>(n);
      m.weighted.precision += w * cm.precision;
      m.weighted.recall += w * cm.recall;
      m.weighted.f1 += w * cm.f1;
    }
  }
  if (occurring > 0) {
    m.macro.precision /= static_cast<double>(occurring);
    m.macro.recall /= static_cast<double>(occurring);
    m.macro.f1 /= static_cast<double>(occurring);
  }
  m.macro_roc_auc = mean_defined(aucs);
  m.macro_average_precision = mean_defined(aps);
  return m;
}

Tensor<float> predict_probabilities(Net<float>& net, const Dataset& data, Index batch_size) {
  const Index classes = numel(net.output_shape());
  const Index features = data.features();
  GRADNET_CHECK(features == numel(net.input_shape()), shape, "{} gives {} features per example, the model takes {}",
                data.source, features, numel(net.input_shape()));
  Tensor<float> probs({data.size(), classes});
  const Index batch = std::max<Index>(1, std::min(batch_size, net.max_batch()));
  const StepContext ctx{Mode::eval, nullptr};
  std::vector<float> scratch;  // converted byte rows, one batch
  for (Index begin = 0; begin < data.size(); begin += batch) {
    const Index rows = std::min(batch, data.size() - begin);
    ConstView<float> out = net.forward(data.rows(begin, rows, scratch), ctx);
    net.loss_fn().predict(out, View<float>{probs.data() + begin * classes, rows, classes});
  }
  return probs;
}

}  // namespace gradnet
