// TrainingMonitor: the step hooks (sampling decisions, update ratios, norms, activation statistics,
// steps.jsonl, histogram lines, TensorBoard scalars); the per-epoch reports are in monitor_epoch.cpp
// (include/gradnet/train/monitor.h; docs/monitoring.md).
#include "gradnet/train/monitor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/layer_registry.h"
#include "gradnet/train/monitor_stats.h"
#include "gradnet/train/tfevents.h"
#include "monitor_impl.h"

namespace gradnet {

namespace {

// A double as JSON: shortest round-trip form, null when not finite.
struct JsonNumber {
  double v;
};
JsonNumber json_number(double v) { return {v}; }

}  // namespace
}  // namespace gradnet

template <>
struct fmt::formatter<gradnet::JsonNumber> : fmt::formatter<double> {
  template <typename Context>
  auto format(gradnet::JsonNumber n, Context& ctx) const {
    if (!std::isfinite(n.v)) return fmt::format_to(ctx.out(), "null");
    return fmt::format_to(ctx.out(), "{}", n.v);
  }
};

namespace gradnet {
namespace {

using namespace monitor_detail;

// Keeps the lines of a JSONL file whose "step" is <= max_step (a resumed run rewrites the rest).
void keep_lines_up_to(const std::string& path, Index max_step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("step") && j["step"].is_number_integer() && j["step"].get<Index>() > max_step) continue;
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut short by a crash
    }
    kept += line + "\n";
  }
  in.close();
  write_file_atomic(path, kept);
}

}  // namespace

TrainingMonitor::Impl::Impl(const Config& config, Net<float>& n, std::string dir, Index resume_step)
    : mc(config.monitor), net(n), run_dir(std::move(dir)) {
  histogram_epochs = mc.histogram_epochs;
  if (histogram_epochs.empty()) histogram_epochs = {1, config.train.epochs};
  for (Param<float>* p : net.params()) {
    ParamWatch w;
    w.param = p;
    w.before.resize(static_cast<std::size_t>(p->value.size()));
    w.warn = p->value.shape().size() >= 2 && !p->frozen && p->lr_mult > 0;
    w.ratio_tag = "update_ratio/" + p->name;
    w.weight_tag = "weight_norm/" + p->name;
    w.grad_tag = "grad_norm/" + p->name;
    w.json_key = Json(p->name).dump();
    params.push_back(std::move(w));
  }
  for (Index i = 0; i < net.num_layers(); ++i) {
    LayerWatch l;
    l.name = fmt::format("layers.{}", i);
    l.type = std::string(net.layer(i).type());
    if (const LayerInfo* info = find_layer_info(l.type)) l.rule = info->monitor;
    l.mean_tag = "activation_mean/" + l.name;
    l.std_tag = "activation_std/" + l.name;
    l.saturated_tag = "saturated/" + l.name;
    l.dead_tag = "dead/" + l.name;
    layers.push_back(std::move(l));
  }
  find_image_param();

  const std::string steps_path = run_dir + "/steps.jsonl", histograms_path = run_dir + "/histograms.jsonl";
  auto mode = std::ios::out | std::ios::trunc;
  if (resume_step >= 0) {
    keep_lines_up_to(steps_path, resume_step);
    keep_lines_up_to(histograms_path, resume_step);
    mode = std::ios::out | std::ios::app;
  }
  steps_file.open(steps_path, mode);
  GRADNET_CHECK(steps_file.good(), runtime, "{}: cannot write steps.jsonl", run_dir);
  histograms_file.open(histograms_path, mode);
  GRADNET_CHECK(histograms_file.good(), runtime, "{}: cannot write histograms.jsonl", run_dir);
  if (mc.tensorboard) events = std::make_unique<tfevents::EventWriter>(run_dir + "/tensorboard");
  since = Clock::now();
}

void TrainingMonitor::Impl::find_image_param() {
  for (Index i = 0; i < net.num_layers(); ++i) {
    auto ps = net.layer(i).params();
    if (ps.empty()) continue;
    const Param<float>& w = ps[0];
    const Shape& s = w.value.shape();
    if (w.name.find("weight") == std::string::npos || s.size() < 2) return;
    int index = 0;
    for (std::size_t k = 0; k < params.size(); ++k)
      if (params[k].param == &ps[0]) index = static_cast<int>(k);
    if (s.size() == 2) {  // linear: (out, in), each row over the layer's input
      image_tile = i == 0 ? net.input_shape() : net.layer_output_shape(i - 1);
      if (numel(image_tile) != s[1]) return;
    } else {  // convolution: (out, C, kh, kw)
      image_tile = Shape(s.begin() + 1, s.end());
    }
    image_param = index;
    return;
  }
}

