// TrainingMonitor and its arithmetic: update/param ratios on a hand-checkable SGD step, activation
// statistics (saturated, dead), histograms, sampling periods, warnings for a huge and a tiny lr,
// the files it writes (steps.jsonl, histograms.jsonl, TensorBoard, first_layer.png), [monitor]
// config keys, and no allocation on unsampled steps.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/layer_registry.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/rng.h"
#include "gradnet/train/monitor.h"
#include "gradnet/train/monitor_stats.h"
#include "gradnet/train/tfevents.h"
#include "test_support.h"

// Counts the allocations of this binary while g_count_allocations is set (for the test that
// unsampled steps allocate nothing).
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_count_allocations.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gradnet {
namespace {

using gradnet::testing::read_file;
using gradnet::testing::TempDir;
using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// A small MLP on 16 inputs (a 4x4 "image"): linear 5 - sigmoid - linear 4 - relu - linear 3.
Config small_config(const std::string& monitor = "", double lr = 0.1, int epochs = 2) {
  return parse_config(
      "[model]\ninput = [16]\nlayers = [{ type = \"linear\", out = 5 }, { type = \"sigmoid\" }, "
      "{ type = \"linear\", out = 4 }, { type = \"relu\" }, { type = \"linear\", out = 3 }]\n"
      "[optimizer]\ntype = \"sgd\"\nlr = " +
          fmt::format("{:g}", lr) + "\n[train]\nepochs = " + std::to_string(epochs) + "\n[monitor]\n" + monitor + "\n",
      "monitor.toml");
}

std::vector<Json> jsonl(const std::string& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

// A net, an optimizer, a fixed batch, and one training step with the monitor's hooks in place.
struct Rig {
  static constexpr Index kBatch = 8;
  Config config;
  Net<float> net;
  std::unique_ptr<Optimizer<float>> optimizer;
  std::vector<float> x;
  std::vector<std::int32_t> y;
  Index step = 0;

  explicit Rig(Config c, double input_scale = 1.0) : config(std::move(c)), net(config.model, 3, kBatch) {
    Rng rng = Rng::stream(1, "init");
    net.init(rng);
    optimizer = make_optimizer<float>(config.optimizer.options, net.params());
    Rng data = Rng::stream(2, "data");
    for (Index i = 0; i < kBatch * 16; ++i) x.push_back(static_cast<float>(input_scale * (data.uniform() * 2 - 1)));
    for (Index i = 0; i < kBatch; ++i) y.push_back(static_cast<std::int32_t>(i % 3));
  }

  double train_step(TrainingMonitor& m, double lr) {
    ++step;
    net.zero_grad();
    net.forward(ConstView<float>(x.data(), kBatch, 16), StepContext{Mode::train, nullptr});
    const double loss = net.loss(y.data());
    m.after_forward(step);
    net.backward(y.data());
    m.after_backward(step);
    m.before_update(step);
    optimizer->step(lr);
    m.after_update(step, lr, loss, kBatch);
    return loss;
  }

  MonitorEpochReport epoch(TrainingMonitor& m, std::int64_t e, Index steps, double lr) {
    return epoch(m, e, steps, [lr](Index) { return lr; });
  }
  // lr_at(s): the lr of the epoch's step s (0, 1, ...).
  MonitorEpochReport epoch(TrainingMonitor& m, std::int64_t e, Index steps, const std::function<double(Index)>& lr_at) {
    m.begin_epoch(e, step, steps);
    double loss = 0, lr = 0;
    for (Index s = 0; s < steps; ++s) loss = train_step(m, lr = lr_at(s));
    EpochRecord r;
    r.epoch = e;
    r.step = step;
    r.lr = lr;
    r.train_loss = loss;
    r.train_acc = 0.5;
    r.val_loss = kNaN;
    r.val_acc = kNaN;
    r.examples_per_second = 1000;
    return m.end_epoch(r);
  }
};

// ---------------------------------------------------------------------------------------------
// The arithmetic

TEST(MonitorStats, NormAndUpdateRatio) {
  const float w[] = {3, 4}, after[] = {3.3f, 3.6f};
  EXPECT_DOUBLE_EQ(monitor::l2_norm(w, 2), 5.0);
  // Δw = (0.3, -0.4): ‖Δw‖ = 0.5, ‖w‖ = 5 -> 0.1
  EXPECT_NEAR(monitor::update_ratio(w, after, 2), 0.1, 1e-7);
  const float zero[] = {0, 0};
  EXPECT_TRUE(std::isnan(monitor::update_ratio(zero, after, 2)));
}

// How the monitor reads a type's output: its registry row's rule.
MonitorRule rule_of(const char* type) { return find_layer_info(type)->monitor; }

TEST(MonitorStats, SigmoidTanhSaturationAndReluDeath) {
  // 2 rows x 4 units
  const float sig[] = {0.01f, 0.5f, 0.97f, 0.3f, 0.049f, 0.951f, 0.05f, 0.95f};
  auto s = monitor::activation_stats(ConstView<float>(sig, 2, 4), rule_of("sigmoid"));
  EXPECT_DOUBLE_EQ(s.saturated, 4.0 / 8);  // 0.01, 0.97, 0.049, 0.951
  EXPECT_TRUE(std::isnan(s.dead));
  EXPECT_NEAR(s.mean, (0.01 + 0.5 + 0.97 + 0.3 + 0.049 + 0.951 + 0.05 + 0.95) / 8, 1e-7);

  const float th[] = {-0.99f, 0.2f, 0.96f, -0.5f, 0.0f, 0.94f, -0.951f, 1.0f};
  s = monitor::activation_stats(ConstView<float>(th, 2, 4), rule_of("tanh"));
  EXPECT_DOUBLE_EQ(s.saturated, 4.0 / 8);  // -0.99, 0.96, -0.951, 1.0

  const float relu[] = {0, 1, 0, 2, 0, 0, 0, 3};  // unit 0 and unit 2 are zero on both rows
  s = monitor::activation_stats(ConstView<float>(relu, 2, 4), rule_of("relu"));
  EXPECT_DOUBLE_EQ(s.dead, 5.0 / 8);
  EXPECT_DOUBLE_EQ(s.dead_units, 2.0 / 4);
  EXPECT_TRUE(std::isnan(s.saturated));
  EXPECT_DOUBLE_EQ(s.mean, 6.0 / 8);
  EXPECT_NEAR(s.std, std::sqrt(14.0 / 8 - 36.0 / 64), 1e-12);

  s = monitor::activation_stats(ConstView<float>(relu, 2, 4), rule_of("linear"));
  EXPECT_TRUE(std::isnan(s.saturated));
  EXPECT_TRUE(std::isnan(s.dead));
  EXPECT_TRUE(std::isnan(s.dead_units));
}

TEST(MonitorStats, HistogramCountsSumToTheElements) {
  std::vector<float> x;
  for (int i = 0; i < 1000; ++i) x.push_back(static_cast<float>(std::sin(i * 0.37) * 3));
  const auto h = monitor::histogram(x.data(), 1000, 30);
  ASSERT_EQ(h.counts.size(), 30u);
  std::int64_t total = 0;
  for (auto c : h.counts) total += c;
  EXPECT_EQ(total, 1000);
  EXPECT_EQ(h.finite, 1000);
  EXPECT_FLOAT_EQ(static_cast<float>(h.min), *std::min_element(x.begin(), x.end()));
  EXPECT_FLOAT_EQ(static_cast<float>(h.max), *std::max_element(x.begin(), x.end()));

  const float small[] = {0, 1, 2, 3, 4, 10, std::nanf(""), INFINITY};
  const auto g = monitor::histogram(small, 8, 5);  // bins of width 2: [0,2) [2,4) [4,6) [6,8) [8,10]
  EXPECT_EQ(g.counts, (std::vector<std::int64_t>{2, 2, 1, 0, 1}));
  EXPECT_EQ(g.finite, 6);
  EXPECT_EQ(g.min, 0);
  EXPECT_EQ(g.max, 10);

  const float same[] = {2, 2, 2};
  EXPECT_EQ(monitor::histogram(same, 3, 4).counts, (std::vector<std::int64_t>{3, 0, 0, 0}));
}

std::pair<int, int> png_size(const std::string& png) {
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return static_cast<int>((static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
                            (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]));
  };
  return {be32(16), be32(20)};  // IHDR width, height
}

TEST(MonitorStats, WeightGridTilesEachUnit) {
  std::vector<float> w(5 * 16);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7);
  // 5 units of 4x4 -> 3 columns, 2 rows; tiles enlarged x16 to 64 px, 2 px gaps.
  auto image = monitor::weight_grid(w.data(), 5, {16});
  ASSERT_TRUE(image);
  EXPECT_EQ(image->width, 3 * 66 + 2);
  EXPECT_EQ(image->height, 2 * 66 + 2);
  EXPECT_EQ(png_size(image->png), std::make_pair(200, 134));
  // MNIST's first layer (64 units of 28x28): x3 to 84 px, 8 x 8 tiles -> 690 px, not one pixel per weight.
  std::vector<float> mnist(64 * 784, 0.5f);
  mnist[0] = 1.0f;
  auto big = monitor::weight_grid(mnist.data(), 64, {784});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->width, 8 * 86 + 2);
  EXPECT_TRUE(monitor::weight_grid(w.data(), 5, {1, 4, 4}));
  EXPECT_FALSE(monitor::weight_grid(w.data(), 5, {15}));       // not a square
  EXPECT_FALSE(monitor::weight_grid(w.data(), 5, {2, 2, 4}));  // two channels
}

