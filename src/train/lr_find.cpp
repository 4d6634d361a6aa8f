// The learning-rate range test (see lr_find.h): the sweep, the smoothing, fastai's suggestion
// rules, the plot and the JSON.
#include "gradnet/train/lr_find.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/data/batcher.h"
#include "gradnet/error.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/plot.h"
#include "gradnet/schedule.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/step.h"

namespace gradnet {

std::vector<double> lr_sweep(double start, double end, Index steps, const std::string& mode) {
  GRADNET_CHECK(start > 0 && std::isfinite(start), usage, "lr-find: --start {:g} must be > 0", start);
  GRADNET_CHECK(end > start && std::isfinite(end), usage, "lr-find: --end {:g} must be above --start {:g}", end,
                start);
  GRADNET_CHECK(steps >= 2, usage, "lr-find: --steps {} must be at least 2", steps);
  GRADNET_CHECK(mode == "exp" || mode == "linear", usage, "lr-find: --mode '{}': expected exp or linear", mode);
  std::vector<double> lrs(static_cast<std::size_t>(steps));
  for (Index i = 0; i < steps; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(steps - 1);
    lrs[i] = mode == "exp" ? start * std::pow(end / start, t) : start + (end - start) * t;
  }
  lrs.back() = end;  // exactly, not pow's rounding of it
  return lrs;
}

double LossSmoother::add(double loss) {
  avg_ = beta_ * avg_ + (1 - beta_) * loss;
  beta_pow_ *= beta_;
  return avg_ / (1 - beta_pow_);
}

std::vector<double> smooth_losses(const std::vector<double>& losses, double beta) {
  LossSmoother s(beta);
  std::vector<double> out;
  out.reserve(losses.size());
  for (double l : losses) out.push_back(s.add(l));
  return out;
}

// fastai's valley (fastai/callback/schedule.py), transcribed loop for loop: lds[i] is the length of
// the longest decreasing subsequence ending at i; (max_start, max_end) are updated inside the inner
// loop, as there. Python's idx = -1 (a 2-point valley at the very start) would wrap to the last
// point; we clamp it to 0 instead.
LrSuggestion valley_rule(const std::vector<double>& lrs, const std::vector<double>& losses) {
  const Index n = static_cast<Index>(losses.size());
  GRADNET_ASSERT(n >= 2 && static_cast<Index>(lrs.size()) >= n);
  Index max_start = 0, max_end = 0;
  std::vector<Index> lds(static_cast<std::size_t>(n), 1);
  for (Index i = 1; i < n; ++i)
    for (Index j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - lds[max_end];
      }
    }
  const double sections = static_cast<double>(max_end - max_start) / 3.0;
  Index idx = max_start + static_cast<Index>(sections) + static_cast<Index>(sections / 2.0);
  idx = std::clamp<Index>(idx, 0, n - 1);
  return {"valley", lrs[idx], idx, lrs[idx], losses[idx],
          "fastai's default: the longest valley (decreasing run) of the smoothed loss, a point about halfway "
          "down it"};
}

LrSuggestion steepest_rule(const std::vector<double>& lrs, const std::vector<double>& losses) {
  const Index n = static_cast<Index>(losses.size());
  GRADNET_ASSERT(n >= 2 && static_cast<Index>(lrs.size()) >= n);
  Index best = 0;
  double best_slope = std::numeric_limits<double>::infinity();
  for (Index k = 0; k + 1 < n; ++k) {
    const double slope = (losses[k + 1] - losses[k]) / (std::log(lrs[k + 1]) - std::log(lrs[k]));
    if (slope < best_slope) {
      best_slope = slope;
      best = k;
    }
  }
  return {"steepest", lrs[best], best, lrs[best], losses[best],
          "where the smoothed loss falls fastest per unit of log lr"};
}

LrSuggestion min_over_10_rule(const std::vector<double>& lrs, const std::vector<double>& losses) {
  const Index n = static_cast<Index>(losses.size());
  GRADNET_ASSERT(n >= 1 && static_cast<Index>(lrs.size()) >= n);
  const Index idx = std::min_element(losses.begin(), losses.begin() + n) - losses.begin();
  return {"min/10", lrs[idx] / 10, idx, lrs[idx], losses[idx],
          "a tenth of the lr at the minimum smoothed loss (the minimum itself is already too high)"};
}

