#include "gradnet/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "gradnet/data/batcher.h"
#include "gradnet/data/load.h"
#include <map>
#include "gradnet/data/normalize.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/schedule.h"
#include "gradnet/threads.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/prepare.h"
#include "run_dir.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

nlohmann::json to_json(const EpochRecord& r) {
  nlohmann::json j = {{"epoch", r.epoch},        {"step", r.step},         {"lr", r.lr},
          {"train_loss", r.train_loss}, {"train_acc", r.train_acc}, {"val_loss", r.val_loss},
          {"val_acc", r.val_acc},    {"seconds", r.seconds},  {"examples_per_second", r.examples_per_second}};
  if (!r.note.empty()) j["schedule"] = r.note;
  return j;
}

}  // namespace

Summary train(const Config& given, const TrainOptions& options, TrainCallbacks& callbacks) {
  const auto t_start = Clock::now();
  const int threads = set_threads(given.train.threads);
  PreparedData data = prepare_data(given, options.config_dir);
  const Config& config = data.config;
  const TrainConfig& tc = config.train;
  Splits& splits = data.splits;
  const Normalizer& normalizer = data.normalizer;
  const Index classes = data.classes;

  // L-BFGS re-evaluates the full training set inside its step: the net then holds it in one batch.
  const bool full_batch = config.optimizer.type == "lbfgs";
  const Dataset& train = splits.train;
  const Index n_train = train.size();
  const Index max_batch = full_batch ? n_train : max_batch_size(tc);
  Net<float> net(config.model, classes, std::max(max_batch, tc.eval_batch_size));
  Rng init_rng = Rng::stream(tc.seed, "init");
  net.init(init_rng);
  std::vector<Param<float>*> params = net.params();
  std::unique_ptr<Optimizer<float>> optimizer = make_optimizer(config.optimizer, params);
  const Index steps_per_epoch = full_batch ? 1 : (n_train + tc.batch_size - 1) / tc.batch_size;
  std::unique_ptr<Schedule> schedule = make_schedule(config.schedule, config.optimizer.lr, steps_per_epoch, tc.epochs);

  RunDir run(options.out_dir, config.name);
  const std::string resolved = to_toml(config);
  write_file_atomic(run.file("config.toml"), resolved);
  save_normalizer(run.file("normalization.safetensors"), normalizer);
  const bool has_val = splits.val.size() > 0;

  // Step 0: losses before any update, so "initial loss ≈ ln(classes)" is in every run's log.
  const EvalResult train0 = evaluate(net, train, tc.eval_batch_size);
  EvalResult val = has_val ? evaluate(net, splits.val, tc.eval_batch_size) : EvalResult{};
  EpochRecord rec0{0, 0, schedule->lr(0, 0) * lr_scale(config, tc.batch_size), train0.loss, train0.accuracy,
                   has_val ? val.loss : nan(), has_val ? val.accuracy : nan(), 0, 0, ""};
  run.append_metrics(to_json(rec0));
  TrainStart start{run.path(), resolved, n_train, splits.val.size(), splits.test.size(), classes,
                   net.parameter_count(), threads, tc.seed, train0.loss, steps_per_epoch};
  callbacks.on_start(start);

  Summary summary;
  summary.run_dir = run.path();
  summary.initial_loss = train0.loss;
  summary.parameters = net.parameter_count();
  summary.threads = threads;

  Index batch = full_batch ? n_train : batch_size_at(tc, 0);
  Batcher batcher(train, batch, tc.shuffle && !full_batch, Rng::stream(tc.seed, "shuffle"));
  std::vector<std::int32_t> predicted(static_cast<std::size_t>(max_batch));
  Rng dropout_rng = Rng::stream(tc.seed, "dropout");
  Index global_step = 0;

  try {
    for (std::int64_t epoch = 1; epoch <= tc.epochs; ++epoch) {
      if (!full_batch && batch_size_at(tc, epoch - 1) != batch) {  // batch-size schedule: re-batch, same stream
        batch = batch_size_at(tc, epoch - 1);
        batcher = Batcher(train, batch, tc.shuffle, batcher.rng());
      }
      const double scale = lr_scale(config, batch);
      double lr = schedule->lr(global_step, epoch - 1) * scale;
      const Index steps = batcher.batches_per_epoch();
      const auto t0 = Clock::now();
      batcher.start_epoch();
      double loss_sum = 0;
      Index correct = 0, seen = 0, s = 0;
      for (Batch b; batcher.next(b); ++s) {
        const Index n = b.rows;
        lr = schedule->lr(global_step, epoch - 1) * scale;
        auto evaluate_batch = [&] {  // forward + loss + backward; the closure L-BFGS re-runs
          Rng step_rng = dropout_rng;  // the same dropout mask on every re-evaluation of a step
          net.zero_grad();
          net.forward(b.x, StepContext{Mode::train, &step_rng});
          const double loss = net.loss(b.y);
          if (!std::isfinite(loss))
            fail(ErrorKind::runtime,
                 "step {} (epoch {}, batch {}): the loss became {}; the run diverged. Try a lower "
                 "optimizer.lr (now {:g})",
                 global_step + 1, epoch, s + 1, loss, lr);
          net.backward(b.y);
          return loss;
        };
        double loss;
        if (full_batch) {
          loss = optimizer->step_closure(lr, evaluate_batch);
        } else {
          loss = evaluate_batch();
          argmax_rows(net.activation(net.num_layers() - 1), predicted.data());
          for (Index i = 0; i < n; ++i) correct += predicted[i] == b.y[i] ? 1 : 0;
          optimizer->step(lr);
        }
        dropout_rng = Rng(dropout_rng.next_u64());  // a fresh dropout stream for the next step
        ++global_step;
        loss_sum += loss * static_cast<double>(n);
        seen += n;
        callbacks.on_step({epoch, tc.epochs, s + 1, steps, global_step, loss_sum / seen, seconds_since(t0), seen});
      }
      const double seconds = seconds_since(t0);
      summary.epoch_seconds.push_back(seconds);
      double train_acc = static_cast<double>(correct) / seen;
      if (full_batch) train_acc = evaluate(net, train, tc.eval_batch_size).accuracy;  // after the step
      if (has_val) val = evaluate(net, splits.val, tc.eval_batch_size);
      EpochRecord rec{epoch, global_step, lr, loss_sum / seen, train_acc, has_val ? val.loss : nan(),
                      has_val ? val.accuracy : nan(), seconds, seen / seconds, ""};
      std::map<std::string, double> metrics = {{"train_loss", rec.train_loss}, {"train_acc", rec.train_acc}};
      if (has_val) metrics.insert({{"val_loss", rec.val_loss}, {"val_acc", rec.val_acc}});
      rec.note = schedule->observe(epoch - 1, metrics);  // plateau's decision, logged with the epoch
      run.append_metrics(to_json(rec));
      callbacks.on_epoch(rec);
      summary.train_loss = rec.train_loss;
      summary.train_accuracy = rec.train_acc;
      summary.val_loss = rec.val_loss;
      summary.val_accuracy = rec.val_acc;
      summary.epochs = epoch;
    }
  } catch (const Error& e) {
    // Keep every metric written so far; say in summary.json that the run failed.
    run.write_json("summary.json", {{"status", "failed"}, {"error", e.what()}, {"epochs", summary.epochs}});
    throw;
  }
  summary.steps = global_step;

  const EvalResult test = evaluate(net, splits.test, tc.eval_batch_size);
  summary.test_accuracy = test.accuracy;
  summary.test_loss = test.loss;
  write_safetensors(run.file("model.safetensors"), net_to_safetensors(net, classes));
  summary.total_seconds = seconds_since(t_start);
  run.write_json("summary.json", {{"status", "ok"},
                                  {"name", config.name},
                                  {"test_accuracy", summary.test_accuracy},
                                  {"test_loss", summary.test_loss},
                                  {"val_accuracy", summary.val_accuracy},
                                  {"val_loss", summary.val_loss},
                                  {"train_loss", summary.train_loss},
                                  {"train_accuracy", summary.train_accuracy},
                                  {"initial_loss", summary.initial_loss},
                                  {"epochs", summary.epochs},
                                  {"steps", summary.steps},
                                  {"epoch_seconds", summary.epoch_seconds},
                                  {"parameters", summary.parameters},
                                  {"threads", summary.threads},
                                  {"seed", tc.seed},
                                  {"total_seconds", summary.total_seconds},
                                  {"run_dir", summary.run_dir}});
  return summary;
}

}  // namespace gradnet