// ---------------------------------------------------------------------------------------------
// The monitor

TEST(TrainingMonitor, RatioOfAPlainSgdStepIsLrTimesGradOverWeight) {
  TempDir tmp;
  Rig rig(small_config("every_steps = 1"));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  m.begin_epoch(1, 0, 1);
  // What the ratio must be, from the params just before the step: ‖lr·g‖ / ‖w‖.
  const double lr = 0.1;
  rig.net.zero_grad();
  rig.net.forward(ConstView<float>(rig.x.data(), Rig::kBatch, 16), StepContext{Mode::train, nullptr});
  rig.net.loss(rig.y.data());
  rig.net.backward(rig.y.data());
  std::map<std::string, double> expected, grad_norms, weight_norms;
  for (Param<float>* p : rig.net.params()) {
    grad_norms[p->name] = monitor::l2_norm(p->grad.data(), p->grad.size());
    weight_norms[p->name] = monitor::l2_norm(p->value.data(), p->value.size());
    expected[p->name] = lr * grad_norms[p->name] / weight_norms[p->name];
  }
  rig.train_step(m, lr);  // the same batch from the same params: the same gradient
  const MonitorEpochReport report = m.end_epoch({1, 1, lr, 1.0, 0.5, kNaN, kNaN, 1, 8, ""});

  const auto steps = jsonl(tmp / "steps.jsonl");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["step"], 1);
  EXPECT_EQ(steps[0]["epoch"], 1);
  EXPECT_DOUBLE_EQ(steps[0]["lr"].get<double>(), lr);
  const Json layers = Json::parse(report.json)["layers"];
  for (const auto& [name, r] : expected) {
    if (std::isfinite(r)) {
      EXPECT_NEAR(steps[0]["update_ratio"][name].get<double>(), r, 1e-5 * r) << name;
      EXPECT_NEAR(layers[name]["update_ratio"].get<double>(), r, 1e-5 * r) << name;
      EXPECT_NEAR(layers[name]["weight_norm"].get<double>(), weight_norms[name], 1e-6 * weight_norms[name]) << name;
    } else {  // a zero-initialised bias: no ratio on its first step
      EXPECT_TRUE(steps[0]["update_ratio"][name].is_null()) << name;
      EXPECT_TRUE(layers[name]["update_ratio"].is_null()) << name;
    }
    EXPECT_NEAR(layers[name]["grad_norm"].get<double>(), grad_norms[name], 1e-6 * grad_norms[name] + 1e-12) << name;
  }
  EXPECT_TRUE(std::isfinite(expected["layers.0.weight"]));
}