std::vector<LrSuggestion> suggest_lrs(const std::vector<double>& lrs, const std::vector<double>& smoothed,
                                      Index requested_steps) {
  // fastai: lrs[num_it//10 : -5], then cut at the first NaN.
  const Index size = static_cast<Index>(std::min(lrs.size(), smoothed.size()));
  const Index begin = std::max<Index>(requested_steps, 0) / 10;
  Index end = size - 5;
  for (Index i = begin; i < end; ++i)
    if (!std::isfinite(smoothed[i])) {
      end = i;
      break;
    }
  if (end - begin < 2) return {};
  const std::vector<double> l(lrs.begin() + begin, lrs.begin() + end);
  const std::vector<double> s(smoothed.begin() + begin, smoothed.begin() + end);
  std::vector<LrSuggestion> out = {valley_rule(l, s), steepest_rule(l, s), min_over_10_rule(l, s)};
  for (LrSuggestion& g : out) g.index += begin;
  return out;
}

namespace {

// The sweep's bookkeeping at each step's loss: smoothing, the best point, and the two reasons to
// stop before the update (a non-finite loss, a divergence).
class SweepObserver final : public StepObserver {
 public:
  SweepObserver(const LrFindOptions& o, const std::vector<double>& lrs, LrFindResult& r)
      : o_(o), lrs_(lrs), r_(r), smoother_(o.beta) {}
  Index i = 0;  // the step under way

  bool after_loss(double loss) override {
    const double s = smoother_.add(loss);
    r_.lrs.push_back(lrs_[i]);
    r_.losses.push_back(loss);
    r_.smoothed.push_back(s);
    if (!std::isfinite(loss) || !std::isfinite(s)) {
      r_.stop_reason = "non_finite";
      const double bad = std::isfinite(loss) ? s : loss;
      r_.stop_detail = fmt::format("step {} (lr {:.3g}): the {}loss became {}; stopped without updating", i + 1,
                                   lrs_[i], std::isfinite(loss) ? "smoothed " : "",
                                   std::isnan(bad) ? "NaN" : bad > 0 ? "inf" : "-inf");
      return false;
    }
    if (s < best_) {
      best_ = s;
      r_.best_index = i;
    }
    if (s > o_.stop_factor * best_) {
      r_.stop_reason = "diverged";
      r_.stop_detail = fmt::format("step {} (lr {:.3g}): the smoothed loss {:.4g} exceeded {:g} × its minimum {:.4g} "
                                   "(at lr {:.3g})",
                                   i + 1, lrs_[i], s, o_.stop_factor, best_, lrs_[r_.best_index]);
      return false;
    }
    return true;
  }

 private:
  const LrFindOptions& o_;
  const std::vector<double>& lrs_;
  LrFindResult& r_;
  LossSmoother smoother_;
  double best_ = std::numeric_limits<double>::infinity();
};

// The sweep itself: one training step per lr (the trainer's TrainStep), recording lrs, losses and
// smoothed losses into r, until the end, a divergence or a non-finite loss (r.stop_reason,
// r.stop_detail, r.best_index).
void sweep(const Config& c, const Dataset& train, Index classes, const std::vector<double>& lrs,
           const LrFindOptions& o, LrFindResult& r) {
  Net<float> net(c.model, classes, r.batch_size);
  Rng init_rng = Rng::stream(c.train.seed, "init");
  net.init(init_rng);
  std::unique_ptr<Optimizer<float>> optimizer = make_optimizer(c.optimizer.options, net.params());
  Batcher batcher(train, r.batch_size, c.train.shuffle, Rng::stream(c.train.seed, "shuffle"));
  TrainStep step(net, *optimizer, Rng::stream(c.train.seed, "dropout"));
  SweepObserver observer(o, lrs, r);
  r.stop_reason = "completed";
  for (Index i = 0; i < o.steps; ++i) {
    Batch b;
    if (!batcher.next(b)) {  // the sweep is longer than an epoch: start another
      batcher.start_epoch();
      batcher.next(b);
    }
    observer.i = i;
    const Targets<float> t = net.reconstructs() ? net.reconstruction_targets(b.x.data) : Targets<float>(b.y);
    if (!step.run(b.x, t, lrs[i], observer).updated) break;
  }
}

}  // namespace