void TrainingMonitor::Impl::decide(Index step) {
  if (step == decided_step) return;
  decided_step = step;
  const bool last = step == last_step;
  ratio_step = step % mc.every_steps == 0 || (last && ratio_samples == 0);
  activation_step = step % mc.activation_every_steps == 0 || (last && activation_samples == 0);
  histogram_step = histogram_epoch && last;
}

void TrainingMonitor::Impl::add_histogram(Index step, const std::string& name, const char* kind, const float* x, Index n) {
  const monitor::HistogramData h = monitor::histogram(x, n, mc.histogram_bins);
  Json j;
  j["epoch"] = epoch;
  j["step"] = step;
  j["name"] = name;
  j["kind"] = kind;
  j["min"] = h.min;
  j["max"] = h.max;
  j["counts"] = h.counts;
  histograms_file << j.dump() << '\n';
  if (!events || h.finite == 0) return;
  tfevents::Histogram t{h.min, h.max, static_cast<double>(h.finite), h.sum, h.sum_squares, {}, {}};
  const double width = (h.max - h.min) / static_cast<double>(h.counts.size());
  for (std::size_t b = 0; b < h.counts.size(); ++b) {
    t.bucket_limit.push_back(b + 1 == h.counts.size() ? h.max : h.min + width * static_cast<double>(b + 1));
    t.bucket.push_back(static_cast<double>(h.counts[b]));
  }
  events->add_histogram(fmt::format("{}s/{}", kind, name), t);  // weights/..., grads/..., activations/...
}

std::optional<monitor::WeightImage> TrainingMonitor::Impl::first_layer_image() const {
  if (image_param < 0) return std::nullopt;
  const Param<float>& w = *params[static_cast<std::size_t>(image_param)].param;
  return monitor::weight_grid(w.value.data(), w.value.dim(0), image_tile);
}

void TrainingMonitor::Impl::after_forward(Index step) {
  if (step == forward_done) return;
  forward_done = step;
  decide(step);
  if (activation_step) {
    ++activation_samples;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      LayerWatch& l = layers[i];
      const monitor::ActivationStats s = monitor::activation_stats(net.activation(static_cast<Index>(i)), l.rule);
      l.mean.add(s.mean);
      l.std.add(s.std);
      l.saturated.add(s.saturated);
      l.dead.add(s.dead);
      l.dead_units.add(s.dead_units);
      if (events) {
        events->add_scalar(l.mean_tag, s.mean);
        events->add_scalar(l.std_tag, s.std);
        if (std::isfinite(s.saturated)) events->add_scalar(l.saturated_tag, s.saturated);
        if (std::isfinite(s.dead)) events->add_scalar(l.dead_tag, s.dead);
      }
    }
  }
  if (histogram_step)
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const ConstView<float> y = net.activation(static_cast<Index>(i));
      add_histogram(step, layers[i].name, "activation", y.data, y.size());
    }
}

void TrainingMonitor::Impl::after_backward(Index step) {
  if (step == backward_done) return;
  backward_done = step;
  decide(step);
  if (ratio_step) {
    for (ParamWatch& w : params) w.grad_norm = monitor::l2_norm(w.param->grad.data(), w.param->grad.size());
    grad_step = step;
  }
  if (histogram_step)
    for (ParamWatch& w : params) add_histogram(step, w.param->name, "grad", w.param->grad.data(), w.param->grad.size());
}

void TrainingMonitor::Impl::before_update(Index step) {
  decide(step);
  if (!ratio_step || snapshot_step == step) return;
  for (ParamWatch& w : params)
    w.weight_norm = monitor::copy_and_norm(w.param->value.data(), w.before.data(), w.param->value.size());
  snapshot_step = step;
}