TEST(TrainingMonitor, SamplesEveryNStepsAndTheLastStepOfAnEpochWithoutSamples) {
  TempDir tmp;
  Rig rig(small_config("every_steps = 3\nactivation_every_steps = 4"));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  const Json e1 = Json::parse(rig.epoch(m, 1, 10, 0.1).json);  // steps 1..10: samples at 3, 6, 9
  const Json e2 = Json::parse(rig.epoch(m, 2, 2, 0.1).json);   // steps 11, 12: none due, so 12
  std::vector<int> sampled;
  for (const Json& j : jsonl(tmp / "steps.jsonl")) sampled.push_back(j["step"].get<int>());
  EXPECT_EQ(sampled, (std::vector<int>{3, 6, 9, 12}));
  EXPECT_TRUE(e1.contains("activations"));
  EXPECT_TRUE(e2.contains("activations"));  // step 12 is a multiple of 4
  // The activation statistics: one entry per layer, the type beside them.
  const Json& a = e1["activations"];
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a["layers.1"]["type"], "sigmoid");
  EXPECT_GE(a["layers.1"]["saturated"].get<double>(), 0.0);
  EXPECT_LE(a["layers.1"]["saturated"].get<double>(), 1.0);
  EXPECT_TRUE(a["layers.1"]["dead"].is_null());
  EXPECT_EQ(a["layers.3"]["type"], "relu");
  EXPECT_TRUE(a["layers.3"]["saturated"].is_null());
  EXPECT_GE(a["layers.3"]["dead"].get<double>(), 0.0);
  EXPECT_TRUE(a["layers.3"].contains("dead_units"));
  EXPECT_EQ(a["layers.0"]["type"], "linear");
  EXPECT_TRUE(a["layers.0"]["saturated"].is_null());
  EXPECT_GT(a["layers.0"]["std"].get<double>(), 0.0);
}

