// Trainer: prepare, then the epoch and step loop; every event goes to the callbacks in order
// (include/gradnet/train/callback.h). What the run writes besides model.safetensors, config.toml
// and the checkpoints' contents is written by callbacks (src/train/run_callbacks.cpp).
#include "gradnet/train/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "gradnet/data/augment.h"
#include "gradnet/data/batcher.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/schedule.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/evaluate.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/prepare.h"
#include "gradnet/train/step.h"
#include "run_dir.h"

namespace gradnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

}  // namespace

struct Trainer::Impl : StepObserver {
  Trainer& self;
  Clock::time_point t_start = Clock::now();
  TrainOptions options;
  int threads = 1;
  PreparedData data;
  bool has_val = false, full_batch = false;
  Index max_batch = 0, steps_per_epoch = 0;
  std::unique_ptr<Net<float>> net;
  std::unique_ptr<Optimizer<float>> optimizer;
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<TrainStep> step;
  std::unique_ptr<Augmenter> augmenter;
  Rng augment_rng;
  std::vector<float> aug_x;  // a copy of the batch that augmentation changes (the dataset never)
  TrainState st;
  std::string resumed_from;
  std::optional<RunDir> run;
  std::string resolved;
  std::vector<TrainerCallback*> callbacks;
  std::vector<std::unique_ptr<TrainerCallback>> owned;
  Summary summary;
  std::string stop_reason;
  bool stop = false;
  // The epoch under way.
  double scale = 1, lr = 0;
  Index epoch_steps = 0;
  Index step_in_epoch = 0;  // steps of this epoch done
  Clock::time_point t0;
  double seconds_before = 0;
  std::vector<std::int32_t> predicted;
  StepEvent event;  // the step under way

  explicit Impl(Trainer& t) : self(t) {}

  void prepare(const Config& given);
  void build_model();
  void resume();
  void begin_run();
  void run_epoch(std::int64_t epoch);
  void begin_epoch(std::int64_t epoch);
  void train_batch(Batch& b, std::int64_t epoch);
  void end_epoch(std::int64_t epoch);
  Summary finish();
  void record(const EpochRecord& r);

  template <typename F>
  void each(F&& f) {
    for (TrainerCallback* c : callbacks) f(*c);
  }

  // StepObserver: the trainer's own bookkeeping, then the callbacks.
  bool after_loss(double loss) override {
    event.loss = loss;
    each([&](TrainerCallback& c) { c.after_loss(self, event); });
    return true;
  }
  void after_backward() override {
    each([&](TrainerCallback& c) { c.after_backward(self, event); });
  }
  void grads_ready() override {
    if (!full_batch) {  // L-BFGS's epoch accuracy is measured after its step instead
      argmax_rows(net->activation(net->num_layers() - 1), predicted.data());
      for (Index i = 0; i < event.rows; ++i) st.correct += predicted[i] == current_labels[i] ? 1 : 0;
    }
    each([&](TrainerCallback& c) { c.on_grads_ready(self, event); });
  }
  void after_update(double loss) override {
    event.loss = loss;
    each([&](TrainerCallback& c) { c.after_update(self, event); });
  }
  const std::int32_t* current_labels = nullptr;
};

void Trainer::Impl::prepare(const Config& given) {
  threads = set_threads(given.train.threads);
  data = prepare_data(given, options.config_dir);
  const Config& config = data.config;
  has_val = data.splits.val.size() > 0;
  GRADNET_CHECK(has_val || !config.early_stopping.enabled || !is_validation(config.early_stopping.monitor), config,
                "early_stopping.monitor = \"{}\", but there is no validation split (data.validation = 0)",
                name_of(config.early_stopping.monitor));
  build_model();
  if (!options.resume_dir.empty()) resume();
  run = options.resume_dir.empty() ? RunDir(options.out_dir, config.name) : RunDir::reopen(options.resume_dir, st.epoch);
  resolved = to_toml(config);
  write_file_atomic(run->file("config.toml"), resolved);  // on resume too: --epochs may have extended it
  if (resumed_from.empty()) save_normalizer(run->file("normalization.safetensors"), data.normalizer);
}

