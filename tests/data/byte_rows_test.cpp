// Byte rows (dataset.h): 8-bit images stay bytes and are converted a batch at a time, with the
// normalization applied during the conversion. Every float a batch gets must be the float the
// whole-split conversion (float rows, then Normalizer::apply in place) gave, bit for bit, for every
// normalization; fitting on bytes must give the fit on their floats; batches must not care.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "gradnet/data/batcher.h"
#include "gradnet/data/dataset.h"
#include "gradnet/data/normalize.h"
#include "gradnet/rng.h"

namespace gradnet {
namespace {

// n pseudo-random images of the given shape as byte rows; label i % 3.
Dataset byte_images(Index n, const Shape& shape, std::uint64_t seed) {
  Dataset d;
  d.shape = shape;
  d.byte_rows = true;
  d.classes = 3;
  d.source = "bytes";
  Rng rng(seed);
  d.bytes.resize(static_cast<std::size_t>(n * numel(shape)));
  for (std::uint8_t& b : d.bytes) b = static_cast<std::uint8_t>(rng.below(256));
  for (Index i = 0; i < n; ++i) d.y.push_back(static_cast<std::int32_t>(i % 3));
  return d;
}

// The same examples as float rows: what the loaders produced before byte rows.
Dataset float_copy(const Dataset& d) {
  Dataset f = slice(d, 0, d.size());
  to_float_rows(f);
  EXPECT_FALSE(f.byte_rows);
  return f;
}

bool same_bits(const float* a, const float* b, Index n) {
  return std::memcmp(a, b, sizeof(float) * static_cast<std::size_t>(n)) == 0;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && same_bits(a.data(), b.data(), static_cast<Index>(a.size()));
}

TEST(ByteRows, EveryNormalizationConvertsPerBatchToTheWholeSplitBits) {
  const Shape shape{2, 5, 5};
  for (NormalizeMethod m : {NormalizeMethod::none, NormalizeMethod::scale01, NormalizeMethod::standardize,
                            NormalizeMethod::pca, NormalizeMethod::pca_whiten, NormalizeMethod::zca}) {
    SCOPED_TRACE(std::string(name_of(m)));
    const Index k = m == NormalizeMethod::pca || m == NormalizeMethod::pca_whiten ? 7 : 0;
    const Dataset train = byte_images(300, shape, 1);
    Dataset test = byte_images(61, shape, 2);
    Dataset float_test = float_copy(test);
    const Normalizer on_bytes = fit_normalizer(m, train, 0.01, k);
    const Normalizer on_floats = fit_normalizer(m, float_copy(train), 0.01, k);
    EXPECT_TRUE(same_bits(on_bytes.mean, on_floats.mean));
    EXPECT_TRUE(same_bits(on_bytes.std, on_floats.std));
    EXPECT_TRUE(same_bits(on_bytes.matrix, on_floats.matrix));
    on_bytes.apply(test);
    on_floats.apply(float_test);  // the whole split, in place: the reference
    // Per-feature methods stay bytes; rotations transform the whole split into floats.
    EXPECT_EQ(test.byte_rows, !on_bytes.rotation());
    ASSERT_EQ(test.features(), float_test.features());
    const Index f = test.features();
    std::vector<float> scratch;
    for (Index batch : {Index{1}, Index{7}, Index{61}}) {
      for (Index b = 0; b < test.size(); b += batch) {
        const Index n = std::min(batch, test.size() - b);
        const ConstView<float> rows = test.rows(b, n, scratch);
        ASSERT_EQ(rows.cols, f);
        EXPECT_TRUE(same_bits(rows.data, float_test.x.data() + b * f, n * f)) << "rows " << b << "+" << n;
      }
    }
    const std::vector<Index> order = {60, 3, 17, 0, 3};
    std::vector<float> gathered(order.size() * static_cast<std::size_t>(f));
    test.gather(order.data(), static_cast<Index>(order.size()), gathered.data());
    for (std::size_t i = 0; i < order.size(); ++i)
      EXPECT_TRUE(same_bits(gathered.data() + i * f, float_test.x.data() + order[i] * f, f)) << "row " << order[i];
    EXPECT_EQ(test.at(5, 3), float_test.x[5 * f + 3]);
  }
}

TEST(ByteRows, BatcherGivesTheBatchesOfFloatRows) {
  Dataset bytes = byte_images(100, {1, 4, 4}, 3);
  Dataset floats = float_copy(bytes);
  const Normalizer n = fit_normalizer(NormalizeMethod::standardize, bytes);
  n.apply(bytes);
  n.apply(floats);
  for (bool shuffle : {true, false}) {
    Batcher a(bytes, 32, shuffle, Rng(9)), b(floats, 32, shuffle, Rng(9));
    for (int epoch = 0; epoch < 2; ++epoch) {
      a.start_epoch();
      b.start_epoch();
      Batch x, y;
      while (a.next(x)) {
        ASSERT_TRUE(b.next(y));
        ASSERT_EQ(x.rows, y.rows);
        EXPECT_TRUE(same_bits(x.x.data, y.x.data, x.x.size()));
        EXPECT_TRUE(std::equal(x.y, x.y + x.rows, y.y));
      }
      EXPECT_FALSE(b.next(y));
    }
  }
}

TEST(ByteRows, SliceAndTruncateKeepBytesAndTheirNormalization) {
  Dataset d = byte_images(10, {1, 2, 2}, 4);
  fit_normalizer(NormalizeMethod::standardize, d).apply(d);
  const Dataset tail = slice(d, 6, 10);
  EXPECT_TRUE(tail.byte_rows);
  EXPECT_EQ(tail.size(), 4);
  EXPECT_EQ(tail.at(1, 2), d.at(7, 2));
  truncate(d, 3);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.bytes.size(), 12u);
  Dataset f = slice(d, 0, 3);
  to_float_rows(f);
  EXPECT_TRUE(f.row_mean.empty());
  EXPECT_EQ(f.x[2 * 4 + 1], d.at(2, 1));
}

}  // namespace
}  // namespace gradnet
