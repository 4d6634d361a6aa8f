// Batcher: every row exactly once per epoch, last batch partial, deterministic per seed, a new
// order each epoch, no shuffle = views in order, and resume from (epoch-start state, position).
#include "gradnet/data/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gradnet/error.h"

namespace gradnet {
namespace {

// Row i holds features (i, -i) and label i % 7, so a batch row names its source row.
Dataset numbered(Index n) {
  Dataset d;
  d.shape = {2};
  d.x = Tensor<float>({n, 2});
  for (Index i = 0; i < n; ++i) {
    d.x[2 * i] = static_cast<float>(i);
    d.x[2 * i + 1] = static_cast<float>(-i);
    d.y.push_back(static_cast<std::int32_t>(i % 7));
  }
  return d;
}

// The source rows of one epoch, in order, checking each row's label and features travel together.
std::vector<Index> epoch_rows(Batcher& b, const Dataset& d, std::vector<Index>* sizes = nullptr) {
  std::vector<Index> rows;
  b.start_epoch();
  Batch batch;
  while (b.next(batch)) {
    EXPECT_EQ(batch.first, static_cast<Index>(rows.size()));
    if (sizes) sizes->push_back(batch.rows);
    for (Index i = 0; i < batch.rows; ++i) {
      const Index src = static_cast<Index>(batch.x(i, 0));
      EXPECT_EQ(batch.x(i, 1), -static_cast<float>(src));
      EXPECT_EQ(batch.y[i], d.y[src]);
      rows.push_back(src);
    }
  }
  return rows;
}

TEST(Batcher, EveryRowOncePerEpochWithPartialLastBatch) {
  const Dataset d = numbered(103);
  Batcher b(d, 10, true, Rng::stream(1, "shuffle"));
  EXPECT_EQ(b.batches_per_epoch(), 11);
  std::vector<Index> sizes;
  std::vector<Index> rows = epoch_rows(b, d, &sizes);
  EXPECT_EQ(sizes.size(), 11u);
  EXPECT_EQ(sizes.back(), 3);
  std::vector<Index> sorted = rows;
  std::sort(sorted.begin(), sorted.end());
  for (Index i = 0; i < 103; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(rows, sorted);  // shuffled
  Batch batch;
  EXPECT_FALSE(b.next(batch));  // the epoch is over until start_epoch()
}

TEST(Batcher, DeterministicPerSeedNewOrderPerEpoch) {
  const Dataset d = numbered(50);
  Batcher a(d, 8, true, Rng::stream(7, "shuffle")), b(d, 8, true, Rng::stream(7, "shuffle"));
  Batcher c(d, 8, true, Rng::stream(8, "shuffle"));
  const std::vector<Index> a1 = epoch_rows(a, d), a2 = epoch_rows(a, d);
  EXPECT_EQ(a1, epoch_rows(b, d));
  EXPECT_EQ(a2, epoch_rows(b, d));
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, epoch_rows(c, d));
}

TEST(Batcher, NoShuffleIsInOrderViews) {
  const Dataset d = numbered(25);
  Batcher b(d, 10, false, Rng(1));
  std::vector<Index> rows = epoch_rows(b, d);
  for (Index i = 0; i < 25; ++i) EXPECT_EQ(rows[i], i);
  b.start_epoch();
  Batch batch;
  ASSERT_TRUE(b.next(batch));
  EXPECT_EQ(batch.x.data, d.x.data());  // no copy
}

TEST(Batcher, ResumeMidEpoch) {
  const Dataset d = numbered(40);
  Batcher a(d, 6, true, Rng::stream(3, "shuffle"));
  epoch_rows(a, d);  // one full epoch first
  a.start_epoch();
  const auto state = a.epoch_start_state();
  Batch batch;
  a.next(batch);
  a.next(batch);
  const Index position = a.position();
  ASSERT_EQ(position, 12);
  ASSERT_TRUE(a.next(batch));
  const float expected = batch.x(0, 0);

  Batcher r(d, 6, true, Rng(999));  // any state: resume replaces it
  r.resume(state, position);
  ASSERT_TRUE(r.next(batch));
  EXPECT_EQ(batch.x(0, 0), expected);
  EXPECT_EQ(r.order(), a.order());
  EXPECT_EQ(r.rng().state(), a.rng().state());
}

// set_prefetch: the next batch gathered on a helper thread gives the batches a plain Batcher gives,
// bit for bit and label for label, through partial last batches, prefetching switched off and on
// mid-epoch, and an epoch restarted with a gather in flight.
TEST(Batcher, PrefetchGivesTheSameBatches) {
  const Dataset d = numbered(40);
  Batcher plain(d, 6, true, Rng::stream(5, "shuffle"));
  Batcher ahead(d, 6, true, Rng::stream(5, "shuffle"));
  ahead.set_prefetch(true);
  const auto same_next = [&](const char* where) {
    Batch p, q;
    const bool more = plain.next(p);
    EXPECT_EQ(ahead.next(q), more) << where;
    if (!more) return false;
    EXPECT_EQ(q.rows, p.rows) << where;
    EXPECT_EQ(q.first, p.first) << where;
    for (Index i = 0; i < p.rows; ++i) {
      EXPECT_EQ(q.x(i, 0), p.x(i, 0)) << where << " row " << i;
      EXPECT_EQ(q.x(i, 1), p.x(i, 1)) << where << " row " << i;
      EXPECT_EQ(q.y[i], p.y[i]) << where << " row " << i;
    }
    return true;
  };
  for (int epoch = 0; epoch < 3; ++epoch) {
    plain.start_epoch();
    ahead.start_epoch();
    int batches = 0;
    while (same_next("epoch")) {
      ++batches;
      if (epoch == 1 && batches == 2) ahead.set_prefetch(false);
      if (epoch == 1 && batches == 4) ahead.set_prefetch(true);
    }
    EXPECT_EQ(batches, 7);  // 6 of 6 rows, one of 4
  }
  plain.start_epoch();  // restarted after two batches, the third's gather in flight
  ahead.start_epoch();
  same_next("before the restart");
  same_next("before the restart");
  plain.start_epoch();
  ahead.start_epoch();
  while (same_next("after the restart")) {
  }
}

TEST(Batcher, BadBatchSize) {
  const Dataset d = numbered(5);
  EXPECT_THROW(Batcher(d, 0, true, Rng(1)), Error);
  Batcher big(d, 100, true, Rng(1));  // larger than the data: one batch of everything
  Batch batch;
  ASSERT_TRUE(big.next(batch));
  EXPECT_EQ(batch.rows, 5);
  EXPECT_FALSE(big.next(batch));
}

}  // namespace
}  // namespace gradnet
