#include "gradnet/train/evaluate.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <limits>

namespace gradnet {

void argmax_rows(ConstView<float> rows, std::int32_t* out) {
  for (Index i = 0; i < rows.rows; ++i) {
    const float* r = rows.row(i);
    out[i] = static_cast<std::int32_t>(std::max_element(r, r + rows.cols) - r);
  }
}

namespace {

// Correct predictions and the confusion matrix of some passes: integers, so the sum of the
// threads' tallies does not depend on which thread ran which pass.
struct Tally {
  Index correct = 0;
  std::vector<std::vector<Index>> confusion;
  std::vector<std::int32_t> predicted;  // one pass's argmax
  std::vector<float> scratch;           // one pass of converted byte rows
};

// One forward pass over rows [begin, begin + n): the pass's loss times n (summed in pass order by
// the caller), its predictions counted into tally, its probabilities into probs.
double run_pass(Net<float>& net, const Dataset& data, Index begin, Index n, Tensor<float>* probs, Tally& tally) {
  const StepContext ctx{Mode::eval, nullptr};
  const std::int32_t* labels = data.y.data() + begin;
  const ConstView<float> x = data.rows(begin, n, tally.scratch);
  const ConstView<float> out = net.forward(x, ctx);
  const double loss =
      net.loss(net.reconstructs() ? net.reconstruction_targets(x.data) : Targets<float>(labels)) * static_cast<double>(n);
  const Index outputs = out.cols;
  if (probs) net.loss_fn().predict(out, View<float>{probs->data() + begin * outputs, n, outputs});
  if (net.reconstructs()) return loss;  // no classes: the loss is the result
  tally.predicted.resize(static_cast<std::size_t>(n));
  argmax_rows(out, tally.predicted.data());
  for (Index i = 0; i < n; ++i) {
    tally.correct += tally.predicted[i] == labels[i] ? 1 : 0;
    ++tally.confusion[labels[i]][tally.predicted[i]];
  }
  return loss;
}

// Threads for an evaluation: each runs whole passes on its own inference copy of the net, one pass
// at a time (a late thread, e.g. on a core another process holds, takes fewer passes) instead of
// every layer splitting every pass and all threads meeting after each layer. A pass's result does
// not depend on which copy ran it, and the losses are summed in pass order: the figures are the
// same from run to run at a given train.threads.
int pass_threads(Index passes) {
  if (passes < 2 || omp_in_parallel()) return 1;
  return static_cast<int>(std::min<Index>(omp_get_max_threads(), passes));
}

}  // namespace

EvalResult evaluate(Net<float>& net, const Dataset& data, Index batch_size, Tensor<float>* probs) {
  EvalResult result;
  result.examples = data.size();
  const Index classes = net.reconstructs() ? 0 : std::max<Index>(data.classes, numel(net.output_shape()));
  const auto empty_confusion = [&] {
    return std::vector<std::vector<Index>>(static_cast<std::size_t>(classes),
                                           std::vector<Index>(static_cast<std::size_t>(classes), 0));
  };
  result.confusion = empty_confusion();
  const Index outputs = numel(net.output_shape());
  if (probs) probs->resize({data.size(), outputs});
  if (data.size() == 0) return result;
  const Index batch = std::min(batch_size, net.max_batch());
  const Index passes = (data.size() + batch - 1) / batch;
  const int threads = pass_threads(passes);
  std::vector<double> pass_loss(static_cast<std::size_t>(passes), 0.0);
  std::vector<Tally> tallies(static_cast<std::size_t>(threads));
  for (Tally& t : tallies) t.confusion = empty_confusion();
  const auto pass = [&](Net<float>& n, Index p, Tally& t) {
    const Index begin = p * batch;
    pass_loss[static_cast<std::size_t>(p)] = run_pass(n, data, begin, std::min(batch, data.size() - begin), probs, t);
  };
  if (threads == 1) {
    for (Index p = 0; p < passes; ++p) pass(net, p, tallies[0]);
  } else {
    const std::vector<Net<float>*> nets = net.eval_replicas(threads, batch);
    std::exception_ptr error;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num();
      omp_set_num_threads(1);  // what this thread calls runs on it alone (oneDNN sizes its primitives by this)
#pragma omp for schedule(dynamic, 1)
      for (Index p = 0; p < passes; ++p) {
        try {
          pass(*nets[static_cast<std::size_t>(t)], p, tallies[static_cast<std::size_t>(t)]);
        } catch (...) {
#pragma omp critical(gradnet_evaluate_error)
          if (!error) error = std::current_exception();
        }
      }
    }
    if (error) std::rethrow_exception(error);
  }
  double loss_sum = 0;
  for (double l : pass_loss) loss_sum += l;
  Index correct = 0;
  for (const Tally& t : tallies) {
    correct += t.correct;
    for (Index a = 0; a < classes; ++a)
      for (Index b = 0; b < classes; ++b) result.confusion[a][b] += t.confusion[a][b];
  }
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = net.reconstructs() ? std::numeric_limits<double>::quiet_NaN()
                                       : static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

}  // namespace gradnet