// The net, optimizer, schedule, batcher and random streams a fresh run starts from.
void Trainer::Impl::build_model() {
  const Config& config = data.config;
  const TrainConfig& tc = config.train;
  const Dataset& train = data.splits.train;
  const Index n_train = train.size();
  // L-BFGS re-evaluates the full training set inside its step: the net then holds it in one batch.
  full_batch = config.optimizer.type() == OptimizerType::lbfgs;
  max_batch = full_batch ? n_train : max_batch_size(tc);
  net = std::make_unique<Net<float>>(config.model, data.classes, std::max(max_batch, tc.eval_batch_size));
  Rng init_rng = Rng::stream(tc.seed, "init");
  net->init(init_rng);
  optimizer = make_optimizer(config.optimizer.options, net->params());
  steps_per_epoch = full_batch ? 1 : (n_train + tc.batch_size - 1) / tc.batch_size;
  const std::vector<Index> run_steps = full_batch ? std::vector<Index>(static_cast<std::size_t>(tc.epochs), 1)
                                                  : steps_per_epoch_of_run(tc, n_train);
  schedule = make_schedule(config.schedule, config.optimizer.lr, run_steps);
  batcher = std::make_unique<Batcher>(train, full_batch ? n_train : batch_size_at(tc, 0), tc.shuffle && !full_batch,
                                      Rng::stream(tc.seed, "shuffle"));
  step = std::make_unique<TrainStep>(*net, *optimizer, Rng::stream(tc.seed, "dropout"));
  // Augmentation (docs/augmentation.md): each training batch is copied into aug_x and augmented
  // there, from its own stream, advanced per step like dropout's.
  augmenter = std::make_unique<Augmenter>(config.augment, config.model.input, data.normalizer);
  augment_rng = Rng::stream(tc.seed, "augment");
  aug_x.resize(augmenter->enabled() ? static_cast<std::size_t>(max_batch * train.features()) : 0);
  predicted.resize(static_cast<std::size_t>(max_batch));
}

// Continue options.resume_dir's newest checkpoint: weights, optimizer, schedule, streams, position.
void Trainer::Impl::resume() {
  const TrainConfig& tc = data.config.train;
  resumed_from = latest_checkpoint(options.resume_dir);
  st = read_checkpoint(resumed_from, *net, *optimizer);
  schedule->load_state(st.schedule);
  Rng dropout;
  dropout.set_state(st.dropout);
  step->set_dropout(dropout);
  if (st.augment != std::array<std::uint64_t, 6>{}) augment_rng.set_state(st.augment);  // older checkpoints: none
  if (!full_batch && st.batch != batcher->batch_size())
    *batcher = Batcher(data.splits.train, st.batch, tc.shuffle, batcher->rng());
  if (st.position > 0) batcher->resume(st.shuffle_epoch_start, st.position);
  else batcher->rng().set_state(st.shuffle_epoch_start);
}

void Trainer::Impl::record(const EpochRecord& r) {
  RecordEvent e{r, {}, {}};
  each([&](TrainerCallback& c) { c.on_record(self, e); });
}

// Step 0: losses before any update, so "initial loss ≈ ln(classes)" is in every run's log.
void Trainer::Impl::begin_run() {
  const TrainConfig& tc = data.config.train;
  if (resumed_from.empty()) {
    const EvalResult train0 = evaluate(*net, data.splits.train, tc.eval_batch_size);
    EvalResult val;
    if (has_val) val = evaluate(*net, data.splits.val, tc.eval_batch_size);
    st.initial_loss = train0.loss;
    const EpochRecord rec0{0, 0, schedule->lr(0, 0) * lr_scale(data.config, tc.batch_size), train0.loss,
                           train0.accuracy, has_val ? val.loss : nan(), has_val ? val.accuracy : nan(), 0, 0, ""};
    record(rec0);
  }
  summary.run_dir = run->path();
  summary.initial_loss = st.initial_loss;
  summary.parameters = net->parameter_count();
  summary.threads = threads;
  summary.epochs = st.epoch;
  each([&](TrainerCallback& c) { c.on_run_begin(self); });
}

