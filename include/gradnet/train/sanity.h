// The sanity checks of CS231n ("Neural Networks 3: learning and evaluation"), run before a long
// training run (`gradnet sanity CONFIG`). Each check builds a fresh net from the config's seed on
// the config's (normalized) training split:
//   initial_loss   the mean loss of the untrained net on a few hundred training examples.
//                  softmax_cross_entropy: ≈ ln(classes), because a small init gives every class a
//                  probability ≈ 1/classes. mse: not judged (n/a): with one-hot targets its value
//                  at init is 1/classes + mean(y²) − (2/classes)·mean(y_label), set by the scale
//                  of the outputs rather than by a fixed number; it is reported with 1/classes.
//   l2_raises_loss data loss + ½·λ·Σw² (every weight matrix; biases and 1-D scales excluded),
//                  λ = l2_lambda, against λ = 0: the total must rise. A net whose weights are all
//                  zero (no symmetry breaking) fails here.
//   overfit_tiny   full-batch updates on the first overfit_examples training examples with the
//                  config's optimizer, weight decay off, constant lr: passes when the training
//                  accuracy (eval mode) reaches 100%. The configured lr is tried first, then
//                  10× and 0.1× it (the detail says which one fitted).
//   gradient_check gradcheck_loss on its own, then gradcheck_net on a double copy of the initial
//                  net at the first gradcheck_examples real, normalized training examples:
//                  passes by gradcheck's own rule (GradcheckReport::passed, gradcheck.h): every
//                  element within gradcheck_tolerance or within the rounding-noise floor, and
//                  no tensor left unverified; `gradnet gradcheck` gives the same verdict.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/gradcheck.h"

namespace gradnet {

struct SanityOptions {
  std::string config_dir;               // where relative data paths are resolved ("" = the config's dir)
  Index initial_examples = 500;         // initial_loss: training examples averaged over
  double initial_tolerance = 0.1;       // initial_loss: pass when |loss − ln K| ≤ this · ln K
  double l2_lambda = 0.1;               // l2_raises_loss: λ (10³ × a typical weight decay of 1e-4)
  Index overfit_examples = 20;          // overfit_tiny: the subset's size
  Index overfit_steps = 500;            // overfit_tiny: full-batch updates at most, per lr tried
  double overfit_loss = 0.05;           // overfit_tiny: stop early once 100% and the loss is below this
  Index gradcheck_examples = 4;         // gradient_check: real examples in the batch
  Index gradcheck_max_elements = 100;   // gradient_check: a seeded sample per tensor (gradcheck's default); 0: all
  double gradcheck_tolerance = 1e-7;    // gradient_check: < 1e-7 is "good" in double precision
};

enum class SanityStatus { pass, fail, not_applicable };
const char* to_string(SanityStatus s);  // "PASS", "FAIL", "N/A"

struct SanityCheck {
  std::string id;       // initial_loss | l2_raises_loss | overfit_tiny | gradient_check
  std::string title;    // "initial loss ≈ ln(classes)"
  SanityStatus status = SanityStatus::fail;
  std::vector<std::pair<std::string, double>> numbers;  // named numbers (the --json fields)
  std::string detail;   // the numbers, in one or two sentences
  std::string meaning;  // what the result says about the net, and what to do on a failure
};

struct SanityReport {
  std::string loss;                 // model.loss
  Index classes = 0;
  Index train_examples = 0;         // in the prepared training split
  Index parameters = 0;
  int threads = 1;
  std::vector<SanityCheck> checks;  // in the order above
  bool passed() const;              // no check failed (n/a does not fail)
};

// Loads and normalizes the data (prepare_data), sets the thread count and runs every check.
// Error{config|data|shape} for bad input; a failing check is a result, not an exception.
SanityReport run_sanity(const Config& config, const SanityOptions& options = {});

}  // namespace gradnet
