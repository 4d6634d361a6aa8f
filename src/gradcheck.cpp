// Numeric gradient check (see gradcheck.h). One routine, check_tensor(), perturbs the elements of
// one tensor in place and compares centred differences of a loss closure with the analytic
// gradient; gradcheck_layer and gradcheck_net only differ in the loss and the kink test they pass.
#include "gradnet/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>

#include "gradnet/error.h"

namespace gradnet {

bool TensorCheck::passed(double tol) const { return verified() && max_rel_error_above_noise <= tol; }  // NaN fails

double GradcheckReport::max_rel_error() const {
  double m = 0.0;
  for (const TensorCheck& t : tensors) m = std::max(m, t.max_rel_error);
  return m;
}

double GradcheckReport::max_rel_error_above_noise() const {
  double m = 0.0;
  for (const TensorCheck& t : tensors)
    m = std::isnan(t.max_rel_error_above_noise) ? t.max_rel_error_above_noise : std::max(m, t.max_rel_error_above_noise);
  return m;
}

Index GradcheckReport::unverified() const {
  Index n = 0;
  for (const TensorCheck& t : tensors) n += t.verified() ? 0 : 1;
  return n;
}

bool GradcheckReport::passed(double tol) const {
  for (const TensorCheck& t : tensors)
    if (!t.passed(tol)) return false;
  return true;
}

double gradcheck_noise_floor(double loss, double step) {
  return 10 * 1.5 * std::numeric_limits<double>::epsilon() * std::max(std::fabs(loss), 1.0) / step;
}

const char* gradcheck_verdict(const TensorCheck& t, double tol) {
  if (!t.verified()) return "not verified";
  if (t.passed(tol)) return "good";
  const double e = t.max_rel_error_above_noise;
  return e < 1e-4 ? "suspicious" : e < 1e-2 ? "bad" : "wrong";
}

namespace {

// The elements to try, in order: all, or a seeded shuffle of which the first max_elements are
// checked and the rest replace elements skipped at kinks.
std::vector<Index> candidates(Index size, const std::string& name, const GradcheckOptions& o) {
  std::vector<Index> idx(static_cast<std::size_t>(size));
  std::iota(idx.begin(), idx.end(), Index(0));
  if (o.max_elements > 0 && size > o.max_elements) {
    Rng rng = Rng::stream(o.seed, ("gradcheck-sample:" + name).c_str());
    rng.shuffle(idx);
  }
  return idx;
}

// The centred difference of loss() in values[i] with step h, or nullopt when one of its loss
// evaluations crossed a kink (the outer points first: they cross first, and end the try early).
std::optional<double> difference(double* values, Index i, double h, const GradcheckOptions& o,
                                 const std::function<double()>& loss, const std::function<bool()>& crossed) {
  const double orig = values[i];
  double f[5] = {0, 0, 0, 0, 0};  // f[k + 2] = loss at orig + k·h
  bool kink = false;
  static constexpr int kFour[] = {2, -2, 1, -1}, kTwo[] = {1, -1};
  const int* ks = o.four_point ? kFour : kTwo;
  for (int j = 0, n = o.four_point ? 4 : 2; j < n; ++j) {
    const int k = ks[j];
    values[i] = orig + k * h;
    f[k + 2] = loss();
    if ((kink = crossed())) break;
  }
  values[i] = orig;
  if (kink) return std::nullopt;
  // Differences of symmetric pairs first: a loss that does not move gives exactly 0 (summing
  // -f2 + 8 f1 - 8 f-1 + f-2 left to right leaves an ulp of 7f behind).
  const double d1 = f[3] - f[1];
  return o.four_point ? (8.0 * d1 - (f[4] - f[0])) / (12.0 * h) : d1 / (2.0 * h);
}

// values: the tensor the loss reads (perturbed in place, restored after each element);
// analytic: its gradient from backward(); crossed(): did the last loss() move a kinked input?
TensorCheck check_tensor(const std::string& name, double* values, const std::vector<double>& analytic,
                         const GradcheckOptions& o, const std::function<double()>& loss,
                         const std::function<bool()>& crossed) {
  TensorCheck tc;
  tc.name = name;
  tc.size = static_cast<Index>(analytic.size());
  const Index want = o.max_elements > 0 ? std::min(o.max_elements, tc.size) : tc.size;
  const double base_loss = loss();  // the noise floor's |L|
  // A sampled tensor tries at most 4× its sample: a net whose every element sits on a kink (a dead
  // layer) ends "not verified" after that, rather than trying all of a large tensor.
  Index tried = 0;
  for (Index i : candidates(tc.size, name, o)) {
    if (tc.checked == want || tried++ == 4 * want) break;
    double h = o.step;
    std::optional<double> numeric = difference(values, i, h, o, loss, crossed);
    for (int retry = 0; !numeric && retry < o.kink_retries; ++retry) {
      h /= 10;
      numeric = difference(values, i, h, o, loss, crossed);
    }
    if (!numeric) {
      ++tc.skipped_kinks;
      continue;
    }
    if (h < o.step) ++tc.smaller_step;
    const double a = analytic[i];
    const double abs_err = std::fabs(a - *numeric);
    const double rel = abs_err == 0.0 ? 0.0 : abs_err / std::max(std::fabs(a) + std::fabs(*numeric), 1e-300);
    ++tc.checked;
    tc.max_abs_error = std::max(tc.max_abs_error, abs_err);
    const bool noise = abs_err <= gradcheck_noise_floor(base_loss, h);
    if (noise && rel > o.tolerance) ++tc.within_noise;
    if (!noise && (std::isnan(rel) || rel > tc.max_rel_error_above_noise) && !std::isnan(tc.max_rel_error_above_noise))
      tc.max_rel_error_above_noise = rel;
    const bool worse = tc.worst_index < 0 || std::isnan(rel) || rel > tc.max_rel_error;
    if (worse && !std::isnan(tc.max_rel_error)) {  // a NaN, once seen, stays the worst
      tc.max_rel_error = rel;
      tc.worst_index = i;
    }
  }
  return tc;
}

std::vector<double> copy_of(const Tensor<double>& t) { return t.to_vector(); }

}  // namespace

GradcheckReport gradcheck_layer(Layer<double>& layer, const Shape& in, Index batch, const GradcheckOptions& o,
                                Mode mode) {
  GRADNET_CHECK(batch >= 1 && o.step > 0.0, usage, "gradcheck: batch {} and step {} must be > 0", batch, o.step);
  const Shape out = layer.setup(in, batch);
  Rng init_rng = Rng::stream(o.seed, "gradcheck-init");
  layer.init(init_rng);

  // x: (N, D_in) random, away from 0 for kinked layers;  r: (N, D_out) the fixed loss weights
  const Index d_in = numel(in), d_out = numel(out);
  Rng data_rng = Rng::stream(o.seed, "gradcheck-input");
  std::vector<double> x(static_cast<std::size_t>(batch * d_in)), y(static_cast<std::size_t>(batch * d_out));
  std::vector<double> r(y.size()), dx(x.size());
  for (double& v : x) {
    v = data_rng.uniform(-1.0, 1.0);
    if (layer.has_kink()) v = (v < 0.0 ? -1.0 : 1.0) * (0.05 + 0.95 * std::fabs(v));
  }
  for (double& v : r) v = data_rng.uniform(-1.0, 1.0);

  const ConstView<double> xv(x.data(), batch, d_in);
  const View<double> yv{y.data(), batch, d_out};
  auto run_forward = [&] {  // the same stochastic stream (dropout mask) on every call
    Rng step_rng = Rng::stream(o.seed, "gradcheck-step");
    layer.forward(xv, yv, StepContext{mode, mode == Mode::train ? &step_rng : nullptr});
  };
  auto loss = [&] {
    run_forward();
    double l = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) l += r[i] * y[i];
    return l;
  };