TEST(TrainingMonitor, HugeLrIsFlaggedTinyLrToo) {
  TempDir a, b, c;
  // No warm-up here: the rules themselves (the warm-up has its own test below). An lr of 2 moves the
  // weights by ~10% a step, step after step (50 kills every unit in two steps: then nothing moves).
  Rig huge(small_config("every_steps = 1\nratio_warmup_steps = 0", 2.0));
  TrainingMonitor mh(huge.config, huge.net, a.path().string());
  const MonitorEpochReport rh = huge.epoch(mh, 1, 20, 2.0);
  std::string all;
  for (const auto& w : rh.warnings) all += w + "\n";
  EXPECT_HAS(all, "layers.0.weight: update/param ratio");
  EXPECT_HAS(all, "(median of the 5 samples to step ");
  EXPECT_HAS(all, ") is far above ~1e-3; lower the lr?");
  const Json j = Json::parse(rh.json);
  ASSERT_TRUE(j.contains("warnings"));
  EXPECT_EQ(j["warnings"].size(), rh.warnings.size());
  // Once per param per epoch.
  std::set<std::string> unique(rh.warnings.begin(), rh.warnings.end());
  EXPECT_EQ(unique.size(), rh.warnings.size());

  Rig tiny(small_config("ratio_warmup_steps = 0", 1e-7));
  TrainingMonitor mt(tiny.config, tiny.net, b.path().string());
  const MonitorEpochReport rt = tiny.epoch(mt, 1, 20, 1e-7);
  ASSERT_FALSE(rt.warnings.empty());
  EXPECT_HAS(rt.warnings[0], "layers.0.weight: update/param ratio");
  EXPECT_HAS(rt.warnings[0], "(epoch mean) is far below ~1e-3; raise the lr?");

  Rig fine(small_config("ratio_low = 1e-9\nratio_high = 10", 0.1));
  TrainingMonitor mf(fine.config, fine.net, c.path().string());
  const MonitorEpochReport rf = fine.epoch(mf, 1, 20, 0.1);
  for (const auto& w : rf.warnings) EXPECT_EQ(w.find("update/param ratio"), std::string::npos) << w;
  EXPECT_TRUE(rf.warnings.empty()) << rf.json;
  EXPECT_FALSE(Json::parse(rf.json).contains("warnings"));
}

