// gradnet sanity: the CS231n checks (see sanity.h). Each check is one function returning a
// SanityCheck; a failing check is a result, never an exception.
#include "gradnet/train/sanity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "gradnet/data/dataset.h"
#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/threads.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/step.h"

namespace gradnet {

const char* to_string(SanityStatus s) {
  switch (s) {
    case SanityStatus::pass: return "PASS";
    case SanityStatus::fail: return "FAIL";
    case SanityStatus::not_applicable: return "N/A";
  }
  return "?";
}

bool SanityReport::passed() const {
  for (const SanityCheck& c : checks)
    if (c.status == SanityStatus::fail) return false;
  return true;
}

namespace {

// The net train() starts from: built from [model], initialised from the run's "init" stream.
std::unique_ptr<Net<float>> fresh_net(const Config& c, Index classes, Index max_batch) {
  auto net = std::make_unique<Net<float>>(c.model, classes, max_batch);
  Rng rng = Rng::stream(c.train.seed, "init");
  net->init(rng);
  return net;
}

// L2 acts on weight matrices (linear, conv): names ending in "weight" with 2 or more dims.
bool is_weight_matrix(const Param<float>& p) {
  const std::string& n = p.name;
  return n.size() >= 6 && n.compare(n.size() - 6, 6, "weight") == 0 && p.value.shape().size() >= 2;
}

// Mean over examples and outputs of y², in eval mode: what mse's initial loss grows with.
double mean_output_square(Net<float>& net, const Dataset& data) {
  double sum = 0;
  Index count = 0;
  std::vector<float> scratch;
  for (Index begin = 0; begin < data.size(); begin += net.max_batch()) {
    const Index n = std::min(net.max_batch(), data.size() - begin);
    ConstView<float> y = net.forward(data.rows(begin, n, scratch), StepContext{Mode::eval, nullptr});
    for (Index i = 0; i < y.size(); ++i) sum += static_cast<double>(y.data[i]) * y.data[i];
    count += y.size();
  }
  return count > 0 ? sum / static_cast<double>(count) : 0.0;
}

SanityCheck check_initial_loss(Net<float>& net, const Dataset& subset, const EvalResult& e, const Config& c,
                               Index classes, const SanityOptions& o) {
  SanityCheck check;
  check.id = "initial_loss";
  check.title = "initial loss ≈ ln(classes)";
  const double k = static_cast<double>(classes);
  if (c.model.loss != LossType::softmax_cross_entropy) {
    const double expected = 1.0 / k, y2 = mean_output_square(net, subset);
    check.title = "initial loss (mse: reported, not judged)";
    check.status = SanityStatus::not_applicable;
    check.numbers = {{"loss", e.loss}, {"expected_small_outputs", expected}, {"mean_output_square", y2},
                     {"examples", static_cast<double>(subset.size())}};
    check.detail = fmt::format(
        "mean loss {:.4f} on {} training examples; outputs near 0 would give 1/{} = {:.4f}; the outputs' "
        "mean square is {:.4f}",
        e.loss, subset.size(), classes, expected, y2);
    check.meaning =
        "With one-hot targets, mse at init is 1/classes + mean(y²) − (2/classes)·mean(y at the label): it "
        "measures the scale of the initial outputs, not a fixed number, so there is no ln(classes) to compare "
        "with. A loss far above 1/classes means large initial outputs (a large init).";
    return check;
  }
  const double expected = std::log(k);
  const double off = std::fabs(e.loss - expected) / expected;
  check.status = std::isfinite(e.loss) && off <= o.initial_tolerance ? SanityStatus::pass : SanityStatus::fail;
  check.numbers = {{"loss", e.loss}, {"expected", expected}, {"relative_difference", off},
                   {"tolerance", o.initial_tolerance}, {"examples", static_cast<double>(subset.size())}};
  check.detail = fmt::format("mean loss {:.4f} on {} training examples before any update; ln({}) = {:.4f} "
                             "({:.1f}% off, tolerance {:.0f}%)",
                             e.loss, subset.size(), classes, expected, 100 * off, 100 * o.initial_tolerance);
  if (check.status == SanityStatus::pass)
    check.meaning = "A small init makes the softmax nearly uniform, each class ≈ 1/classes, so the loss "
                    "starts at −ln(1/classes) = ln(classes): init and loss behave as expected.";
  else if (!(e.loss <= expected))
    check.meaning = "The untrained net is confidently wrong: its logits are large. The init is too large "
                    "(lower init_std or init_gain; a kaiming_* output layer wants init_nonlinearity = \"linear\", "
                    "gain 1, which the default \"auto\" gives it), or the inputs are not normalized "
                    "(data.normalize).";
  else
    check.meaning = "The untrained net already does better than chance: check that the labels do not leak "
                    "into the inputs and that the loss is what model.loss says.";
  return check;
}

SanityCheck check_l2(Net<float>& net, const EvalResult& e, const SanityOptions& o) {
  SanityCheck check;
  check.id = "l2_raises_loss";
  check.title = "adding L2 raises the loss";
  double sum_sq = 0;
  Index weights = 0;
  for (Param<float>* p : net.params()) {
    if (!is_weight_matrix(*p)) continue;
    for (Index i = 0; i < p->value.size(); ++i) sum_sq += static_cast<double>(p->value[i]) * p->value[i];
    weights += p->value.size();
  }
  const double reg = 0.5 * o.l2_lambda * sum_sq, total = e.loss + reg;
  check.numbers = {{"data_loss", e.loss}, {"lambda", o.l2_lambda}, {"sum_w2", sum_sq}, {"l2_term", reg},
                   {"total_loss", total}, {"weights", static_cast<double>(weights)}};
  if (weights == 0) {
    check.status = SanityStatus::not_applicable;
    check.detail = "the net has no weight matrices to regularize";
    check.meaning = "Nothing for L2 to act on.";
    return check;
  }
  check.status = std::isfinite(total) && total > e.loss ? SanityStatus::pass : SanityStatus::fail;
  check.detail = fmt::format("loss with λ = 0: {:.4f}; with λ = {:g}: {:.4f} + ½·λ·Σw² ({:.4f}, Σw² = {:.4g} "
                             "over {} weights) = {:.4f}",
                             e.loss, o.l2_lambda, e.loss, reg, sum_sq, weights, total);
  check.meaning = check.status == SanityStatus::pass
                      ? "The regularized objective (what optimizer.weight_decay minimizes: gradnet adds λ·w to "
                        "the gradient rather than ½·λ·Σw² to the logged loss) rises with λ, as it must."
                  : sum_sq == 0 ? "Σw² is 0: every weight starts at zero, so every unit in a layer gets the same "
                                  "gradient and nothing breaks the symmetry. Use a random init."
                                : "The L2 term is not a finite number: the initial weights hold inf or NaN.";
  return check;
}

struct FitAttempt {
  double lr = 0;
  Index steps = 0;
  double loss = 0, accuracy = 0;
  bool diverged = false;
};

// Full-batch updates on `tiny` at a constant lr with the config's optimizer, weight decay off.
FitAttempt fit_tiny(const Config& c, const Dataset& tiny, Index classes, double lr, const SanityOptions& o) {
  FitAttempt a;
  a.lr = lr;
  const Index n = tiny.size(), features = tiny.features();
  std::unique_ptr<Net<float>> net = fresh_net(c, classes, n);
  OptimizerOptions oc = c.optimizer.options;
  oc.update.weight_decay = 0;
  std::unique_ptr<Optimizer<float>> optimizer = make_optimizer(oc, net->params());
  const ConstView<float> x(tiny.x.data(), n, features);
  const std::int32_t* y = tiny.y.data();
  TrainStep train_step(*net, *optimizer, Rng::stream(c.train.seed, "dropout"));
  struct FiniteLoss final : StepObserver {  // a non-finite loss ends the attempt before its update
    bool after_loss(double loss) override { return std::isfinite(loss); }
  } finite;
  for (Index step = 1; step <= o.overfit_steps; ++step) {
    const StepResult r = train_step.run(x, y, lr, finite);
    if (!r.updated) {
      a.diverged = true;
      a.loss = r.loss;
      a.steps = step - 1;
      return a;
    }
    a.steps = step;
    if (step % 10 != 0 && step != o.overfit_steps) continue;
    const EvalResult e = evaluate(*net, tiny, n);
    a.loss = e.loss;
    a.accuracy = e.accuracy;
    if (!std::isfinite(e.loss)) {
      a.diverged = true;
      return a;
    }
    if (e.accuracy == 1.0 && e.loss < o.overfit_loss) break;
  }
  return a;
}

SanityCheck check_overfit(const Config& c, const Dataset& train, Index classes, const SanityOptions& o) {
  SanityCheck check;
  check.id = "overfit_tiny";
  Dataset tiny = slice(train, 0, std::min(o.overfit_examples, train.size()));
  to_float_rows(tiny);  // read whole by every step
  check.title = fmt::format("overfits {} training examples", tiny.size());
  const double lr = c.optimizer.lr;
  std::vector<FitAttempt> attempts;
  for (double f : {1.0, 10.0, 0.1}) {
    attempts.push_back(fit_tiny(c, tiny, classes, lr * f, o));
    if (attempts.back().accuracy == 1.0) break;
  }
  const FitAttempt& last = attempts.back();
  const bool fitted = last.accuracy == 1.0;
  check.status = fitted ? SanityStatus::pass : SanityStatus::fail;
  check.numbers = {{"examples", static_cast<double>(tiny.size())}, {"accuracy", last.accuracy},
                   {"loss", last.loss}, {"steps", static_cast<double>(last.steps)}, {"lr", last.lr},
                   {"configured_lr", lr}};
  std::string tried;
  for (const FitAttempt& a : attempts)
    tried += fmt::format("{}lr {:g}: {:.0f}% after {} steps (loss {:.4g}{})", tried.empty() ? "" : "; ", a.lr,
                         100 * a.accuracy, a.steps, a.loss, a.diverged ? ", diverged" : "");
  check.detail = fmt::format("{} full-batch {} updates at most per lr, weight decay off, accuracy in eval mode: {}",
                             o.overfit_steps, c.optimizer.type(), tried);
  if (fitted && attempts.size() == 1)
    check.meaning = "The net, its gradients and the optimizer can drive the training loss of a tiny subset "
                    "toward 0: the model can learn.";
  else if (fitted)
    check.meaning = fmt::format("Fitted only at lr {:g}, not at the configured {:g}: the configured lr is "
                                "probably {} (try gradnet lr-find).",
                                last.lr, lr, last.lr > lr ? "too low" : "too high");
  else
    check.meaning = "A net that cannot memorize 20 examples will not learn the full set: look for a bug in the "
                    "model (too small, dead units, saturated activations), the data/labels, or a learning "
                    "rate far off (try gradnet lr-find).";
  return check;
}

// The float net's exact initial values, widened: the check runs at the point training starts from.
std::unique_ptr<Net<double>> double_copy(const Config& c, Net<float>& fnet, Index classes, Index max_batch) {
  auto net = std::make_unique<Net<double>>(c.model, classes, max_batch);
  Rng rng = Rng::stream(c.train.seed, "init");
  net->init(rng);  // anything init() sets besides the params
  auto fp = fnet.state_tensors();
  auto dp = net->state_tensors();
  GRADNET_ASSERT(fp.size() == dp.size());
  for (std::size_t i = 0; i < fp.size(); ++i)
    for (Index j = 0; j < fp[i].second->size(); ++j) (*dp[i].second)[j] = (*fp[i].second)[j];
  return net;
}

// The worst relative error of each kind of tensor: the loss alone (the first loss_tensors), the
// input gradient, the params; NaN counts as infinity. And what the shared rule excused or skipped.
struct GradcheckSummary {
  double loss_err = 0, input_err = 0, param_err = 0, abs_err = 0;
  std::string param_worst = "-";
  Index checked = 0, kinks = 0, within_noise = 0, tensors_in_noise = 0;
  std::vector<std::string> unverified;  // tensors of which no element could be checked
};

GradcheckSummary summarize(const GradcheckReport& report, Index loss_tensors, double tolerance) {
  GradcheckSummary s;
  for (Index i = 0; i < static_cast<Index>(report.tensors.size()); ++i) {
    const TensorCheck& t = report.tensors[i];
    s.checked += t.checked;
    s.kinks += t.skipped_kinks;
    s.within_noise += t.within_noise;
    s.tensors_in_noise += t.within_noise > 0 && t.passed(tolerance) ? 1 : 0;
    if (!t.verified()) s.unverified.push_back(t.name);
    s.abs_err = std::max(s.abs_err, t.max_abs_error);
    const double e = std::isnan(t.max_rel_error) ? std::numeric_limits<double>::infinity() : t.max_rel_error;
    if (i < loss_tensors) s.loss_err = std::max(s.loss_err, e);
    else if (t.name == "input") s.input_err = std::max(s.input_err, e);
    else if (e >= s.param_err) s.param_err = e, s.param_worst = t.name;
  }
  return s;
}

std::string gradients_detail(const GradcheckSummary& g, Index examples, double floor, double tolerance) {
  std::string d = fmt::format("max relative error {:.2e} over the parameters (worst: {}), {:.2e} for the input "
                              "gradient, {:.2e} for the loss alone; {} elements, {} real training examples, double "
                              "precision{}; tolerance {:.0e}",
                              g.param_err, g.param_worst, g.input_err, g.loss_err, g.checked, examples,
                              g.kinks ? fmt::format(", {} skipped at kinks", g.kinks) : "", tolerance);
  if (g.within_noise > 0)
    d += fmt::format(". {} element{} in {} tensor{} above it, but with an absolute error within the rounding-noise "
                     "floor ({:.1e} at the default step): there the gradients are so small that rounding, not the "
                     "gradient, sets the relative error",
                     g.within_noise, g.within_noise == 1 ? " is" : "s are", g.tensors_in_noise,
                     g.tensors_in_noise == 1 ? "" : "s", floor);
  if (!g.unverified.empty())
    d += fmt::format(". Not verified (every element tried crossed a kink): {}", fmt::join(g.unverified, ", "));
  return d;
}

// Real images put some tensors wholly on kinks: a zero bias before a ReLU, on background pixels
// that are exactly 0, leaves those ReLU inputs at exactly 0, so every perturbation of the bias
// crosses one. Such tensors are checked again on random normal inputs (what `gradnet gradcheck`
// uses), which sit on no kink; their names get " (random inputs)". Returns how many.
Index recheck_on_random_inputs(Net<double>& net, GradcheckReport& report, Index n, Index features,
                               const std::int32_t* labels, const GradcheckOptions& go) {
  if (report.unverified() == 0) return 0;
  Rng rng = Rng::stream(go.seed, "gradcheck");
  std::vector<double> x(static_cast<std::size_t>(n * features));
  for (double& v : x) v = rng.normal();
  const GradcheckReport random = gradcheck_net(net, ConstView<double>(x.data(), n, features), labels, go);
  Index rechecked = 0;
  for (TensorCheck& t : report.tensors) {
    if (t.verified()) continue;
    for (const TensorCheck& r : random.tensors)
      if (r.name == t.name) t = r, t.name += " (random inputs)", ++rechecked;
  }
  return rechecked;
}

SanityCheck check_gradients(const Config& c, Net<float>& fnet, const Dataset& train, Index classes,
                            const SanityOptions& o) {
  SanityCheck check;
  check.id = "gradient_check";
  check.title = "analytic gradients match finite differences";
  const Index n = std::min(o.gradcheck_examples, train.size()), features = train.features();
  std::unique_ptr<Net<double>> net = double_copy(c, fnet, classes, n);
  std::vector<float> scratch;
  const ConstView<float> first = train.rows(0, n, scratch);
  const std::vector<double> x(first.data, first.data + n * features);
  const ConstView<double> xv(x.data(), n, features);
  GradcheckOptions go;
  go.max_elements = o.gradcheck_max_elements;
  go.seed = c.train.seed;
  go.tolerance = o.gradcheck_tolerance;
  GradcheckReport report = gradcheck_loss(*make_loss<double>(c.model.loss), classes, n, go);
  const Index loss_tensors = static_cast<Index>(report.tensors.size());
  GradcheckReport nr = gradcheck_net(*net, xv, train.y.data(), go);
  const Index on_random = recheck_on_random_inputs(*net, nr, n, features, train.y.data(), go);
  report.tensors.insert(report.tensors.end(), nr.tensors.begin(), nr.tensors.end());
  Rng step_rng = Rng::stream(go.seed, "gradcheck-step");
  net->forward(xv, StepContext{Mode::train, &step_rng});
  const double floor = gradcheck_noise_floor(net->loss(train.y.data()), go.step);
  const GradcheckSummary g = summarize(report, loss_tensors, o.gradcheck_tolerance);
  check.status = report.passed(o.gradcheck_tolerance) ? SanityStatus::pass : SanityStatus::fail;
  check.numbers = {{"max_rel_error", report.max_rel_error()},
                   {"max_rel_error_above_noise", report.max_rel_error_above_noise()},
                   {"max_rel_error_params", g.param_err},
                   {"max_rel_error_input", g.input_err},
                   {"max_rel_error_loss", g.loss_err},
                   {"max_abs_error", g.abs_err},
                   {"noise_floor", floor},
                   {"tolerance", o.gradcheck_tolerance},
                   {"elements_within_noise_floor", static_cast<double>(g.within_noise)},
                   {"tensors_within_noise_floor", static_cast<double>(g.tensors_in_noise)},
                   {"tensors_not_verified", static_cast<double>(g.unverified.size())},
                   {"tensors_on_random_inputs", static_cast<double>(on_random)},
                   {"examples", static_cast<double>(n)},
                   {"elements_checked", static_cast<double>(g.checked)},
                   {"skipped_kinks", static_cast<double>(g.kinks)}};
  check.detail = gradients_detail(g, n, floor, o.gradcheck_tolerance);
  if (on_random > 0)
    check.detail += fmt::format(". {} tensor{} had every element on a kink with the real examples (a zero bias "
                                "before a ReLU on zero background pixels) and {} checked on random inputs instead",
                                on_random, on_random == 1 ? "" : "s", on_random == 1 ? "was" : "were");
  check.meaning = check.status == SanityStatus::pass
                      ? "Every backward() agrees with centred finite differences of the loss (< 1e-7 is good "
                        "in double precision)."
                  : !g.unverified.empty() && report.max_rel_error_above_noise() <= o.gradcheck_tolerance
                      ? "No element of some tensor could be checked: every perturbation crossed a ReLU or max-pool "
                        "kink, so its gradient is not verified. Run `gradnet gradcheck CONFIG` with another "
                        "--batch or more --max-elements."
                      : "A backward() disagrees with finite differences (1e-7..1e-4: suspicious, above 1e-2: "
                        "wrong). `gradnet gradcheck CONFIG` lists every tensor.";
  return check;
}

}  // namespace

SanityReport run_sanity(const Config& given, const SanityOptions& o) {
  GRADNET_CHECK(o.initial_examples >= 1 && o.overfit_examples >= 1 && o.overfit_steps >= 1 &&
                    o.gradcheck_examples >= 1,
                usage, "sanity: example and step counts must be >= 1");
  SanityReport report;
  report.threads = set_threads(given.train.threads);
  const PreparedData data = prepare_data(given, o.config_dir);
  const Config& c = data.config;
  GRADNET_CHECK(c.model.target == TargetKind::labels, config,
                "{}: model.target = \"input\": sanity's checks are a classifier's (initial loss ≈ ln(classes), "
                "overfitting labelled examples); check a reconstruction model with gradnet gradcheck instead",
                c.source.empty() ? std::string("sanity") : c.source);
  const Dataset& train = data.splits.train;
  report.loss = std::string(name_of(c.model.loss));
  report.classes = data.classes;
  report.train_examples = train.size();

  Dataset subset = slice(train, 0, std::min(o.initial_examples, train.size()));
  to_float_rows(subset);
  std::unique_ptr<Net<float>> net = fresh_net(c, data.classes, subset.size());
  report.parameters = net->parameter_count();
  const EvalResult e0 = evaluate(*net, subset, subset.size());
  report.checks.push_back(check_initial_loss(*net, subset, e0, c, data.classes, o));
  report.checks.push_back(check_l2(*net, e0, o));
  report.checks.push_back(check_overfit(c, train, data.classes, o));
  report.checks.push_back(check_gradients(c, *net, train, data.classes, o));
  return report;
}

}  // namespace gradnet
