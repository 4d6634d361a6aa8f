// TrainingMonitor's per-epoch reports: the epoch means of the sampled update ratios, norms and
// activation statistics for metrics.jsonl, the warnings, the weight histograms and image, and
// finish() (monitor.h; docs/monitoring.md).
#include <algorithm>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "monitor_impl.h"

namespace gradnet {

using namespace monitor_detail;

Json TrainingMonitor::Impl::layers_json(bool initial) {
  Json out = Json::object();
  for (ParamWatch& w : params) {
    Json j;
    if (initial) {  // epoch 0: the initial weights, nothing sampled yet
      j["update_ratio"] = nullptr;
      j["weight_norm"] = monitor::l2_norm(w.param->value.data(), w.param->value.size());
      j["grad_norm"] = nullptr;
    } else {
      j["update_ratio"] = number_or_null(w.epoch_ratio.value());
      j["weight_norm"] = number_or_null(w.epoch_weight_norm.value());
      j["grad_norm"] = number_or_null(w.epoch_grad_norm.value());
    }
    out[w.param->name] = std::move(j);
  }
  return out;
}

Json TrainingMonitor::Impl::activations_json() {
  Json out = Json::object();
  for (LayerWatch& l : layers) {
    if (l.std.n == 0 && l.mean.n == 0) continue;
    Json j;
    j["type"] = l.type;
    j["mean"] = number_or_null(l.mean.value());
    j["std"] = number_or_null(l.std.value());
    j["saturated"] = number_or_null(l.saturated.value());
    j["dead"] = number_or_null(l.dead.value());
    if (l.rule.kind == MonitorRule::Kind::rectifier) j["dead_units"] = number_or_null(l.dead_units.value());
    out[l.name] = std::move(j);
  }
  return out;
}

void TrainingMonitor::Impl::collect_warnings() {
  std::vector<std::string> units;  // saturated or dead units: they also explain vanishing updates
  for (const LayerWatch& l : layers) {
    const double s = l.saturated.value(), d = l.dead_units.value();
    if (std::isfinite(s) && s > mc.saturation_warn)
      units.push_back(fmt::format("{} ({}): {:.0f}% of outputs saturated (gradients vanish there); lower the lr "
                                  "or use a smaller init?",
                                  l.name, l.type, 100 * s));
    if (std::isfinite(d) && d > mc.saturation_warn)
      units.push_back(fmt::format("{} ({}): {:.0f}% of units output 0 for a whole batch (dead ReLUs); lower the "
                                  "lr or check the init?",
                                  l.name, l.type, 100 * d));
  }
  for (const ParamWatch& w : params) {
    const double r = w.judged_ratio.value();
    if (!w.warn || !std::isfinite(r)) continue;  // nothing judged yet (the warm-up)
    // A trend, not a step: above is judged by the running median of the last samples, below by the
    // epoch's mean, both after the warm-up (ParamWatch::judge).
    if (w.max_median > mc.ratio_high)
      warnings.push_back(fmt::format("{}: update/param ratio {:.1e} (median of the {} samples to step {}) is far "
                                     "above ~1e-3; lower the lr?",
                                     w.param->name, w.max_median, ParamWatch::kRatioWindow, w.max_median_step));
    else if (r < mc.ratio_low)
      warnings.push_back(fmt::format("{}: update/param ratio {:.1e} (epoch mean) is far below ~1e-3; {}", w.param->name,
                                     r, units.empty() ? "raise the lr?"
                                                      : "saturated or dead units stop the gradient (below): a "
                                                        "larger lr will not help"));
  }
  warnings.insert(warnings.end(), units.begin(), units.end());
}

MonitorEpochReport TrainingMonitor::Impl::end_epoch(const EpochRecord& r) {
  if (r.epoch == 0) {
    epoch = 0;
    histogram_epoch = std::find(histogram_epochs.begin(), histogram_epochs.end(), 0) != histogram_epochs.end();
  }
  warnings.clear();
  Json j = Json::object();
  j["layers"] = layers_json(r.epoch == 0);
  if (r.epoch > 0) {
    Json a = activations_json();
    if (!a.empty()) j["activations"] = std::move(a);
    collect_warnings();
    if (!warnings.empty()) j["warnings"] = warnings;
  }
  if (histogram_epoch)
    for (ParamWatch& w : params) add_histogram(r.step, w.param->name, "weight", w.param->value.data(), w.param->value.size());
  if (events) {
    events->add_scalar("train/loss", r.train_loss);
    events->add_scalar("train/acc", r.train_acc);
    if (std::isfinite(r.val_loss)) events->add_scalar("val/loss", r.val_loss);
    if (std::isfinite(r.val_acc)) events->add_scalar("val/acc", r.val_acc);
    if (r.epoch == 0) events->add_scalar("lr", r.lr);
    if (r.epoch > 0 && std::isfinite(r.examples_per_second) && r.examples_per_second > 0)
      events->add_scalar("examples_per_second", r.examples_per_second);
    if (histogram_epoch) {
      image = first_layer_image();
      image_step = last_update;
      if (image) events->add_image("first_layer/weights", {image->height, image->width, 3, image->png});
    }
    events->write_event(r.step);
    events->flush();
  }
  steps_file.flush();
  histograms_file.flush();
  GRADNET_CHECK(steps_file.good() && histograms_file.good(), runtime, "{}: writing steps.jsonl or histograms.jsonl failed",
                run_dir);
  return {j.dump(), warnings};
}

void TrainingMonitor::Impl::flush() {
  steps_file.flush();
  histograms_file.flush();
  if (events) events->flush();
  GRADNET_CHECK(steps_file.good() && histograms_file.good(), runtime, "{}: writing steps.jsonl or histograms.jsonl failed",
                run_dir);
}

void TrainingMonitor::Impl::finish() {
  if (image_step != last_update || !image) image = first_layer_image();  // weights changed since
  if (image) write_file_atomic(run_dir + "/first_layer.png", image->png);
  steps_file.close();
  histograms_file.close();
  if (events) events->flush();
  events.reset();
}

}  // namespace gradnet
