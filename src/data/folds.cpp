#include "gradnet/data/folds.h"

#include <algorithm>
#include <numeric>

#include "gradnet/error.h"
#include "gradnet/rng.h"

namespace gradnet {

FoldRows fold_rows(Index n, std::int64_t folds, std::int64_t fold, std::uint64_t seed) {
  GRADNET_ASSERT(2 <= folds && folds <= n && 0 <= fold && fold < folds);
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index(0));
  Rng rng = Rng::stream(seed, "folds");
  rng.shuffle(order);
  const auto edge = [&](std::int64_t i) { return static_cast<Index>(i * n / folds); };  // i, n < 2^31: no overflow
  const Index begin = edge(fold), end = edge(fold + 1);
  std::vector<bool> held(static_cast<std::size_t>(n), false);
  FoldRows rows;
  rows.val.assign(order.begin() + begin, order.begin() + end);
  std::sort(rows.val.begin(), rows.val.end());
  for (Index r : rows.val) held[static_cast<std::size_t>(r)] = true;
  rows.train.reserve(static_cast<std::size_t>(n - (end - begin)));
  for (Index r = 0; r < n; ++r)
    if (!held[static_cast<std::size_t>(r)]) rows.train.push_back(r);
  return rows;
}

}  // namespace gradnet
