// Batcher: one epoch = one pass over a Dataset in batches of batch_size rows (the last one
// partial). With shuffle, each epoch draws a fresh Fisher-Yates permutation of 0..N-1 from the
// batcher's own Rng (the run's "shuffle" stream) and gathers rows into a buffer allocated once
// (byte rows converted to normalized floats on the way, dataset.h); without shuffle, batches of
// float rows are views straight into the dataset, byte rows are converted into that buffer.
// Nothing is allocated per batch.
//
// Resume: the permutation is always drawn from the identity, so an epoch's order depends only
// on the Rng state at its start. A checkpoint saves epoch_start_state() and position();
// resume(state, position) rebuilds the same order and continues at the same row.
//
//   Batcher b(train, 128, true, Rng::stream(seed, "shuffle"));
//   for (epoch...) { b.start_epoch(); Batch batch; while (b.next(batch)) step(batch.x, batch.y); }
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gradnet/data/dataset.h"
#include "gradnet/function_ref.h"
#include "gradnet/rng.h"

namespace gradnet {

struct Batch {
  ConstView<float> x;               // (rows, features)
  const std::int32_t* y = nullptr;  // rows labels
  Index rows = 0;
  Index first = 0;                  // position of its first row within the epoch
};

class Batcher {
 public:
  // `data` must outlive the batcher. Error{config} if batch_size < 1.
  Batcher(const Dataset& data, Index batch_size, bool shuffle, Rng rng);

  // Rewinds and, with shuffle, draws the epoch's order. next() before the first start_epoch()
  // starts one implicitly.
  void start_epoch();
  // The next batch of this epoch; false (batch untouched) once the epoch is done. The views
  // stay valid until the following next()/start_epoch().
  bool next(Batch& batch);

  Index batch_size() const { return batch_size_; }
  Index batches_per_epoch() const { return (size() + batch_size_ - 1) / batch_size_; }
  Index size() const { return data_->size(); }
  Index position() const { return position_; }  // rows handed out so far this epoch
  const std::vector<Index>& order() const { return order_; }  // this epoch's row order

  // How next() spreads a gather over threads: split(rows, part) must call part(begin, end) for
  // consecutive ranges covering [0, rows), on any threads (TrainStep::split_rows). Unset: here.
  using RowSplit = std::function<void(Index rows, FunctionRef<void(Index, Index)> part)>;
  void set_row_split(RowSplit split) { split_ = std::move(split); }
  // With shuffle: gather each next batch on a helper thread while the caller steps on this one
  // (when the step leaves a core idle: one thread's kernels on a two-core machine). The same rows
  // in the same order; next() gathers what the helper has not started and waits only for a chunk
  // in progress. Nothing is gathered across an epoch's end, so none is pending when a Batcher is
  // replaced between epochs.
  void set_prefetch(bool on);

  // Checkpointing (see the header comment).
  Rng& rng() { return rng_; }
  const std::array<std::uint64_t, 6>& epoch_start_state() const { return epoch_start_; }
  void resume(const std::array<std::uint64_t, 6>& epoch_start_state, Index position);

 private:
  const Dataset* data_;
  Index batch_size_;
  bool shuffle_;
  Rng rng_;
  std::array<std::uint64_t, 6> epoch_start_{};
  std::vector<Index> order_;
  std::vector<float> x_;             // batch_size x features, gathered or converted rows
  std::vector<std::int32_t> y_;
  Index position_ = 0;
  bool started_ = false;
  RowSplit split_;
  struct Prefetch;
  std::unique_ptr<Prefetch, void (*)(Prefetch*)> prefetch_{nullptr, nullptr};  // last: stops first

  void settle_prefetch();  // finishes a gather in flight here and drops it
};

}  // namespace gradnet