// Warnings on the shipped examples taught users to ignore them: a fresh init's first updates are
// large (iris-mlp's small last layer: 1.9e-1 at step 7), and one sampled step is not a trend.
TEST(TrainingMonitor, RatioIsJudgedAfterTheWarmUpOnARunningMedian) {
  TempDir a, b, c;
  // The default warm-up (100 updates): 20 steps at a huge lr are recorded, not judged.
  Rig early(small_config("every_steps = 1", 2.0));
  TrainingMonitor me(early.config, early.net, a.path().string());
  const MonitorEpochReport re = early.epoch(me, 1, 20, 2.0);
  for (const auto& w : re.warnings) EXPECT_EQ(w.find("update/param ratio"), std::string::npos) << w;
  EXPECT_GT(jsonl(a / "steps.jsonl")[0]["update_ratio"]["layers.0.weight"].get<double>(), 1e-2);
  // The same run past the warm-up: judged, and flagged.
  Rig late(small_config("every_steps = 1\nratio_warmup_steps = 10", 2.0));
  TrainingMonitor ml(late.config, late.net, b.path().string());
  std::string all;
  for (const auto& w : late.epoch(ml, 1, 20, 2.0).warnings) all += w + "\n";
  EXPECT_HAS(all, "layers.0.weight: update/param ratio");
  EXPECT_HAS(all, "far above ~1e-3");

  // One spike among ordinary steps: above ratio_high on its own, but the median of 5 ignores it.
  Rig spike(small_config("every_steps = 1\nratio_warmup_steps = 0\nratio_low = 1e-9\nratio_high = 0.05", 1e-3));
  TrainingMonitor ms(spike.config, spike.net, c.path().string());
  const MonitorEpochReport rs = spike.epoch(ms, 1, 20, [](Index s) { return s == 9 ? 5.0 : 1e-3; });
  const auto steps = jsonl(c / "steps.jsonl");
  ASSERT_EQ(steps.size(), 20u);
  EXPECT_GT(steps[9]["update_ratio"]["layers.0.weight"].get<double>(), 0.05);  // the spike, at step 10
  for (const auto& w : rs.warnings) EXPECT_EQ(w.find("far above"), std::string::npos) << w;
}

TEST(TrainingMonitor, SaturatedSigmoidsAreFlagged) {
  TempDir tmp;
  Rig rig(small_config("activation_every_steps = 1\nratio_warmup_steps = 0", 1e-6), 1000.0);
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  const MonitorEpochReport r = rig.epoch(m, 1, 3, 1e-6);
  const Json j = Json::parse(r.json);
  EXPECT_GT(j["activations"]["layers.1"]["saturated"].get<double>(), 0.5);
  std::string all;
  for (const auto& w : r.warnings) all += w + "\n";
  EXPECT_HAS(all, "layers.1 (sigmoid): 100% of outputs saturated (gradients vanish there)");
  EXPECT_EQ(all.find("layers.3 (relu)"), std::string::npos);
  // The first layer barely moves, but because its units saturate, not because the lr is small.
  EXPECT_HAS(all, "layers.0.weight: update/param ratio");
  EXPECT_HAS(all, "saturated or dead units stop the gradient (below): a larger lr will not help");
  EXPECT_EQ(all.find("raise the lr"), std::string::npos);
}

