// Numeric gradient check, public so that tests and `gradnet gradcheck` share it (dlib's
// test_layer, Caffe's GradientChecker). Everything runs in double.
//
// Each element's analytic gradient a is compared with the centred difference n of the loss
//   2-point: (f(x+h) - f(x-h)) / 2h
//   4-point: (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h     (error O(h^4))
// by the relative error |a - n| / max(|a| + |n|, 1e-300) (CS231n; 0 when both are 0).
// Kinks: for layers with has_kink(), an element whose perturbation flips the sign of any input
// of such a layer is skipped and counted in skipped_kinks (the derivative jumps there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/layer.h"
#include "gradnet/loss.h"
#include "gradnet/net.h"

namespace gradnet {

struct GradcheckOptions {
  // h. 1e-3, not 1e-4: the 4-point stencil's truncation error (~h^4) is negligible at 1e-3, while
  // the loss's rounding noise (~1e-16·|L|/h) is what limits elements with small gradients; on the
  // 784-64-16-10 sigmoid/tanh MLP, 1e-4 gives 2.2e-7 (above 1e-7) and 1e-3 gives 4.2e-8.
  double step = 1e-3;
  bool four_point = true;       // 4-point stencil; false: 2-point
  Index max_elements = 0;       // 0: every element; else a seeded sample of this many per tensor
  std::uint64_t seed = 1;       // inputs, the loss weights r, the sample, stochastic layers
  double tolerance = 1e-7;      // what passed() is usually asked with
};

struct TensorCheck {
  std::string name;             // "input", "weight", "layers.0.bias", ...
  Index checked = 0;
  Index skipped_kinks = 0;
  double max_rel_error = 0.0;
  double max_abs_error = 0.0;
  Index worst_index = -1;       // flat index of the element with max_rel_error
};

struct GradcheckReport {
  std::vector<TensorCheck> tensors;
  double max_rel_error() const;
  bool passed(double tol) const;  // every tensor's max_rel_error <= tol
};

// Sets up the layer for `in` and `batch` rows, inits it (Rng(seed)), draws a random input (|x| >=
// 0.05 for kinked layers) and checks dL/dx ("input") and every Param for L = Σ r ⊙ y, r fixed random.
GradcheckReport gradcheck_layer(Layer<double>& layer, const Shape& in, Index batch, const GradcheckOptions& options,
                                Mode mode = Mode::train);

// Checks the net's real loss for input x (N rows) and labels: every param of every layer (named as
// in the net) and the input gradient ("input"). The net must be built and initialised.
GradcheckReport gradcheck_net(Net<double>& net, ConstView<double> x, const std::int32_t* labels,
                              const GradcheckOptions& options);

// Checks a loss alone: dL/dlogits for random logits (N(0, 2²)) and labels, batch x classes.
GradcheckReport gradcheck_loss(Loss<double>& loss, Index classes, Index batch, const GradcheckOptions& options);

}  // namespace gradnet