void Trainer::Impl::begin_epoch(std::int64_t epoch) {
  const TrainConfig& tc = data.config.train;
  const bool resuming_mid_epoch = st.position > 0;
  if (!full_batch && !resuming_mid_epoch && batch_size_at(tc, epoch - 1) != batcher->batch_size())
    *batcher = Batcher(data.splits.train, batch_size_at(tc, epoch - 1), tc.shuffle, batcher->rng());  // same stream
  scale = lr_scale(data.config, batcher->batch_size());
  lr = schedule->lr(st.step, epoch - 1) * scale;
  epoch_steps = batcher->batches_per_epoch();
  t0 = Clock::now();
  seconds_before = resuming_mid_epoch ? st.epoch_seconds_so_far : 0.0;
  if (!resuming_mid_epoch) {
    batcher->start_epoch();
    st.loss_sum = 0;
    st.correct = st.seen = 0;
  }
  st.position = 0;
  step_in_epoch = batcher->position() / batcher->batch_size();
  each([&](TrainerCallback& c) { c.on_epoch_begin(self, epoch, st.step - step_in_epoch, epoch_steps); });
}

void Trainer::Impl::train_batch(Batch& b, std::int64_t epoch) {
  lr = schedule->lr(st.step, epoch - 1) * scale;
  if (augmenter->enabled()) {
    std::copy(b.x.data, b.x.data + b.x.size(), aug_x.data());
    Rng step_rng = augment_rng;
    augmenter->apply(View<float>{aug_x.data(), b.x.rows, b.x.cols}, step_rng);
    b.x = ConstView<float>(aug_x.data(), b.x.rows, b.x.cols);
    augment_rng = Rng(augment_rng.next_u64());  // a fresh augment stream for the next step
  }
  event = StepEvent{st.step + 1, epoch, lr, 0.0, b.rows};
  current_labels = b.y;
  const StepResult r = step->run(b.x, b.y, lr, *this);
  ++st.step;
  ++step_in_epoch;
  st.loss_sum += r.loss * static_cast<double>(b.rows);
  st.seen += b.rows;
  each([&](TrainerCallback& c) { c.on_step_end(self, event); });
}

void Trainer::Impl::run_epoch(std::int64_t epoch) {
  begin_epoch(epoch);
  for (Batch b; batcher->next(b);) train_batch(b, epoch);
  end_epoch(epoch);
}

void Trainer::Impl::end_epoch(std::int64_t epoch) {
  const TrainConfig& tc = data.config.train;
  const double seconds = seconds_before + seconds_since(t0);
  st.epoch_seconds.push_back(seconds);
  double train_acc = static_cast<double>(st.correct) / st.seen;
  if (full_batch) train_acc = evaluate(*net, data.splits.train, tc.eval_batch_size).accuracy;  // after the step
  EvalResult val;
  if (has_val) val = evaluate(*net, data.splits.val, tc.eval_batch_size);
  EpochRecord rec{epoch, st.step, lr, st.loss_sum / st.seen, train_acc, has_val ? val.loss : nan(),
                  has_val ? val.accuracy : nan(), seconds, st.seen / seconds, ""};
  EpochMetrics metrics;
  metrics.train_loss = rec.train_loss;
  metrics.train_acc = rec.train_acc;
  if (has_val) metrics.val_loss = rec.val_loss, metrics.val_acc = rec.val_acc;
  rec.note = schedule->observe(epoch - 1, metrics);  // plateau's decision, logged with the epoch
  record(rec);
  st.epoch = epoch;
  summary.epochs = epoch;
  each([&](TrainerCallback& c) { c.on_epoch_end(self, rec); });
}

Summary Trainer::Impl::finish() {
  const TrainConfig& tc = data.config.train;
  each([&](TrainerCallback& c) { c.on_train_end(self); });
  summary.steps = st.step;
  summary.epoch_seconds = st.epoch_seconds;
  const Splits& splits = data.splits;
  EvalResult val;
  if (has_val) val = evaluate(*net, splits.val, tc.eval_batch_size);
  summary.val_loss = has_val ? val.loss : nan();
  summary.val_accuracy = has_val ? val.accuracy : nan();
  // The last epoch's running means, as its metrics.jsonl record has them.
  summary.train_loss = st.seen ? st.loss_sum / st.seen : nan();
  summary.train_accuracy = st.seen ? static_cast<double>(st.correct) / st.seen : nan();
  const EvalResult test = evaluate(*net, splits.test, tc.eval_batch_size);
  summary.test_accuracy = test.accuracy;
  summary.test_loss = test.loss;
  write_safetensors(run->file("model.safetensors"), net_to_safetensors(*net, data.classes));
  summary.total_seconds = seconds_since(t_start);
  each([&](TrainerCallback& c) { c.on_run_end(self, summary); });
  return summary;
}