LrFindResult lr_find(const Config& given, const LrFindOptions& o) {
  LrFindResult r;
  r.options = o;
  const std::vector<double> lrs = lr_sweep(o.start, o.end, o.steps, o.mode);
  GRADNET_CHECK(o.beta >= 0 && o.beta < 1, usage, "lr-find: beta {:g} must lie in [0, 1)", o.beta);
  GRADNET_CHECK(o.stop_factor > 1, usage, "lr-find: the stop factor {:g} must be above 1", o.stop_factor);
  GRADNET_CHECK(given.optimizer.type() != OptimizerType::lbfgs, config,
                "{}: optimizer.type = \"lbfgs\": its line search chooses the step itself, so there is no "
                "learning rate to sweep; lr-find works with the mini-batch optimizers (sgd, adam, ...)",
                given.source.empty() ? std::string("config") : given.source);
  set_threads(given.train.threads);
  const PreparedData data = prepare_data(given, o.config_dir);
  const Config& c = data.config;
  const Dataset& train = data.splits.train;
  r.name = c.name;
  r.optimizer = std::string(name_of(c.optimizer.type()));
  r.batch_size = std::min(batch_size_at(c.train, 0), train.size());

  sweep(c, train, data.classes, lrs, o, r);
  r.stop_lr = r.lrs.back();
  if (r.stop_reason == "completed")
    r.stop_detail = fmt::format("all {} steps ran, up to lr {:.3g}, without the smoothed loss exceeding {:g} × its "
                                "minimum",
                                o.steps, r.stop_lr, o.stop_factor);
  r.suggestions = suggest_lrs(r.lrs, r.smoothed, o.steps);
  return r;
}

