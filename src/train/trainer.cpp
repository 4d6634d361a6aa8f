// Trainer: prepare, then the epoch and step loop; every event goes to the callbacks in order
// (include/gradnet/train/callback.h). What the run writes besides model.safetensors, config.toml
// and the checkpoints' contents is written by callbacks (src/train/run_callbacks.cpp).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/plural.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/model_io.h"
#include "trainer_impl.h"

namespace gradnet {

namespace {

using trainer_detail::Clock;
using trainer_detail::seconds_since;

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

}  // namespace

void Trainer::Impl::prepare(const Config& given) {
  threads = set_threads(given.train.threads);
  resuming = !options.resume_dir.empty() && has_checkpoint(options.resume_dir);
  // A resumed transfer run normalizes with its own copy of the source's statistics (the source may be gone).
  const bool own_statistics = resuming && !given.train.init_from.empty();
  data = prepare_data(given, options.config_dir, own_statistics ? options.resume_dir + "/normalization.safetensors" : "");
  const Config& config = data.config;
  has_val = data.splits.val.size() > 0;
  GRADNET_CHECK(has_val || !config.early_stopping.enabled || !is_validation(config.early_stopping.monitor), config,
                "early_stopping.monitor = \"{}\", but there is no validation split (data.validation = 0)",
                name_of(config.early_stopping.monitor));
  build_model();
  if (options.profile) start_profile();
  // A run killed before its step-0 checkpoint has nothing to continue: --resume starts it over.
  const bool restart = !options.resume_dir.empty() && !has_checkpoint(options.resume_dir);
  if (!options.resume_dir.empty() && !restart) {
    resume();
    check_resume_target();
  }
  start_step = st.step;
  seconds_before_start = st.run_seconds;
  if (!writer()) {  // a rank > 0 of a data-parallel run: rank 0 writes the run directory
    private_dir = (std::filesystem::temp_directory_path() /
                   fmt::format("gradnet-rank{}-{}", options.comm->rank(), static_cast<long>(getpid()))).string();
    run = RunDir(private_dir, config.name);
  } else {
    run = options.resume_dir.empty() ? RunDir(options.out_dir, config.name)
                                     : RunDir::reopen(options.resume_dir, restart ? -1 : st.epoch);
  }
  resolved = to_toml(config);
  write_file_atomic(run->file("config.toml"), resolved);  // on resume too: --epochs may have extended it
  if (resumed_from.empty()) save_normalizer(run->file("normalization.safetensors"), data.normalizer);
  if (resumed_from.empty()) save_dataset_info(run->file("dataset.json"), data.info);  // class names for eval, predict
  if (summary.init_from && resumed_from.empty()) run->write_json("init_from.json", to_json(*summary.init_from));
  if (!resumed_from.empty()) summary.init_from = read_init_report(run->file("init_from.json"));
}

// The net, optimizer, schedule, batcher and random streams a fresh run starts from.
void Trainer::Impl::build_model() {
  const Config& config = data.config;
  const TrainConfig& tc = config.train;
  const Dataset& train = data.splits.train;
  const Index n_train = train.size();
  // L-BFGS re-evaluates the full training set inside its step: the net then holds it in one batch.
  full_batch = config.optimizer.type() == OptimizerType::lbfgs;
  // Buffers for the rows a batch can hold: never more than the data has (batch_size = 2^24 on 100 examples).
  max_batch = full_batch ? n_train : std::min(max_batch_size(tc), n_train);
  const Index largest = std::max({n_train, data.splits.val.size(), data.splits.test.size()});
  // Evaluation passes are train.eval_batch_size rows, by default the training batch (evaluate.h).
  try {
    net = std::make_unique<Net<float>>(config.model, data.classes,
                                       std::min(std::max(max_batch, eval_batch_size(tc)), largest));
  } catch (const Error& e) {  // "the data has 1000000 classes": say where the labels come from
    if (std::string(e.what()).find("classes") == std::string::npos) throw;
    fail(e.kind(), "{} (the classes are the labels of {})", e.what(), data.splits.train.source);
  }
  Rng init_rng = Rng::stream(tc.seed, "init");
  net->init(init_rng);
  if (!tc.init_from.empty() && !resuming) {  // a resumed run's weights come from its checkpoint
    summary.init_from = load_init_weights(*net, tc);
    summary.init_from->normalization = data.normalization_note;
  }
  frozen_layers(config, net->num_layers(), std::numeric_limits<std::int64_t>::max());  // every range checked now
  apply_frozen_layers(*net, config, 1);  // before the optimizer: L-BFGS takes the trainable params once
  optimizer = make_optimizer(config.optimizer.options, net->params());
  steps_per_epoch = full_batch ? 1 : (n_train + tc.batch_size - 1) / tc.batch_size;
  const std::vector<Index> run_steps = full_batch ? std::vector<Index>(static_cast<std::size_t>(tc.epochs), 1)
                                                  : steps_per_epoch_of_run(tc, n_train);
  schedule = make_schedule(config.schedule, config.optimizer.lr, run_steps);
  batcher = std::make_unique<Batcher>(train, full_batch ? n_train : batch_size_at(tc, 0), tc.shuffle && !full_batch,
                                      Rng::stream(tc.seed, "shuffle"));
  step = std::make_unique<TrainStep>(*net, *optimizer, Rng::stream(tc.seed, "dropout"));
  step->set_data_parallel(DataParallel{options.comm, options.signal_flag, config.train.sync_batch_norm});
  step->set_thread_shards(config.train.thread_shards);
  // Augmentation (docs/augmentation.md): each training batch is copied into aug_x and augmented
  // there, from its own stream, advanced per step like dropout's.
  augmenter = std::make_unique<Augmenter>(config.augment, config.model.input, data.normalizer);
  augment_rng = Rng::stream(tc.seed, "augment");
  aug_x.resize(augmenter->enabled() ? static_cast<std::size_t>(max_batch * train.features()) : 0);
  noisy_x.resize(tc.input_noise != InputNoise::none ? static_cast<std::size_t>(max_batch * train.features()) : 0);
  predicted.resize(static_cast<std::size_t>(max_batch));
}

void Trainer::Impl::start_profile() {
  prof.emplace();
  for (Index i = 0; i < net->num_layers(); ++i)
    prof->layers.push_back(fmt::format("layers.{} ({})", i, net->layer(i).type()));
  prof->optimizer = std::string(name_of(data.config.optimizer.type()));
  net->set_times(&prof->net);
}

Trainer::Impl::~Impl() {
  if (private_dir.empty()) return;
  run.reset();  // its lock file first
  std::error_code ec;
  std::filesystem::remove_all(private_dir, ec);
}

// Each rank has counted the correct predictions of its own shards since the last sum.
void Trainer::Impl::sync_correct() {
  if (!distributed()) return;
  double n = static_cast<double>(unsynced_correct);
  options.comm->allreduce_sum(&n, 1);
  st.correct += static_cast<Index>(n);
  unsynced_correct = 0;
}

// Batch norm's running statistics follow each rank's own shards: their mean over the ranks is
// what evaluation, checkpoints and the model use (local batch statistics, docs/scaling.md).
void Trainer::Impl::sync_buffers() {
  if (!distributed()) return;
  const float inv = 1.0f / static_cast<float>(options.comm->size());
  for (Buffer<float>* b : net->buffers()) {
    options.comm->allreduce_sum(b->value.data(), static_cast<std::size_t>(b->value.size()));
    for (Index i = 0; i < b->value.size(); ++i) b->value.data()[i] *= inv;
  }
}

EvalResult Trainer::Impl::evaluate_split(const Dataset& d) {
  sync_buffers();
  if (!prof) return evaluate(*net, d, eval_pass_rows(data.config.train, *net));
  const auto t0 = Clock::now();
  net->set_times(nullptr);
  const EvalResult r = evaluate(*net, d, eval_pass_rows(data.config.train, *net));
  net->set_times(&prof->net);
  prof->evaluation += seconds_since(t0);
  return r;
}

double Trainer::Impl::profiled_seconds() const {
  double s = prof->net.loss_forward + prof->net.loss_backward + prof->net.zero_grad;
  for (double t : prof->net.forward) s += t;
  for (double t : prof->net.backward) s += t;
  for (const auto& c : prof->callbacks) s += c.second;
  return s;
}

// Continue options.resume_dir's newest checkpoint: weights, optimizer, schedule, streams, position.
void Trainer::Impl::resume() {
  const TrainConfig& tc = data.config.train;
  resumed_from = latest_checkpoint(options.resume_dir);
  st = read_checkpoint(resumed_from, *net, *optimizer);
  const int ranks = distributed() ? options.comm->size() : 1;
  GRADNET_CHECK(st.ranks == ranks || options.reshard, usage,
                "--resume {}: {} was written by {} process{} (mpirun -np {}), this run has {}; resume with "
                "mpirun -np {}, or pass --reshard to go on with {} (the global batch stays the same)",
                options.resume_dir, resumed_from, st.ranks, st.ranks == 1 ? "" : "es", st.ranks, ranks, st.ranks, ranks);
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

// --resume of a run that has trained as far as train.epochs asks (or further) has nothing to do:
// said, with exit 2, before the run directory is touched (config.toml keeps its epochs). A run
// whose last checkpoint is its final epoch but which never wrote its results (killed during the
// final evaluation) is finished instead.
void Trainer::Impl::check_resume_target() const {
  namespace fs = std::filesystem;
  const std::int64_t asked = data.config.train.epochs;
  const std::int64_t begun = st.epoch + (st.position > 0 ? 1 : 0);  // a mid-epoch checkpoint has begun the next
  if (begun < asked) return;
  const fs::path dir(options.resume_dir);
  bool finished = false;
  std::error_code ec;
  if (st.position == 0 && fs::exists(dir / "model.safetensors", ec) && fs::exists(dir / "summary.json", ec)) {
    const auto summary = nlohmann::json::parse(read_whole_file((dir / "summary.json").string()), nullptr, false);
    finished = summary.is_object() && summary.value("status", "") == "ok";
  }
  if (begun == asked && !finished) return;  // the rest of the last epoch, or the results, are still to come
  fail(ErrorKind::usage, "--resume {}: already trained {}{}{}; nothing to do: pass --epochs {} to train longer",
       options.resume_dir, count_of(st.epoch, "epoch"), st.position > 0 ? " and part of the next" : "",
       begun > asked ? fmt::format(", more than the {} asked for", asked) : std::string(""), st.epoch + asked);
}

void Trainer::Impl::record(const EpochRecord& r) {
  RecordEvent e{r, {}, {}};
  each([&](TrainerCallback& c) { c.on_record(self, e); });
}

// Step 0: losses before any update, so "initial loss ≈ ln(classes)" is in every run's log.
void Trainer::Impl::begin_run() {
  const TrainConfig& tc = data.config.train;
  if (resumed_from.empty()) {
    const EvalResult train0 = evaluate_split(data.splits.train);
    EvalResult val;
    if (has_val) val = evaluate_split(data.splits.val);
    st.initial_loss = train0.loss;
    const EpochRecord rec0{0, 0, schedule->lr(0, 0) * lr_scale(data.config, tc.batch_size), train0.loss,
                           train0.accuracy, has_val ? val.loss : nan(), has_val ? val.accuracy : nan(), 0, 0, ""};
    record(rec0);
  }
  summary.run_dir = run->path();
  summary.started_at = utc_iso8601(started_at);
  summary.initial_loss = st.initial_loss;
  summary.parameters = net->parameter_count();
  summary.threads = threads;
  summary.epochs = st.epoch;
  each([&](TrainerCallback& c) { c.on_run_begin(self); });
}

// The schedule's rate for the next update, or SWA's constant train.swa_lr from epoch swa_start on.
double Trainer::Impl::rate(std::int64_t epoch) {
  const TrainConfig& tc = data.config.train;
  if (tc.swa_lr > 0 && tc.swa_start > 0 && epoch >= tc.swa_start) return tc.swa_lr;
  return schedule->lr(st.step, epoch - 1) * scale;
}

void Trainer::Impl::begin_epoch(std::int64_t epoch) {
  const TrainConfig& tc = data.config.train;
  const bool resuming_mid_epoch = st.position > 0;
  if (!full_batch && !resuming_mid_epoch && batch_size_at(tc, epoch - 1) != batcher->batch_size())
    *batcher = Batcher(data.splits.train, batch_size_at(tc, epoch - 1), tc.shuffle, batcher->rng());  // same stream
  scale = lr_scale(data.config, batcher->batch_size());
  lr = rate(epoch);
  epoch_steps = batcher->batches_per_epoch();
  t0 = Clock::now();
  seconds_before = resuming_mid_epoch ? st.epoch_seconds_so_far : 0.0;
  if (!resuming_mid_epoch) {
    const auto t_shuffle = prof ? Clock::now() : Clock::time_point{};
    batcher->start_epoch();
    if (prof) prof->data += seconds_since(t_shuffle);
    st.loss_sum = 0;
    st.correct = st.seen = 0;
  }
  st.position = 0;
  unfrozen.clear();
  for (Index i : apply_frozen_layers(*net, data.config, epoch))
    unfrozen += fmt::format("{}layers.{}", unfrozen.empty() ? "" : ", ", i);
  step_in_epoch = batcher->position() / batcher->batch_size();
  each([&](TrainerCallback& c) { c.on_epoch_begin(self, epoch, st.step - step_in_epoch, epoch_steps); });
}

void Trainer::Impl::train_batch(Batch& b, std::int64_t epoch) {
  lr = rate(epoch);
  const auto t_augment = prof ? Clock::now() : Clock::time_point{};
  if (augmenter->enabled()) {
    std::copy(b.x.data, b.x.data + b.x.size(), aug_x.data());
    Rng step_rng = augment_rng;
    augmenter->apply(View<float>{aug_x.data(), b.x.rows, b.x.cols}, step_rng);
    b.x = ConstView<float>(aug_x.data(), b.x.rows, b.x.cols);
    augment_rng = Rng(augment_rng.next_u64());  // a fresh augment stream for the next step
  }
  if (prof && augmenter->enabled()) prof->augment += seconds_since(t_augment);
  event = StepEvent{st.step + 1, epoch, lr, 0.0, b.rows};
  stepping = true;
  // Data parallelism: every rank gathers and augments the whole batch (the same values as one
  // process) and steps on its rows [B r / N, B (r + 1) / N).
  const Index ranks = distributed() ? options.comm->size() : 1, rank = distributed() ? options.comm->rank() : 0;
  shard_first = b.rows * rank / ranks;
  shard_rows = b.rows * (rank + 1) / ranks - shard_first;
  current_labels = b.y + shard_first;
  const auto t_step = prof ? Clock::now() : Clock::time_point{};
  const double timed_before = prof ? profiled_seconds() : 0.0;
  // An autoencoder's target is the clean (augmented) batch; its input the corrupted copy.
  const ConstView<float> input = net->reconstructs() ? corrupt(b.x) : ConstView<float>(b.x);
  const ConstView<float> x(input.data + shard_first * b.x.cols, shard_rows, b.x.cols);
  const Targets<float> targets = net->reconstructs()
                                     ? net->reconstruction_targets(b.x.data + shard_first * b.x.cols)
                                     : Targets<float>(current_labels);
  const StepResult r = step->run(x, targets, lr, *this, b.rows);
  if (prof) {  // what the step took besides the net and the callbacks: the optimizer's update
    prof->optimizer_update += seconds_since(t_step) - (profiled_seconds() - timed_before);
    ++prof->steps;
  }
  ++st.step;
  ++step_in_epoch;
  st.loss_sum += r.loss * static_cast<double>(b.rows);
  st.seen += b.rows;
  each([&](TrainerCallback& c) { c.on_step_end(self, event); });
  stepping = false;
}

// Each step's noise comes from a generator seeded by the seed and the step alone, so a resumed run
// draws what it would have drawn without a checkpoint field of its own.
ConstView<float> Trainer::Impl::corrupt(ConstView<float> x) {
  const TrainConfig& tc = data.config.train;
  if (tc.input_noise == InputNoise::none) return x;
  std::copy(x.data, x.data + x.size(), noisy_x.data());
  Rng rng(Rng::stream(tc.seed, "input_noise").next_u64() ^ (static_cast<std::uint64_t>(st.step) * 0x9E3779B97F4A7C15ull));
  View<float> noisy{noisy_x.data(), x.rows, x.cols};
  apply_input_noise(tc.input_noise, tc.input_noise_level, noisy, rng);
  return ConstView<float>(noisy_x.data(), x.rows, x.cols);
}

void Trainer::Impl::run_epoch(std::int64_t epoch) {
  begin_epoch(epoch);
  // The thread shards' team gathers the rows each thread steps on (a Batcher may have been remade).
  batcher->set_row_split([this](Index rows, FunctionRef<void(Index, Index)> part) { step->split_rows(rows, part); });
  // A step on one thread's kernels leaves the other cores idle: one gathers the next batch meanwhile.
  batcher->set_prefetch(omp_get_max_threads() >= 2 && !step->would_shard(batcher->batch_size()));
  Batch b;
  for (;;) {
    const auto t0 = prof ? Clock::now() : Clock::time_point{};
    const bool more = batcher->next(b);
    if (prof) prof->data += seconds_since(t0);
    if (!more) break;
    train_batch(b, epoch);
  }
  end_epoch(epoch);
}

void Trainer::Impl::end_epoch(std::int64_t epoch) {
  const double seconds = seconds_before + seconds_since(t0);
  st.epoch_seconds.push_back(seconds);
  if (prof) prof->epochs_seconds += seconds;
  sync_correct();
  double train_acc = net->reconstructs() ? nan() : static_cast<double>(st.correct) / st.seen;
  if (full_batch) train_acc = evaluate_split(data.splits.train).accuracy;  // after the step (NaN: no accuracy)
  EvalResult val;
  if (has_val) val = evaluate_split(data.splits.val);
  EpochRecord rec{epoch, st.step, lr, st.loss_sum / st.seen, train_acc, has_val ? val.loss : nan(),
                  has_val ? val.accuracy : nan(), seconds, st.seen / seconds, ""};
  EpochMetrics metrics;
  metrics.train_loss = rec.train_loss;
  metrics.train_acc = rec.train_acc;
  if (has_val) metrics.val_loss = rec.val_loss, metrics.val_acc = rec.val_acc;
  rec.note = schedule->observe(epoch - 1, metrics);  // plateau's decision, logged with the epoch
  if (!unfrozen.empty())
    rec.note += fmt::format("{}train.unfreeze: {} trained from this epoch on", rec.note.empty() ? "" : "; ", unfrozen);
  record(rec);
  st.epoch = epoch;
  summary.epochs = epoch;
  each([&](TrainerCallback& c) { c.on_epoch_end(self, rec); });
}

Summary Trainer::Impl::finish() {
  each([&](TrainerCallback& c) { c.on_train_end(self); });
  summary.steps = st.step;
  summary.epoch_seconds = st.epoch_seconds;
  const Splits& splits = data.splits;
  EvalResult val;
  if (has_val) val = evaluate_split(splits.val);
  summary.val_loss = has_val ? val.loss : nan();
  summary.val_accuracy = has_val ? val.accuracy : nan();
  // The last epoch's running means, as its metrics.jsonl record has them.
  summary.train_loss = st.seen ? st.loss_sum / st.seen : nan();
  summary.train_accuracy = st.seen && !net->reconstructs() ? static_cast<double>(st.correct) / st.seen : nan();
  const EvalResult test = evaluate_split(splits.test);
  summary.test_accuracy = test.accuracy;
  summary.test_loss = test.loss;
  run->guarded([&] { write_safetensors(run->file("model.safetensors"), net_to_safetensors(*net, data.classes)); });
  summary.total_seconds = seconds_before_start + seconds_since(t_start);  // every segment of a resumed run
  summary.finished_at = utc_iso8601(std::time(nullptr));
  if (prof) prof->total_seconds = seconds_since(t_start);
  each([&](TrainerCallback& c) { c.on_run_end(self, summary); });
  if (prof) {  // the callbacks' on_run_end counted in
    run->guarded([&] { write_file_atomic(run->file("profile.json"), profile_json(*prof) + "\n"); });
    summary.profile = prof;
  }
  return summary;
}

}  // namespace gradnet