Trainer::Trainer(const Config& config, const TrainOptions& options) : impl_(std::make_unique<Impl>(*this)) {
  impl_->options = options;
  impl_->prepare(config);
}

Trainer::~Trainer() = default;

void Trainer::add_callback(TrainerCallback& callback) { impl_->callbacks.push_back(&callback); }

void Trainer::add_callback(std::unique_ptr<TrainerCallback> callback) {
  impl_->callbacks.push_back(callback.get());
  impl_->owned.push_back(std::move(callback));
}

Summary Trainer::run() {
  Impl& m = *impl_;
  m.begin_run();
  try {
    for (std::int64_t epoch = m.st.epoch + 1; epoch <= m.data.config.train.epochs && !m.stop; ++epoch)
      m.run_epoch(epoch);
  } catch (const Error& e) {
    // Keep every metric and checkpoint written so far; say in summary.json that the run failed.
    mark_failed("failed", e.what());
    throw;
  }
  return m.finish();
}

const Config& Trainer::config() const { return impl_->data.config; }
const TrainOptions& Trainer::options() const { return impl_->options; }
const std::string& Trainer::resolved_config() const { return impl_->resolved; }
Net<float>& Trainer::net() { return *impl_->net; }
Optimizer<float>& Trainer::optimizer() { return *impl_->optimizer; }
TrainState& Trainer::state() { return impl_->st; }
RunDir& Trainer::run_dir() { return *impl_->run; }
const std::string& Trainer::run_path() const { return impl_->run->path(); }
const Splits& Trainer::splits() const { return impl_->data.splits; }
Index Trainer::classes() const { return impl_->data.classes; }
int Trainer::threads() const { return impl_->threads; }
bool Trainer::resumed() const { return !impl_->resumed_from.empty(); }
bool Trainer::full_batch() const { return impl_->full_batch; }
Index Trainer::steps_per_epoch() const { return impl_->steps_per_epoch; }
Index Trainer::epoch_steps() const { return impl_->epoch_steps; }
Index Trainer::epoch_step() const { return impl_->step_in_epoch; }
Index Trainer::epoch_position() const { return impl_->batcher->position(); }
bool Trainer::at_epoch_end() const { return impl_->batcher->position() >= impl_->batcher->size(); }
double Trainer::epoch_seconds() const { return impl_->seconds_before + seconds_since(impl_->t0); }
bool Trainer::stop_requested() const { return impl_->stop; }

void Trainer::request_stop(const std::string& reason) {
  impl_->stop = true;
  impl_->summary.stopped_early = reason;
}

void Trainer::warn(const std::string& message) {
  impl_->each([&](TrainerCallback& c) { c.on_warning(*this, message); });
}

void Trainer::mark_failed(const std::string& status, const std::string& message) {
  const TrainState& st = impl_->st;
  impl_->run->write_json("summary.json",
                         {{"status", status}, {"error", message}, {"epochs", st.epoch}, {"step", st.step}});
}

// The state a checkpoint captures; position > 0 means in the middle of an epoch.
std::string Trainer::write_checkpoint(Index position) {
  Impl& m = *impl_;
  TrainState& st = m.st;
  st.batch = m.batcher->batch_size();
  st.position = position;
  st.shuffle_epoch_start = position > 0 ? m.batcher->epoch_start_state() : m.batcher->rng().state();
  st.dropout = m.step->dropout().state();
  st.augment = m.augment_rng.state();
  st.schedule = m.schedule->state();
  const std::string path = m.run->file(checkpoint_name(st.step));
  gradnet::write_checkpoint(path, *m.net, *m.optimizer, st, m.data.normalizer);
  prune_checkpoints(m.run->path(), m.data.config.checkpoint.keep_last);
  return path;
}

}  // namespace gradnet
