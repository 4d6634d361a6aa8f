// Classification metrics from class scores (N x K probabilities, or any scores that rank the
// classes) and integer labels, with sklearn's definitions so numbers can be checked there:
//   accuracy, top-k accuracy (k = 1, 3, 5 where k < K; ties go to the lower class index, as
//   argmax_rows does, so top-1 = accuracy), per-class precision / recall / F1 / support
//   (0 where the denominator is 0: sklearn's zero_division=0), macro and support-weighted
//   averages, the confusion matrix, and one-vs-rest ROC and precision-recall curves:
//   * ROC: one point per distinct score (ties move together), from (0, 0) to (1, 1); AUC by the
//     trapezoid rule, which equals the Mann-Whitney U / (P * N): the probability that a random
//     positive scores above a random negative, ties counting one half (roc_auc_score).
//   * PR: one point per distinct score, recall rising, and the start point (recall 0,
//     precision 1) (precision_recall_curve); average precision = sum over thresholds of
//     (R_n - R_{n-1}) * P_n, the step-wise area without interpolation (average_precision_score).
//   Both are NaN for a class without positives (and ROC also without negatives); macro
//   averages skip NaN classes.
#pragma once

#include <cstdint>
#include <vector>

#include "gradnet/data/dataset.h"
#include "gradnet/net.h"
#include "gradnet/tensor.h"

namespace gradnet {

struct Curve {
  std::vector<double> x, y;  // ROC: x = false positive rate, y = true positive rate;
                             // PR: x = recall, y = precision
};

// scores[i]: how strongly example i is called positive; positive[i]: its true label.
Curve roc_curve(const std::vector<double>& scores, const std::vector<bool>& positive);
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);  // NaN if undefined
Curve pr_curve(const std::vector<double>& scores, const std::vector<bool>& positive);
double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive);
double trapezoid_area(const Curve& curve);  // sklearn.metrics.auc(x, y)

// Share of rows whose label is among the k highest scores (ties: the lower class index ranks first).
double top_k_accuracy(ConstView<float> probs, const std::int32_t* labels, Index k);

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  Index support = 0;      // true examples of the class
  Index predicted = 0;    // examples predicted as the class
  double roc_auc = 0;     // one-vs-rest; NaN without positives or negatives
  double average_precision = 0;  // NaN without positives
};

struct AveragedMetrics {
  double precision = 0, recall = 0, f1 = 0;
};

struct TopK {
  Index k = 1;
  double accuracy = 0;
};

struct ClassificationMetrics {
  Index examples = 0;
  Index classes = 0;
  double accuracy = 0;
  std::vector<TopK> top_k;                    // k = 1, 3, 5 where k < classes (always k = 1)
  std::vector<ClassMetrics> per_class;
  // Macro: unweighted mean over the classes that occur (support > 0 or predicted at least once,
  // sklearn's default label set); weighted: weighted by support.
  AveragedMetrics macro, weighted;
  double macro_roc_auc = 0, macro_average_precision = 0;  // mean over classes where defined
  std::vector<std::vector<Index>> confusion;  // confusion[true][predicted]
  std::vector<std::int32_t> predicted;        // argmax of each row
  std::vector<Curve> roc, pr;                 // per class (empty curves where undefined)
};

// probs: (N, K) class scores; labels: N values in [0, K). Error{shape} for a label out of range.
ClassificationMetrics classification_metrics(ConstView<float> probs, const std::int32_t* labels);

// The model's class probabilities for every row of data (already normalized), in eval mode:
// net.loss_fn().predict of the outputs (softmax for cross-entropy, the raw outputs for mse).
// Forward passes of min(batch_size, net.max_batch()) rows (each row's output is its own).
Tensor<float> predict_probabilities(Net<float>& net, const Dataset& data, Index batch_size);

}  // namespace gradnet
