// Trainer's public methods: construction, callbacks, run(), and what callbacks read and steer
// (include/gradnet/train/trainer.h). The run loop is in trainer.cpp.
#include "gradnet/error.h"
#include "gradnet/train/model_io.h"
#include "gradnet/version.h"
#include "trainer_impl.h"

namespace gradnet {

using trainer_detail::seconds_since;

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
const std::string& Trainer::resumed_from() const { return impl_->resumed_from; }
bool Trainer::full_batch() const { return impl_->full_batch; }
Index Trainer::steps_per_epoch() const { return impl_->steps_per_epoch; }
Index Trainer::epoch_steps() const { return impl_->epoch_steps; }
Index Trainer::epoch_step() const { return impl_->step_in_epoch; }
Index Trainer::epoch_position() const { return impl_->batcher->position(); }
bool Trainer::at_epoch_end() const { return impl_->batcher->position() >= impl_->batcher->size(); }
double Trainer::epoch_seconds() const { return impl_->seconds_before + seconds_since(impl_->t0); }
bool Trainer::stop_requested() const { return impl_->stop; }
Summary& Trainer::summary() { return impl_->summary; }

void Trainer::request_stop(const std::string& reason) {
  impl_->stop = true;
  impl_->summary.stopped_early = reason;
}

void Trainer::warn(const std::string& message) {
  impl_->each([&](TrainerCallback& c) { c.on_warning(*this, message); });
}

void Trainer::mark_failed(const std::string& status, const std::string& message) {
  const Impl& m = *impl_;
  // A resume that fails before it trained a step leaves a finished run's summary as it was.
  if (m.st.step == m.start_step && !m.resumed_from.empty() && !m.stepping) return;
  // "step" is the one the error names: the update under way when it failed inside a step (the
  // last one completed is step - 1), else the last one completed (a signal's checkpoint).
  const Index step = m.stepping ? m.event.step : m.st.step;
  try {
    impl_->run->write_json("summary.json", {{"status", status},
                                            {"error", message},
                                            {"epochs", m.st.epoch},
                                            {"step", step},
                                            {"gradnet_version", kVersion},
                                            {"started_at", utc_iso8601(m.started_at)},
                                            {"finished_at", utc_iso8601(std::time(nullptr))}});
  } catch (const Error&) {
    // The directory is gone or the disk is full: the error being reported matters more than this one.
  }
}

// The state a checkpoint captures; position > 0 means in the middle of an epoch.
std::string Trainer::write_checkpoint(Index position) {
  Impl& m = *impl_;
  m.sync_correct();
  m.sync_buffers();
  TrainState& st = m.st;
  st.batch = m.batcher->batch_size();
  st.ranks = m.distributed() ? m.options.comm->size() : 1;
  st.position = position;
  st.shuffle_epoch_start = position > 0 ? m.batcher->epoch_start_state() : m.batcher->rng().state();
  st.dropout = m.step->dropout().state();
  st.augment = m.augment_rng.state();
  st.schedule = m.schedule->state();
  st.run_seconds = m.seconds_before_start + seconds_since(m.t_start);
  if (position > 0) st.epoch_seconds_so_far = m.seconds_before + seconds_since(m.t0);  // a resume counts them in
  m.each([&](TrainerCallback& c) { c.before_checkpoint(*this); });  // steps.jsonl up to here is on disk first
  m.run->subdir("checkpoints");  // checks the run directory is still there
  const std::string path = m.run->file(checkpoint_name(st.step));
  m.run->guarded([&] { gradnet::write_checkpoint(path, *m.net, *m.optimizer, st, m.data.normalizer); });
  prune_checkpoints(m.run->path(), m.data.config.checkpoint.keep_last);
  return path;
}


}  // namespace gradnet