TEST(TrainingMonitor, HistogramsAtChosenEpochsCountEveryElement) {
  TempDir tmp;
  Rig rig(small_config("histogram_epochs = [0, 2]\nhistogram_bins = 7", 0.1, 3));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  m.end_epoch({0, 0, 0.1, 1.1, 0.3, kNaN, kNaN, 0, 0, ""});
  rig.epoch(m, 1, 3, 0.1);
  rig.epoch(m, 2, 3, 0.1);
  rig.epoch(m, 3, 3, 0.1);
  std::map<std::string, int> kinds;
  std::set<std::int64_t> epochs;
  for (const Json& h : jsonl(tmp / "histograms.jsonl")) {
    const std::string kind = h["kind"], name = h["name"];
    ++kinds[kind];
    epochs.insert(h["epoch"].get<std::int64_t>());
    ASSERT_EQ(h["counts"].size(), 7u);
    std::int64_t total = 0;
    for (const auto& c : h["counts"]) total += c.get<std::int64_t>();
    Index expected = 0;
    if (kind == "activation") {
      const Index layer = std::stoll(name.substr(7));
      expected = Rig::kBatch * numel(rig.net.layer_output_shape(layer));
      EXPECT_EQ(h["step"], 6);  // the last step of epoch 2
    } else {
      for (Param<float>* p : rig.net.params())
        if (p->name == name) expected = p->value.size();
    }
    EXPECT_EQ(total, expected) << h.dump();
    EXPECT_LE(h["min"].get<double>(), h["max"].get<double>());
  }
  EXPECT_EQ(epochs, (std::set<std::int64_t>{0, 2}));
  EXPECT_EQ(kinds["weight"], 2 * 6);  // 6 params at epochs 0 and 2
  EXPECT_EQ(kinds["grad"], 6);        // epoch 2 only
  EXPECT_EQ(kinds["activation"], 5);  // 5 layers, epoch 2
}

