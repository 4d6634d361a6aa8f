// Numeric gradient check, public so that tests and `gradnet gradcheck` share it (dlib's
// test_layer, Caffe's GradientChecker). Everything runs in double.
//
// Each element's analytic gradient a is compared with the centred difference n of the loss
//   2-point: (f(x+h) - f(x-h)) / 2h
//   4-point: (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h     (error O(h^4))
// by the relative error |a - n| / max(|a| + |n|, 1e-300) (CS231n; 0 when both are 0).
//
// The verdict, one rule for `gradnet gradcheck`, `gradnet sanity` and the tests: an element passes
// when its relative error is within the tolerance or its absolute error is within the rounding-
// noise floor of its step (gradcheck_noise_floor: there the gradient is so small that rounding,
// not the gradient, sets the relative error). A tensor passes when at least one of its elements
// was checked and every checked element passes; a tensor of which no element could be checked is
// "not verified" and fails.
//
// Kinks: for layers with has_kink(), a perturbation that changes kink_state() of any such layer's
// input (a relu input crossing 0, a max-pool window's argmax moving) makes the difference
// meaningless. The element is retried with step/10, up to kink_retries times (the window the
// stencil spans shrinks with the step); only an element that crosses a kink even at the smallest
// step is skipped, counted in skipped_kinks, and replaced by another element of the tensor when
// the tensor is sampled. Stochastic layers (dropout) draw the same mask on every evaluation: the
// loss closure starts each forward from the same seeded stream.
#pragma once

#include <cstdint>
#include <functional>
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
  double tolerance = 1e-7;      // what passed() is usually asked with; within_noise counts against it
  int kink_retries = 3;         // an element crossing a kink is retried at step/10, /100, /1000
  // Called before each tensor of gradcheck_net is checked (index from 0 of count): progress for
  // a check that takes a while. Empty: nothing is called.
  std::function<void(std::size_t index, std::size_t count, const std::string& name, Index size)> on_tensor;
};

struct TensorCheck {
  std::string name;             // "input", "weight", "layers.0.bias", ...
  Index size = 0;               // elements in the tensor
  Index checked = 0;
  Index skipped_kinks = 0;      // crossed a kink even at the smallest step
  Index smaller_step = 0;       // checked at a step below GradcheckOptions::step (a kink was near)
  Index within_noise = 0;       // above the tolerance, but with an absolute error within the noise floor
  double max_rel_error = 0.0;   // over every checked element
  double max_rel_error_above_noise = 0.0;  // over the elements whose absolute error exceeds the floor
  double max_abs_error = 0.0;
  Index worst_index = -1;       // flat index of the element with max_rel_error
  bool verified() const { return checked > 0; }
  // Verified, and every element within tol or within the noise floor (NaN fails).
  bool passed(double tol) const;
};

struct GradcheckReport {
  std::vector<TensorCheck> tensors;
  double max_rel_error() const;
  double max_rel_error_above_noise() const;
  Index unverified() const;       // tensors of which no element could be checked
  bool passed(double tol) const;  // every tensor passed(tol)
};

// The rounding-noise floor of a centred difference with step h: each loss value carries ~ε·|L|
// of rounding, so |numeric − analytic| ≈ 1.5·ε·|L|/h even for an exact gradient; the floor is
// 10× that, 15·ε·max(|L|, 1)/h (7.7e-12 for L = 2.3, h = 1e-3). Where a gradient element is only
// ~1e-6 (a saturated unit, examples that cancel, a unit dropout zeroed for most examples) this
// noise alone is a relative error > 1e-7.
double gradcheck_noise_floor(double loss, double step);

// "good" (passed), "not verified" (nothing checked), else by the relative error above the noise
// floor: "suspicious" (< 1e-4), "bad" (< 1e-2), "wrong".
const char* gradcheck_verdict(const TensorCheck& t, double tol);

// Sets up the layer for `in` and `batch` rows, inits it (Rng(seed)), draws a random input (|x| >=
// 0.05 for kinked layers) and checks dL/dx ("input") and every Param for L = Σ r ⊙ y, r fixed random.
GradcheckReport gradcheck_layer(Layer<double>& layer, const Shape& in, Index batch, const GradcheckOptions& options,
                                Mode mode = Mode::train);

// Checks the net's real loss for input x (N rows) and labels: every param of every layer (named as
// in the net) and the input gradient ("input"). The net must be built and initialised.
GradcheckReport gradcheck_net(Net<double>& net, ConstView<double> x, Targets<double> targets,
                              const GradcheckOptions& options);

// Checks a loss alone: dL/dlogits for random logits (N(0, 2²)) and labels, batch x classes.
GradcheckReport gradcheck_loss(Loss<double>& loss, Index classes, Index batch, const GradcheckOptions& options);

}  // namespace gradnet
