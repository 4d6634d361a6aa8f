// What monitoring costs per training epoch (the bar: < 5% on W1). Built and run by
// bench/monitor_overhead.sh; never by ctest.
//
//   monitor_overhead CONFIG [ROUNDS] [THREADS] [RUN_DIR]
//
// Loads CONFIG's data (bench/configs/w1.toml: Fashion-MNIST, 60,000 images), builds its net and
// optimizer, and trains whole epochs with the trainer's own step (TrainStep: zero_grad, forward,
// loss, backward, optimizer step; then argmax), alternating an epoch WITHOUT the monitor and one
// WITH TrainingMonitor's hooks at the step's points (begin_epoch ... end_epoch, with
// [monitor] from CONFIG: ratios every 10 steps, activations every 50, histograms at the first and
// the last round, TensorBoard on). Epoch times exclude evaluation, like the trainer's. Round 1 is a
// warm-up. Prints each round's pair and, last, one JSON line: median seconds off / on, the median
// of the per-round ratios on/off, and the overhead in percent.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/data/batcher.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/threads.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/monitor.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/step.h"

using namespace gradnet;
using Clock = std::chrono::steady_clock;

namespace {

// This thread's CPU seconds: unlike the wall clock, time spent descheduled on a busy machine does not
// count. With train.threads = 1 the whole epoch (BLAS included) runs on this thread.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The monitor's hooks at the trainer's points of the step (the trainer's MonitorCallback), each
// call timed.
template <typename Timed>
struct MonitorHooks final : StepObserver {
  TrainingMonitor& monitor;
  Timed& timed;
  Index step, rows;
  double lr;
  MonitorHooks(TrainingMonitor& m, Timed& t, Index s, Index r, double l) : monitor(m), timed(t), step(s), rows(r), lr(l) {}
  bool after_loss(double) override {
    timed([&] { monitor.after_forward(step); });
    return true;
  }
  void after_backward() override { timed([&] { monitor.after_backward(step); }); }
  void grads_ready() override { timed([&] { monitor.before_update(step); }); }
  void after_update(double loss) override { timed([&] { monitor.after_update(step, lr, loss, rows); }); }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: monitor_overhead CONFIG [ROUNDS=6] [THREADS=0] [RUN_DIR=/tmp/monitor_overhead_run]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 6;
  const std::string threads_arg = argc > 3 ? argv[3] : "0";
  const std::string run_dir = argc > 4 ? argv[4] : "/tmp/monitor_overhead_run";
  try {
    Config given = load_config(argv[1], {"train.threads=" + threads_arg, "train.epochs=" + std::to_string(rounds)});
    const int threads = set_threads(given.train.threads);
    PreparedData data = prepare_data(given);
    const Config& config = data.config;
    const Dataset& train = data.splits.train;
    const Index batch = config.train.batch_size;
    Net<float> net(config.model, data.classes, batch);
    Rng init_rng = Rng::stream(config.train.seed, "init");
    net.init(init_rng);
    auto optimizer = make_optimizer<float>(config.optimizer, net.params());
    Batcher batcher(train, batch, config.train.shuffle, Rng::stream(config.train.seed, "shuffle"));
    std::vector<std::int32_t> predicted(static_cast<std::size_t>(batch));
    std::filesystem::remove_all(run_dir);
    std::filesystem::create_directories(run_dir);
    TrainingMonitor monitor(config, net, run_dir);
    TrainStep train_step(net, *optimizer, Rng::stream(config.train.seed, "dropout"));
    const double lr = config.optimizer.lr;
    Index global_step = 0;

    double hook_seconds = 0;  // time inside the monitor's calls, summed over an epoch
    auto timed = [&](auto&& call) {
      const auto t = Clock::now();
      call();
      hook_seconds += std::chrono::duration<double>(Clock::now() - t).count();
    };
    double epoch_cpu = 0;  // the last epoch's CPU seconds on this thread
    auto run_epoch = [&](bool monitored, std::int64_t epoch) {
      const auto t0 = Clock::now();
      const double c0 = thread_cpu_seconds();
      hook_seconds = 0;
      if (monitored) timed([&] { monitor.begin_epoch(epoch, global_step, batcher.batches_per_epoch()); });
      batcher.start_epoch();
      double loss_sum = 0;
      Index correct = 0, seen = 0;
      MonitorHooks hooks{monitor, timed, 0, 0, 0.0};
      for (Batch b; batcher.next(b);) {
        const Index step = global_step + 1;
        hooks.step = step;
        hooks.rows = b.rows;
        hooks.lr = lr;
        const double loss = monitored ? train_step.run(b.x, b.y, lr, hooks).loss : train_step.run(b.x, b.y, lr).loss;
        argmax_rows(net.activation(net.num_layers() - 1), predicted.data());
        for (Index i = 0; i < b.rows; ++i) correct += predicted[i] == b.y[i] ? 1 : 0;
        global_step = step;
        loss_sum += loss * static_cast<double>(b.rows);
        seen += b.rows;
      }
      if (monitored) {
        EpochRecord r;
        r.epoch = epoch;
        r.step = global_step;
        r.lr = lr;
        r.train_loss = loss_sum / static_cast<double>(seen);
        r.train_acc = static_cast<double>(correct) / static_cast<double>(seen);
        r.val_loss = r.val_acc = std::numeric_limits<double>::quiet_NaN();
        r.examples_per_second = static_cast<double>(seen);
        MonitorEpochReport report;
        timed([&] { report = monitor.end_epoch(r); });
        for (const auto& w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
      }
      epoch_cpu = thread_cpu_seconds() - c0;
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };

    std::vector<double> off, on, ratio, hooks, cpu_ratio;
    std::printf("# %s: %lld training examples, %lld steps per epoch, batch %lld, %d threads\n", argv[1],
                static_cast<long long>(train.size()), static_cast<long long>(batcher.batches_per_epoch()),
                static_cast<long long>(batch), threads);
    for (int r = 1; r <= rounds; ++r) {
      // Alternate which comes first, so a drift within a round hits both alike.
      double t_off, t_on, t_hooks, c_off, c_on;
      if (r % 2) {
        t_off = run_epoch(false, r);
        c_off = epoch_cpu;
        t_on = run_epoch(true, r);
        c_on = epoch_cpu;
        t_hooks = hook_seconds;
      } else {
        t_on = run_epoch(true, r);
        c_on = epoch_cpu;
        t_hooks = hook_seconds;
        t_off = run_epoch(false, r);
        c_off = epoch_cpu;
      }
      std::printf("round %d: wall off %.4f s  on %.4f s  (on/off %.4f)  cpu off %.4f s  on %.4f s  (on/off %.4f)  "
                  "inside the hooks %.4f s (%.2f%% of off)%s\n",
                  r, t_off, t_on, t_on / t_off, c_off, c_on, c_on / c_off, t_hooks, 100 * t_hooks / t_off,
                  r == 1 ? "  (warm-up, not counted)" : "");
      std::fflush(stdout);
      if (r == 1 && rounds > 1) continue;
      off.push_back(t_off);
      on.push_back(t_on);
      ratio.push_back(t_on / t_off);
      hooks.push_back(t_hooks / t_off);
      cpu_ratio.push_back(c_on / c_off);
    }
    monitor.finish();
    const double m_off = median(off), m_on = median(on), m_ratio = median(ratio);
    std::printf(
        "{\"config\": \"%s\", \"rounds\": %zu, \"threads\": %d, \"steps_per_epoch\": %lld, \"off_s\": %.4f, "
        "\"on_s\": %.4f, \"ratio_median\": %.4f, \"overhead_percent\": %.2f, \"min_ratio\": %.4f, \"max_ratio\": %.4f, "
        "\"hooks_percent_median\": %.3f, \"hooks_percent_max\": %.3f, \"cpu_overhead_percent\": %.2f}\n",
        argv[1], off.size(), threads, static_cast<long long>(batcher.batches_per_epoch()), m_off, m_on, m_ratio,
        100 * (m_ratio - 1), *std::min_element(ratio.begin(), ratio.end()), *std::max_element(ratio.begin(), ratio.end()),
        100 * median(hooks), 100 * *std::max_element(hooks.begin(), hooks.end()), 100 * (median(cpu_ratio) - 1));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "monitor_overhead: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