TEST(TrainingMonitor, TensorBoardFileAndFirstLayerImage) {
  TempDir tmp;
  Rig rig(small_config("every_steps = 2"));
  {
    TrainingMonitor m(rig.config, rig.net, tmp.path().string());
    m.end_epoch({0, 0, 0.1, 1.1, 0.3, 1.2, 0.25, 0, 0, ""});
    rig.epoch(m, 1, 4, 0.1);
    rig.epoch(m, 2, 4, 0.1);
    m.finish();
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(tmp / "tensorboard")) files.push_back(e.path().string());
  ASSERT_EQ(files.size(), 1u);
  const auto events = tfevents::read_events(files[0]);
  ASSERT_GT(events.size(), 3u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  std::map<std::string, std::set<std::int64_t>> steps_of;
  int images = 0, histograms = 0;
  for (const auto& e : events)
    for (const auto& v : e.values) {
      steps_of[v.tag].insert(e.step);
      if (v.kind == tfevents::Value::Kind::image) {
        ++images;
        EXPECT_EQ(png_size(v.image.png), std::make_pair(v.image.width, v.image.height));
        EXPECT_EQ(v.image.colorspace, 3);
      }
      if (v.kind == tfevents::Value::Kind::histogram) {
        ++histograms;
        EXPECT_EQ(v.histogram.bucket.size(), 30u);
        EXPECT_EQ(v.histogram.bucket_limit.back(), v.histogram.max);
      }
    }
  EXPECT_EQ(steps_of["train/loss"], (std::set<std::int64_t>{0, 4, 8}));
  EXPECT_EQ(steps_of["val/loss"], (std::set<std::int64_t>{0}));  // NaN later: no validation
  EXPECT_EQ(steps_of["update_ratio/layers.0.weight"], (std::set<std::int64_t>{2, 4, 6, 8}));
  EXPECT_EQ(steps_of["grad_norm/layers.4.weight"], (std::set<std::int64_t>{2, 4, 6, 8}));
  EXPECT_TRUE(steps_of.count("weight_norm/layers.2.bias"));
  EXPECT_TRUE(steps_of.count("lr"));
  EXPECT_TRUE(steps_of.count("saturated/layers.1"));
  EXPECT_TRUE(steps_of.count("dead/layers.3"));
  EXPECT_TRUE(steps_of.count("weights/layers.0.weight"));
  EXPECT_TRUE(steps_of.count("grads/layers.0.weight"));
  EXPECT_TRUE(steps_of.count("activations/layers.1"));
  EXPECT_EQ(images, 2);  // epochs 1 and 2 (the default histogram epochs)
  EXPECT_GT(histograms, 0);

  const std::string png = read_file(tmp / "first_layer.png");
  EXPECT_EQ(png_size(png), std::make_pair(200, 134));  // 5 units of 4x4, each enlarged to 64 px
}

// L-BFGS runs forward and backward several times per step: the hooks count each step once.
TEST(TrainingMonitor, RepeatedHooksInOneStepCountOnce) {
  TempDir a, b;
  auto run = [](const std::string& dir, int repeats) {
    Rig rig(small_config("every_steps = 1\nactivation_every_steps = 1\nhistogram_epochs = [1]"));
    TrainingMonitor m(rig.config, rig.net, dir);
    m.begin_epoch(1, 0, 2);
    for (Index step = 1; step <= 2; ++step) {
      m.before_update(step);
      for (int k = 0; k < repeats; ++k) {
        rig.net.zero_grad();
        rig.net.forward(ConstView<float>(rig.x.data(), Rig::kBatch, 16), StepContext{Mode::train, nullptr});
        rig.net.loss(rig.y.data());
        m.after_forward(step);
        rig.net.backward(rig.y.data());
        m.after_backward(step);
      }
      rig.optimizer->step(0.1);
      m.after_update(step, 0.1, 1.0, Rig::kBatch);
      m.after_update(step, 0.1, 1.0, Rig::kBatch);
    }
    return m.end_epoch({1, 2, 0.1, 1.0, 0.5, kNaN, kNaN, 1, 8, ""}).json;
  };
  EXPECT_EQ(run(a.path().string(), 1), run(b.path().string(), 3));
  EXPECT_EQ(jsonl(a / "steps.jsonl").size(), 2u);
  EXPECT_EQ(jsonl(b / "steps.jsonl").size(), 2u);
  EXPECT_EQ(jsonl(a / "histograms.jsonl").size(), jsonl(b / "histograms.jsonl").size());
}

TEST(TrainingMonitor, DisabledWritesNothing) {
  TempDir tmp;
  Rig rig(small_config("enabled = false"));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  EXPECT_FALSE(m.enabled());
  const MonitorEpochReport r = rig.epoch(m, 1, 5, 0.1);
  m.finish();
  EXPECT_EQ(r.json, "{}");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(TrainingMonitor, NoTensorBoardWhenOff) {
  TempDir tmp;
  Rig rig(small_config("tensorboard = false"));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  rig.epoch(m, 1, 3, 0.1);
  m.finish();
  EXPECT_FALSE(fs::exists(tmp / "tensorboard"));
  EXPECT_TRUE(fs::exists(tmp / "steps.jsonl"));
}

TEST(TrainingMonitor, UnsampledStepsAllocateNothing) {
  TempDir tmp;
  Rig rig(small_config("every_steps = 1000\nactivation_every_steps = 1000"));
  TrainingMonitor m(rig.config, rig.net, tmp.path().string());
  m.begin_epoch(1, 0, 100);
  rig.train_step(m, 0.1);  // warm the net and the optimizer up
  g_allocations = 0;
  g_count_allocations = true;
  for (Index step = 2; step <= 20; ++step) {
    m.after_forward(step);
    m.after_backward(step);
    m.before_update(step);
    m.after_update(step, 0.1, 1.0, 8);
  }
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
  // ... and a sampled step does its work (this test would pass vacuously otherwise).
  g_allocations = 0;
  g_count_allocations = true;
  m.before_update(1000);
  m.after_update(1000, 0.1, 1.0, 8);
  g_count_allocations = false;
  EXPECT_GT(g_allocations.load(), 0);
}

TEST(TrainingMonitor, ResumeKeepsLinesUpToTheResumeStep) {
  TempDir tmp;
  Rig rig(small_config("every_steps = 2"));
  {
    TrainingMonitor m(rig.config, rig.net, tmp.path().string());
    rig.epoch(m, 1, 8, 0.1);  // samples at 2, 4, 6, 8
  }
  {
    TrainingMonitor m(rig.config, rig.net, tmp.path().string(), 4);
    rig.step = 4;
    rig.epoch(m, 2, 2, 0.1);  // steps 5, 6: sample at 6
  }
  std::vector<int> sampled;
  for (const Json& j : jsonl(tmp / "steps.jsonl")) sampled.push_back(j["step"].get<int>());
  EXPECT_EQ(sampled, (std::vector<int>{2, 4, 6}));
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp / "tensorboard")) ++files;
  EXPECT_EQ(files, 2);
}

