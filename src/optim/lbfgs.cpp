// Full-batch L-BFGS: a line-by-line port of torch.optim.LBFGS (1.13) and its strong-Wolfe line
// search (_strong_wolfe, _cubic_interpolate; from Mark Schmidt's minFunc via torch/optim lua).
// All non-frozen params form one flat vector x; lr_mult, decay_mult, weight decay and clipping do
// not apply (torch's LBFGS has one param group). Each step_closure() runs up to max_iter
// iterations and max_eval loss evaluations; the history (y, s pairs) carries over between steps.
// All history is allocated here, once: 2·history_size·numel values. The vector loops are kernels
// (src/kernels/optim.h).
#include <cmath>
#include <limits>

#include "../kernels/optim.h"
#include "common.h"
#include "gradnet/error.h"

namespace gradnet::optim_detail {
namespace {

// The flat-vector kernels (src/kernels/optim.h) on the scratch vectors.
template <typename T>
Index size_of(const std::vector<T>& a) { return static_cast<Index>(a.size()); }
template <typename T>
double dot(const std::vector<T>& a, const T* b) { return kernels::dot(a.data(), b, size_of(a)); }
template <typename T>
double dot(const std::vector<T>& a, const std::vector<T>& b) { return dot(a, b.data()); }
template <typename T>
double abs_max(const std::vector<T>& a) { return kernels::abs_max(a.data(), size_of(a)); }

// Minimum of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to bounds (default [x1, x2]).
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi) {
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    double min_pos;
    if (x1 <= x2) min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    else min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(min_pos, lo), hi);
  }
  return (lo + hi) / 2.;
}
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2) {
  return cubic_interpolate(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

template <typename T>
class LbfgsOptimizer final : public Optimizer<T> {
 public:
  LbfgsOptimizer(const LbfgsOptions& c, std::vector<Param<T>*> params) : c_(c) {
    for (Param<T>* p : params)
      if (!p->frozen) params_.push_back(p);
    for (Param<T>* p : params_) n_ += static_cast<std::size_t>(p->value.size());
    const Index h = c.history_size;
    const Index n = static_cast<Index>(n_);
    dirs_.resize({h, n});
    stps_.resize({h, n});
    ro_.resize({h});
    d_.resize({n});
    prev_flat_grad_.resize({n});
    scalars_.resize({7});
    al_.assign(static_cast<std::size_t>(h), 0.0);
    for (auto* v : {&flat_grad_, &y_, &s_, &x_init_, &g_new_, &g_prev_, &g_ls_, &bracket_g_[0], &bracket_g_[1]})
      v->assign(n_, T(0));
  }
  std::string_view type() const override { return "lbfgs"; }
  bool needs_closure() const override { return true; }

  void step(double) override {
    fail(ErrorKind::config, "optimizer.type = \"lbfgs\" re-evaluates the loss within a step: it needs full-batch "
         "training through Optimizer::step_closure(), and step() cannot drive it");
  }

  double step_closure(double lr, const std::function<double()>& closure) override;

  std::vector<std::pair<std::string, Tensor<T>*>> state() override {
    const double v[7] = {static_cast<double>(n_iter_), static_cast<double>(func_evals_), t_, h_diag_, prev_loss_,
                         static_cast<double>(hist_len_), static_cast<double>(hist_start_)};
    for (int i = 0; i < 7; ++i) scalars_[i] = static_cast<T>(v[i]);
    return {{"lbfgs.scalars", &scalars_}, {"lbfgs.d", &d_},     {"lbfgs.prev_flat_grad", &prev_flat_grad_},
            {"lbfgs.old_dirs", &dirs_},   {"lbfgs.old_stps", &stps_}, {"lbfgs.ro", &ro_}};
  }

 protected:
  // scalars: n_iter, func_evals, t, H_diag, prev_loss, history length, history start (ring buffer)
  void state_loaded() override {
    n_iter_ = std::llround(static_cast<double>(scalars_[0]));
    func_evals_ = std::llround(static_cast<double>(scalars_[1]));
    t_ = scalars_[2];
    h_diag_ = scalars_[3];
    prev_loss_ = scalars_[4];
    hist_len_ = std::llround(static_cast<double>(scalars_[5]));
    hist_start_ = std::llround(static_cast<double>(scalars_[6]));
  }

 private:
  T* dir(long i) { return dirs_.data() + ((hist_start_ + i) % c_.history_size) * static_cast<Index>(n_); }
  T* stp(long i) { return stps_.data() + ((hist_start_ + i) % c_.history_size) * static_cast<Index>(n_); }
  T& ro(long i) { return ro_[(hist_start_ + i) % c_.history_size]; }

  void gather_flat_grad(std::vector<T>& out) {
    Index o = 0;
    for (Param<T>* p : params_) {
      kernels::copy(p->grad.data(), out.data() + o, p->grad.size());
      o += p->grad.size();
    }
  }
  void add_grad(double step_size, const T* update) {  // x += step_size · update
    const T a = static_cast<T>(step_size);
    Index o = 0;
    for (Param<T>* p : params_) {
      kernels::axpy(a, update + o, p->value.data(), p->value.size());
      o += p->value.size();
    }
  }
  void clone_param(std::vector<T>& out) {
    Index o = 0;
    for (Param<T>* p : params_) {
      kernels::copy(p->value.data(), out.data() + o, p->value.size());
      o += p->value.size();
    }
  }
  void set_param(const std::vector<T>& x) {
    Index o = 0;
    for (Param<T>* p : params_) {
      kernels::copy(x.data() + o, p->value.data(), p->value.size());
      o += p->value.size();
    }
  }
  // f(x + t·d) and its gradient (into g), params restored to x afterwards.
  double directional_evaluate(const std::function<double()>& closure, double t, std::vector<T>& g) {
    add_grad(t, d_.data());
    const double loss = closure();
    gather_flat_grad(g);
    set_param(x_init_);
    return loss;
  }
  // Returns the new loss; the new grad is in g_ls_, the step in t; counts evaluations in evals.
  double strong_wolfe(const std::function<double()>& closure, double& t, double f, double gtd, long& evals);

  LbfgsOptions c_;
  std::vector<Param<T>*> params_;
  std::size_t n_ = 0;
  // state (torch's state dict for the first param)
  long n_iter_ = 0, func_evals_ = 0;
  double t_ = 0.0, h_diag_ = 1.0, prev_loss_ = 0.0;
  long hist_len_ = 0, hist_start_ = 0;
  Tensor<T> dirs_, stps_, ro_, d_, prev_flat_grad_, scalars_;
  // scratch
  std::vector<double> al_;
  std::vector<T> flat_grad_, y_, s_, x_init_, g_new_, g_prev_, g_ls_, bracket_g_[2];
};

template <typename T>
double LbfgsOptimizer<T>::strong_wolfe(const std::function<double()>& closure, double& t, double f, double gtd,
                                       long& evals) {
  constexpr double c1 = 1e-4, c2 = 0.9;
  constexpr int max_ls = 25;
  const double tolerance_change = 1e-9;  // torch passes its default here, not the optimizer's option
  const double d_norm = kernels::abs_max(d_.data(), d_.size());
  // g (the grad at x) is flat_grad_, which this does not modify.
  double f_new = directional_evaluate(closure, t, g_new_);
  evals = 1;
  double gtd_new = dot(g_new_, d_.data());

  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  g_prev_ = flat_grad_;
  bool done = false;
  int ls_iter = 0;
  double bracket[2] = {0, 0}, bracket_f[2] = {0, 0}, bracket_gtd[2] = {0, 0};
  int bracket_size = 0;
  while (ls_iter < max_ls) {
    if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket[0] = t_prev, bracket[1] = t, bracket_f[0] = f_prev, bracket_f[1] = f_new;
      bracket_g_[0] = g_prev_, bracket_g_[1] = g_new_;
      bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
      bracket_size = 2;
      break;
    }
    if (std::fabs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_f[0] = f_new, bracket_g_[0] = g_new_;
      bracket_size = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket[0] = t_prev, bracket[1] = t, bracket_f[0] = f_prev, bracket_f[1] = f_new;
      bracket_g_[0] = g_prev_, bracket_g_[1] = g_new_;
      bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
      bracket_size = 2;
      break;
    }
    // interpolate
    const double min_step = t + 0.01 * (t - t_prev);
    const double max_step = t * 10;
    const double tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
    // next step
    t_prev = tmp;
    f_prev = f_new;
    g_prev_ = g_new_;
    gtd_prev = gtd_new;
    f_new = directional_evaluate(closure, t, g_new_);
    evals += 1;
    gtd_new = dot(g_new_, d_.data());
    ls_iter += 1;
  }
  // reached max number of iterations?
  if (ls_iter == max_ls) {
    bracket[0] = 0, bracket[1] = t, bracket_f[0] = f, bracket_f[1] = f_new;
    bracket_g_[0] = flat_grad_, bracket_g_[1] = g_new_;
    bracket_size = 2;
  }

  // zoom phase
  bool insuf_progress = false;
  int low_pos = 0, high_pos = 1;
  if (!(bracket_f[0] <= bracket_f[bracket_size - 1])) low_pos = 1, high_pos = 0;
  while (!done && ls_iter < max_ls) {
    if (std::fabs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    const double bmax = std::max(bracket[0], bracket[1]), bmin = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (bmax - bmin);
    if (std::min(bmax - t, t - bmin) < eps) {
      if (insuf_progress || t >= bmax || t <= bmin) {
        if (std::fabs(t - bmax) < std::fabs(t - bmin)) t = bmax - eps;
        else t = bmin + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }
    f_new = directional_evaluate(closure, t, g_new_);
    evals += 1;
    gtd_new = dot(g_new_, d_.data());
    ls_iter += 1;

    if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
      bracket[high_pos] = t;
      bracket_f[high_pos] = f_new;
      bracket_g_[high_pos] = g_new_;
      bracket_gtd[high_pos] = gtd_new;
      if (bracket_f[0] <= bracket_f[1]) low_pos = 0, high_pos = 1;
      else low_pos = 1, high_pos = 0;
    } else {
      if (std::fabs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
        bracket[high_pos] = bracket[low_pos];
        bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g_[high_pos] = bracket_g_[low_pos];
        bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      bracket[low_pos] = t;
      bracket_f[low_pos] = f_new;
      bracket_g_[low_pos] = g_new_;
      bracket_gtd[low_pos] = gtd_new;
    }
  }
  t = bracket[low_pos];
  g_ls_ = bracket_g_[low_pos];
  return bracket_f[low_pos];
}

template <typename T>
double LbfgsOptimizer<T>::step_closure(double lr, const std::function<double()>& closure) {
  const long max_iter = c_.max_iter;
  const long max_eval = c_.max_eval > 0 ? c_.max_eval : max_iter * 5 / 4;
  const double tolerance_grad = c_.tolerance_grad, tolerance_change = c_.tolerance_change;
  const long history_size = c_.history_size;

  const double orig_loss = closure();
  double loss = orig_loss;
  long current_evals = 1;
  func_evals_ += 1;
  gather_flat_grad(flat_grad_);
  bool opt_cond = abs_max(flat_grad_) <= tolerance_grad;
  if (opt_cond) return orig_loss;

  T* d = d_.data();
  const Index n = static_cast<Index>(n_);
  double t = t_;
  long n_iter = 0;
  while (n_iter < max_iter) {
    n_iter += 1;
    n_iter_ += 1;
    // compute the descent direction
    if (n_iter_ == 1) {
      kernels::negate(flat_grad_.data(), d, n);
      hist_len_ = 0, hist_start_ = 0;
      h_diag_ = 1;
    } else {
      kernels::difference(flat_grad_.data(), prev_flat_grad_.data(), y_.data(), n);
      kernels::scaled_copy(d, t, s_.data(), n);
      const double ys = dot(y_, s_);
      if (ys > 1e-10) {
        if (hist_len_ == history_size) hist_start_ = (hist_start_ + 1) % history_size, --hist_len_;
        ++hist_len_;
        std::copy(y_.begin(), y_.end(), dir(hist_len_ - 1));
        std::copy(s_.begin(), s_.end(), stp(hist_len_ - 1));
        ro(hist_len_ - 1) = static_cast<T>(1. / ys);
        h_diag_ = ys / dot(y_, y_);
      }
      // two-loop recursion: d = -H·g, in place
      kernels::negate(flat_grad_.data(), d, n);  // q
      for (long i = hist_len_ - 1; i >= 0; --i) {
        al_[i] = kernels::dot(stp(i), d, n) * ro(i);
        kernels::axpy(static_cast<T>(-al_[i]), dir(i), d, n);
      }
      kernels::scale(static_cast<T>(h_diag_), d, n);
      for (long i = 0; i < hist_len_; ++i) {
        const double be_i = kernels::dot(dir(i), d, n) * ro(i);
        kernels::axpy(static_cast<T>(al_[i] - be_i), stp(i), d, n);
      }
    }
    std::copy(flat_grad_.begin(), flat_grad_.end(), prev_flat_grad_.data());
    prev_loss_ = loss;

    // step length
    if (n_iter_ == 1) {
      const double sum = kernels::abs_sum(flat_grad_.data(), n);
      t = std::min(1., 1. / sum) * lr;
    } else {
      t = lr;
    }
    const double gtd = dot(flat_grad_, d);
    if (gtd > -tolerance_change) break;

    long ls_func_evals = 0;
    if (c_.line_search == LineSearch::strong_wolfe) {
      clone_param(x_init_);
      loss = strong_wolfe(closure, t, loss, gtd, ls_func_evals);
      flat_grad_ = g_ls_;
      add_grad(t, d);
      opt_cond = abs_max(flat_grad_) <= tolerance_grad;
    } else {
      add_grad(t, d);
      if (n_iter != max_iter) {
        loss = closure();
        gather_flat_grad(flat_grad_);
        opt_cond = abs_max(flat_grad_) <= tolerance_grad;
        ls_func_evals = 1;
      }
    }
    current_evals += ls_func_evals;
    func_evals_ += ls_func_evals;

    // check conditions
    if (n_iter == max_iter) break;
    if (current_evals >= max_eval) break;
    if (opt_cond) break;
    if (kernels::abs_max_scaled(d, t, n) <= tolerance_change) break;
    if (std::fabs(loss - prev_loss_) < tolerance_change) break;
  }
  t_ = t;
  return orig_loss;
}

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_lbfgs(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  GRADNET_ASSERT(o.lbfgs().history_size >= 1 && o.lbfgs().max_iter >= 1);  // the config's bounds
  return std::make_unique<LbfgsOptimizer<T>>(o.lbfgs(), std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_lbfgs);

}  // namespace gradnet::optim_detail
