#include "gradnet/data/batcher.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>

#include "../kernels/spin_team.h"
#include "gradnet/error.h"

namespace gradnet {

// The next batch, gathered while the caller steps on the current one, in chunks that a helper
// thread and then the caller claim one at a time: a helper that the machine does not schedule in
// time (another process on its core) delays the caller by one chunk at most, not by its time slice.
struct Batcher::Prefetch {
  static constexpr Index kChunks = 8;
  std::vector<float> x;
  std::vector<std::int32_t> y;
  const Dataset* data = nullptr;
  const Index* order = nullptr;  // the rows to gather, in order
  Index position = -1;           // the epoch position of what x holds or is getting; -1: nothing
  Index rows = 0;
  std::atomic<Index> next_chunk{0}, chunks_done{0};
  SpinTeam helper{2, false};  // one worker that sleeps between batches: declared last, stops first

  void gather_chunks() {  // either thread: the chunks nobody has claimed yet
    const Index f = data->features();
    for (Index c; (c = next_chunk.fetch_add(1, std::memory_order_acq_rel)) < kChunks;) {
      const Index begin = rows * c / kChunks, end = rows * (c + 1) / kChunks;
      data->gather(order + begin, end - begin, x.data() + begin * f);
      for (Index i = begin; i < end; ++i)
        y[static_cast<std::size_t>(i)] = data->y[static_cast<std::size_t>(order[i])];
      chunks_done.fetch_add(1, std::memory_order_release);
    }
  }
  void operator()(int /*thread*/) { gather_chunks(); }
  void complete() {  // the caller: what is left, then the chunk the helper may be on
    gather_chunks();
    while (chunks_done.load(std::memory_order_acquire) < kChunks) std::this_thread::yield();
  }
};

void Batcher::set_prefetch(bool on) {
  if (!on || !shuffle_) {
    settle_prefetch();
    prefetch_.reset();
    return;
  }
  if (prefetch_) return;
  prefetch_ = {new Prefetch, [](Prefetch* p) { delete p; }};
  prefetch_->x.resize(x_.size());
  prefetch_->y.resize(y_.size());
  prefetch_->data = data_;
}

// After complete() every chunk is claimed: a helper still inside the task touches nothing more, so
// nothing here waits for it (start() waits until it is idle; its error surfaces at that finish()).
void Batcher::settle_prefetch() {
  if (!prefetch_ || prefetch_->position < 0) return;
  prefetch_->complete();
  prefetch_->position = -1;
}

Batcher::Batcher(const Dataset& data, Index batch_size, bool shuffle, Rng rng)
    : data_(&data), batch_size_(batch_size), shuffle_(shuffle), rng_(rng) {
  GRADNET_CHECK(batch_size >= 1, config, "train.batch_size = {}: expected at least 1", batch_size);
  order_.resize(static_cast<std::size_t>(data.size()));
  std::iota(order_.begin(), order_.end(), Index(0));
  if (shuffle_ || data.byte_rows) {  // gathered or converted rows
    const Index rows = std::min(batch_size_, data.size());
    x_.resize(static_cast<std::size_t>(rows * data.features()));
    y_.resize(static_cast<std::size_t>(shuffle_ ? rows : 0));
  }
  epoch_start_ = rng_.state();
}

void Batcher::start_epoch() {
  settle_prefetch();  // (none is started across an epoch's end; a caller may restart mid-epoch)
  epoch_start_ = rng_.state();
  position_ = 0;
  started_ = true;
  if (!shuffle_) return;
  // From the identity every time: the order is a function of epoch_start_ alone (resume).
  std::iota(order_.begin(), order_.end(), Index(0));
  rng_.shuffle(order_);
}

void Batcher::resume(const std::array<std::uint64_t, 6>& epoch_start_state, Index position) {
  settle_prefetch();
  GRADNET_CHECK(position >= 0 && position <= size(), checkpoint,
                "batcher position {} is outside the {} rows of the training set", position, size());
  rng_.set_state(epoch_start_state);
  start_epoch();
  position_ = position;
}

bool Batcher::next(Batch& batch) {
  if (!started_) start_epoch();
  const Index n = size();
  if (position_ >= n) return false;
  const Index rows = std::min(batch_size_, n - position_);
  const Index features = data_->features();
  if (shuffle_) {
    const Index* order = order_.data() + position_;
    const std::int32_t* y = data_->y.data();
    const auto gather = [&](Index begin, Index end) {
      data_->gather(order + begin, end - begin, x_.data() + begin * features);
      for (Index i = begin; i < end; ++i) y_[static_cast<std::size_t>(i)] = y[order[i]];
    };
    const bool ahead = prefetch_ && prefetch_->position == position_;
    if (ahead) {  // gathered during the last step: take its buffers, give back the last batch's
      prefetch_->complete();
      std::swap(x_, prefetch_->x);
      std::swap(y_, prefetch_->y);
      prefetch_->position = -1;
    } else {
      settle_prefetch();
      if (split_)
        split_(rows, gather);
      else
        gather(0, rows);
    }
    batch.x = ConstView<float>(x_.data(), rows, features);
    batch.y = y_.data();
    // The next batch of this epoch, while this one steps; not while the helper is still inside
    // the last task (it never got a core: the caller gathered that batch itself).
    if (prefetch_ && position_ + rows < n && prefetch_->helper.idle()) {
      Prefetch& p = *prefetch_;
      p.helper.finish();  // returns at once (idle); rethrows what the last task threw
      p.next_chunk.store(0, std::memory_order_relaxed);
      p.chunks_done.store(0, std::memory_order_relaxed);
      p.position = position_ + rows;
      p.rows = std::min(batch_size_, n - p.position);
      p.order = order_.data() + p.position;
      p.helper.start(p);
    }
  } else {
    batch.x = data_->rows(position_, rows, x_);  // float rows: a view, no copy
    batch.y = data_->y.data() + position_;
  }
  batch.rows = rows;
  batch.first = position_;
  position_ += rows;
  return true;
}

}  // namespace gradnet