// ---------------------------------------------------------------------------------------------
// [monitor] in the config

std::string config_error(const std::string& monitor) {
  try {
    small_config(monitor);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << monitor;
  return "";
}

TEST(MonitorConfig, DefaultsAndKeys) {
  const MonitorConfig d = small_config().monitor;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.every_steps, 10);
  EXPECT_EQ(d.activation_every_steps, 50);
  EXPECT_TRUE(d.histogram_epochs.empty());
  EXPECT_EQ(d.histogram_bins, 30);
  EXPECT_EQ(d.ratio_low, 1e-4);
  EXPECT_EQ(d.ratio_high, 1e-2);
  EXPECT_EQ(d.saturation_warn, 0.5);
  EXPECT_TRUE(d.tensorboard);
  const MonitorConfig c =
      small_config("enabled = false\nevery_steps = 5\nhistogram_epochs = [1, 3]\ntensorboard = false").monitor;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.every_steps, 5);
  EXPECT_EQ(c.histogram_epochs, (std::vector<std::int64_t>{1, 3}));
  EXPECT_FALSE(c.tensorboard);
  EXPECT_EQ(parse_config(to_toml(small_config("every_steps = 7")), "x").monitor.every_steps, 7);
}

// docs/monitoring.md's [monitor] block parses and states the defaults.
TEST(MonitorConfig, DocsSnippetParsesAndShowsTheDefaults) {
  const std::string doc = read_file(gradnet::testing::source_dir() + "/docs/monitoring.md");
  const auto begin = doc.find("```toml\n[monitor]");
  ASSERT_NE(begin, std::string::npos);
  const auto end = doc.find("```", begin + 7);
  const std::string snippet = doc.substr(begin + 8, end - begin - 8);
  const Config c = parse_config("[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n" + snippet, "monitoring.md");
  EXPECT_EQ(to_toml(c), to_toml(parse_config("[model]\ninput = [4]\nlayers = [{ type = \"linear\", out = 2 }]\n", "x")));
}

TEST(MonitorConfig, BadValuesNameTheKey) {
  EXPECT_HAS(config_error("every_steps = 0"), "monitor.every_steps = 0: expected an integer >= 1");
  EXPECT_HAS(config_error("saturation_warn = 1.5"), "monitor.saturation_warn");
  EXPECT_HAS(config_error("histogram_epochs = [-1]"), "monitor.histogram_epochs");
  EXPECT_HAS(config_error("every_step = 3"), "did you mean 'every_steps'");
  EXPECT_HAS(config_error("ratio_low = 0.1\nratio_high = 0.01"), "monitor.ratio_low = 0.1 must be below monitor.ratio_high");
}

}  // namespace
}  // namespace gradnet