  // Analytic: dL/dy = r.
  for (Param<double>& p : layer.params()) p.grad.fill(0.0);
  run_forward();
  View<double> dxv{dx.data(), batch, d_in};
  layer.backward(xv, yv, ConstView<double>(r.data(), batch, d_out), &dxv);
  std::vector<std::vector<double>> grads;
  for (Param<double>& p : layer.params()) grads.push_back(copy_of(p.grad));

  const std::vector<std::int32_t> base_state = layer.has_kink() ? layer.kink_state(xv) : std::vector<std::int32_t>{};
  auto crossed = [&] { return layer.has_kink() && layer.kink_state(xv) != base_state; };
  auto never = [] { return false; };  // params do not move this layer's own input

  GradcheckReport report;
  report.tensors.push_back(check_tensor("input", x.data(), dx, o, loss, crossed));
  std::size_t k = 0;
  for (Param<double>& p : layer.params())
    report.tensors.push_back(check_tensor(p.name, p.value.data(), grads[k++], o, loss, never));
  return report;
}

GradcheckReport gradcheck_net(Net<double>& net, ConstView<double> x_in, Targets<double> labels,
                              const GradcheckOptions& o) {
  // A private copy of x: perturbed in place, and alive for every forward/backward below.
  std::vector<double> x(x_in.data, x_in.data + x_in.size());
  const ConstView<double> xv(x.data(), x_in.rows, x_in.cols);
  auto loss = [&] {
    Rng step_rng = Rng::stream(o.seed, "gradcheck-step");
    net.forward(xv, StepContext{Mode::train, &step_rng});
    return net.loss(labels);
  };

  // Analytic gradients, copied before any perturbed forward overwrites the net's buffers.
  net.zero_grad();
  loss();
  net.backward(labels, /*input_grad=*/true);
  const ConstView<double> gx = net.input_grad();
  const std::vector<double> dx(gx.data, gx.data + gx.size());
  std::vector<Param<double>*> params = net.params();
  std::vector<std::vector<double>> grads;
  for (Param<double>* p : params) grads.push_back(copy_of(p->grad));

  // Sign patterns of every kinked layer's input at the base point.
  auto kinked_input = [&](Index i) { return i == 0 ? xv : net.activation(i - 1); };
  std::vector<Index> kinked;
  std::vector<std::vector<std::int32_t>> base;
  for (Index i = 0; i < net.num_layers(); ++i) {
    if (!net.layer(i).has_kink()) continue;
    kinked.push_back(i);
    base.push_back(net.layer(i).kink_state(kinked_input(i)));
  }
  auto crossed = [&] {
    for (std::size_t j = 0; j < kinked.size(); ++j)
      if (net.layer(kinked[j]).kink_state(kinked_input(kinked[j])) != base[j]) return true;
    return false;
  };

  GradcheckReport report;
  const std::size_t count = params.size() + 1;
  auto announce = [&](std::size_t k, const std::string& name, std::size_t size) {
    if (o.on_tensor) o.on_tensor(k, count, name, static_cast<Index>(size));
  };
  for (std::size_t k = 0; k < params.size(); ++k) {
    announce(k, params[k]->name, grads[k].size());
    report.tensors.push_back(check_tensor(params[k]->name, params[k]->value.data(), grads[k], o, loss, crossed));
  }
  announce(params.size(), "input", dx.size());
  report.tensors.push_back(check_tensor("input", x.data(), dx, o, loss, crossed));
  return report;
}

GradcheckReport gradcheck_loss(Loss<double>& loss_fn, Index classes, Index batch, const GradcheckOptions& o) {
  GRADNET_CHECK(batch >= 1 && classes >= 1, usage, "gradcheck: batch {} and classes {} must be >= 1", batch, classes);
  loss_fn.setup({classes}, classes, batch);
  Rng rng = Rng::stream(o.seed, "gradcheck-loss");
  std::vector<double> logits(static_cast<std::size_t>(batch * classes)), dlogits(logits.size());
  for (double& v : logits) v = rng.normal(0.0, 2.0);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  for (auto& l : labels) l = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(classes)));
  const ConstView<double> lv(logits.data(), batch, classes);
  loss_fn.forward(lv, labels.data());
  loss_fn.backward(lv, labels.data(), View<double>{dlogits.data(), batch, classes});
  auto loss = [&] { return loss_fn.forward(lv, labels.data()); };
  GradcheckReport report;
  report.tensors.push_back(check_tensor("loss " + std::string(loss_fn.type()) + " (dL/dlogits)", logits.data(),
                                        dlogits, o, loss, [] { return false; }));
  return report;
}

}  // namespace gradnet