namespace {

// The series with every stretch above cap cut out: a line that leaves the plot ends where it
// crosses cap (interpolated in the plotted x, so its slope is kept), then the pen lifts (NaN).
plot::Series clipped(plot::Series s, double cap, bool log_x, bool& clipped_any) {
  std::vector<double> x, y;
  auto px = [&](double v) { return log_x ? std::log10(v) : v; };
  auto crossing = [&](std::size_t a, std::size_t b) {
    const double t = (cap - s.y[a]) / (s.y[b] - s.y[a]);
    const double v = px(s.x[a]) + t * (px(s.x[b]) - px(s.x[a]));
    x.push_back(log_x ? std::pow(10.0, v) : v);
    y.push_back(cap);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < s.y.size(); ++i) {
    const bool below = s.y[i] <= cap;
    if (below) {
      if (i > 0 && std::isfinite(s.y[i - 1]) && s.y[i - 1] > cap) crossing(i - 1, i);
      x.push_back(s.x[i]);
      y.push_back(s.y[i]);
      continue;
    }
    clipped_any = clipped_any || std::isfinite(s.y[i]);
    if (i > 0 && s.y[i - 1] <= cap && std::isfinite(s.y[i])) crossing(i - 1, i);
    x.push_back(nan);
    y.push_back(nan);
  }
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

}  // namespace

void plot_lr_find(const std::string& path, const LrFindResult& r) {
  GRADNET_CHECK(!r.lrs.empty(), internal, "plot_lr_find: no points");
  const bool log_x = r.options.mode == "exp";
  // The y axis reaches 1.5 × the highest smoothed loss before the minimum (the starting level), so
  // the dip stays readable; the explosion after it runs off the top.
  double level = 0;
  for (Index i = 0; i <= std::max<Index>(r.best_index, 0) && i < static_cast<Index>(r.smoothed.size()); ++i)
    if (std::isfinite(r.smoothed[i])) level = std::max(level, r.smoothed[i]);
  double top = 0;
  for (double v : r.smoothed)
    if (std::isfinite(v)) top = std::max(top, v);
  const double cap = level > 0 ? 1.5 * level : top > 0 ? top : 1.0;
  bool clipped_any = false;
  std::vector<plot::Series> series = {
      // Invisible (width 0): holds the x axis to the whole sweep and the y axis up to cap.
      {"", {r.lrs.front(), r.lrs.back()}, {cap, cap}, {1, 1, 1}, 0.0},
      clipped({"loss of each batch", r.lrs, r.losses, {0.70, 0.78, 0.90}, 1.0}, cap, log_x, clipped_any),
      clipped({fmt::format("smoothed loss (β = {:g})", r.options.beta), r.lrs, r.smoothed, plot::palette(0), 2.2},
              cap, log_x, clipped_any)};
  if (!clipped_any) series[0].y = {level, level};  // nothing runs off: let the data set the top
  for (std::size_t k = 0; k < r.suggestions.size(); ++k) {
    const LrSuggestion& g = r.suggestions[k];
    std::string label = fmt::format("{}: {:.2e}", g.rule, g.lr);
    if (g.rule == "min/10") label += fmt::format(" (minimum at {:.2e})", g.point_lr);
    if (k == 0) label += " (suggested)";
    // The marker sits at the suggested lr on the smoothed curve; for min/10 that is a decade left of
    // the minimum the rule starts from, not the minimum itself.
    const auto at = std::lower_bound(r.lrs.begin(), r.lrs.end(), g.lr);
    const std::size_t j = std::min<std::size_t>(static_cast<std::size_t>(at - r.lrs.begin()), r.lrs.size() - 1);
    const bool on_curve = g.lr >= r.lrs.front() && std::isfinite(r.smoothed[j]) && r.smoothed[j] <= cap;
    plot::Series m{label, {on_curve ? g.lr : g.point_lr}, {on_curve ? r.smoothed[j] : g.point_loss},
                   plot::palette(static_cast<int>(k) + 1), 4.5};
    m.markers = true;
    series.push_back(m);
  }
  plot::Axes axes;
  // The legend goes in the top corner above the lower side of the curve: the top-left one when the
  // loss climbs on the right (a sweep that diverged), else the top-right.
  double left_top = -std::numeric_limits<double>::infinity(), right_top = left_top;
  const double x_first = log_x ? std::log10(r.lrs.front()) : r.lrs.front();
  const double x_last = log_x ? std::log10(r.lrs.back()) : r.lrs.back();
  for (const plot::Series* s : {&series[1], &series[2]})
    for (std::size_t i = 0; i < s->x.size(); ++i) {
      if (!std::isfinite(s->y[i])) continue;
      const double f = ((log_x ? std::log10(s->x[i]) : s->x[i]) - x_first) / (x_last - x_first);
      if (f < 0.5) left_top = std::max(left_top, s->y[i]);
      else right_top = std::max(right_top, s->y[i]);
    }
  axes.legend_left = left_top < right_top;
  axes.title = fmt::format("{}: lr range test ({}, batch {}, {} sweep {:g} to {:g})", r.name, r.optimizer,
                           r.batch_size, r.options.mode, r.options.start, r.options.end);
  axes.x_label = log_x ? "learning rate (log scale)" : "learning rate";
  axes.y_label = "training loss";
  axes.log_x = log_x;
  axes.note = fmt::format("{} after {} of {} steps{}", r.stop_reason, r.lrs.size(), r.options.steps,
                          clipped_any ? fmt::format("; losses above {:.3g} run off the top", cap) : "");
  plot::line_plot(path, axes, series);
}

std::string lr_find_json(const LrFindResult& r) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  auto nums = [&](const std::vector<double>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) a.push_back(num(x));
    return a;
  };
  nlohmann::json suggestions = nlohmann::json::array();
  for (const LrSuggestion& g : r.suggestions)
    suggestions.push_back({{"rule", g.rule},
                           {"lr", num(g.lr)},
                           {"index", g.index},
                           {"point_lr", num(g.point_lr)},
                           {"point_loss", num(g.point_loss)},
                           {"meaning", g.meaning}});
  nlohmann::json j = {
      {"name", r.name},
      {"optimizer", r.optimizer},
      {"batch_size", r.batch_size},
      {"mode", r.options.mode},
      {"start", r.options.start},
      {"end", r.options.end},
      {"steps", r.options.steps},
      {"beta", r.options.beta},
      {"stop_factor", r.options.stop_factor},
      {"steps_run", r.lrs.size()},
      {"stop_reason", r.stop_reason},
      {"stop_detail", r.stop_detail},
      {"stop_lr", num(r.stop_lr)},
      {"best_lr", r.best_index >= 0 ? num(r.lrs[r.best_index]) : nlohmann::json(nullptr)},
      {"best_loss", r.best_index >= 0 ? num(r.smoothed[r.best_index]) : nlohmann::json(nullptr)},
      {"suggested_lr", r.suggestions.empty() ? nlohmann::json(nullptr) : num(r.suggestions[0].lr)},
      {"suggested_rule", r.suggestions.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.suggestions[0].rule)},
      {"suggestions", suggestions},
      {"lrs", nums(r.lrs)},
      {"losses", nums(r.losses)},
      {"smoothed", nums(r.smoothed)},
  };
  return j.dump(2) + "\n";
}

}  // namespace gradnet