void TrainingMonitor::Impl::after_update(Index step, double lr, double loss, Index examples) {
  if (step == update_done) return;
  update_done = step;
  decide(step);
  examples_since += examples;
  last_update = step;
  if (ratio_step) {
    ++ratio_samples;
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - since).count();
    const double rate = seconds > 0 ? static_cast<double>(examples_since) / seconds : kNaN;
    examples_since = 0;
    since = now;
    // {"step", "epoch", "loss", "lr", "examples_per_second", "update_ratio": {...}, "grad_norm": {...}}
    line.clear();
    fmt::format_to(std::back_inserter(line), "{{\"step\":{},\"epoch\":{},\"loss\":{},\"lr\":{},\"examples_per_second\":{}", step,
                   epoch, json_number(loss), json_number(lr), json_number(rate));
    for (ParamWatch& w : params) {
      w.ratio = snapshot_step == step && w.weight_norm > 0
                    ? monitor::diff_norm(w.before.data(), w.param->value.data(), w.param->value.size()) / w.weight_norm
                    : kNaN;
      if (grad_step != step) w.grad_norm = kNaN;
      if (snapshot_step != step) w.weight_norm = kNaN;
      w.epoch_ratio.add(w.ratio);
      if (w.ratio > w.max_ratio) w.max_ratio = w.ratio, w.max_ratio_step = step;
      if (step > mc.ratio_warmup_steps) w.judge(w.ratio, step);
      w.epoch_weight_norm.add(w.weight_norm);
      w.epoch_grad_norm.add(w.grad_norm);
      if (events) {
        if (std::isfinite(w.ratio)) events->add_scalar(w.ratio_tag, w.ratio);
        if (std::isfinite(w.weight_norm)) events->add_scalar(w.weight_tag, w.weight_norm);
        if (std::isfinite(w.grad_norm)) events->add_scalar(w.grad_tag, w.grad_norm);
      }
    }
    for (int part = 0; part < 2; ++part) {
      line += part == 0 ? ",\"update_ratio\":{" : ",\"grad_norm\":{";
      for (std::size_t k = 0; k < params.size(); ++k)
        fmt::format_to(std::back_inserter(line), "{}{}:{}", k ? "," : "", params[k].json_key,
                       json_number(part == 0 ? params[k].ratio : params[k].grad_norm));
      line += '}';
    }
    line += "}\n";
    steps_file << line;
    if (events) {
      events->add_scalar("lr", lr);
      events->add_scalar("train/batch_loss", loss);
      if (std::isfinite(rate)) events->add_scalar("examples_per_second/step", rate);
    }
  }
  if (events && events->pending()) events->write_event(step);
}

void TrainingMonitor::Impl::begin_epoch(std::int64_t e, Index steps_done, Index steps_in_epoch) {
  epoch = e;
  last_step = steps_done + steps_in_epoch;
  histogram_epoch = std::find(histogram_epochs.begin(), histogram_epochs.end(), e) != histogram_epochs.end();
  ratio_samples = activation_samples = 0;
  decided_step = -1;
  examples_since = 0;
  since = Clock::now();
  for (ParamWatch& w : params) {
    w.epoch_ratio = w.epoch_weight_norm = w.epoch_grad_norm = {};
    w.max_ratio = 0;
    w.max_ratio_step = 0;
    w.judged_ratio = {};
    w.max_median = 0;
    w.max_median_step = 0;
  }
  for (LayerWatch& l : layers) l.mean = l.std = l.saturated = l.dead = l.dead_units = {};
}

TrainingMonitor::TrainingMonitor(const Config& config, Net<float>& net, const std::string& run_dir, Index resume_step) {
  if (config.monitor.enabled) impl_ = std::make_unique<Impl>(config, net, run_dir, resume_step);
}

TrainingMonitor::~TrainingMonitor() = default;

void TrainingMonitor::begin_epoch(std::int64_t epoch, Index steps_done, Index steps_in_epoch) {
  if (impl_) impl_->begin_epoch(epoch, steps_done, steps_in_epoch);
}
void TrainingMonitor::after_forward(Index step) {
  if (impl_ && (step % impl_->mc.activation_every_steps == 0 || step >= impl_->last_step)) impl_->after_forward(step);
}
void TrainingMonitor::after_backward(Index step) {
  if (impl_ && (step % impl_->mc.every_steps == 0 || step >= impl_->last_step)) impl_->after_backward(step);
}
void TrainingMonitor::before_update(Index step) {
  if (impl_ && (step % impl_->mc.every_steps == 0 || step >= impl_->last_step)) impl_->before_update(step);
}
void TrainingMonitor::after_update(Index step, double lr, double loss, Index examples) {
  if (!impl_) return;
  if (step % impl_->mc.every_steps == 0 || step % impl_->mc.activation_every_steps == 0 || step >= impl_->last_step)
    impl_->after_update(step, lr, loss, examples);
  else
    impl_->examples_since += examples;
}
MonitorEpochReport TrainingMonitor::end_epoch(const EpochRecord& record) {
  return impl_ ? impl_->end_epoch(record) : MonitorEpochReport{};
}
void TrainingMonitor::finish() {
  if (impl_) impl_->finish();
}
void TrainingMonitor::flush() {
  if (impl_) impl_->flush();
}

}  // namespace gradnet
