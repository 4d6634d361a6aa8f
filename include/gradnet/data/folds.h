// Cross-validation folds (data.folds = k, data.fold = i; docs/cross-validation.md): which rows of
// the training split are fold i's validation rows and which its training rows.
//
// The rule: the n training rows (after data.train_limit) are shuffled once with
// Rng::stream(seed, "folds"); fold i's validation rows are the i-th contiguous k-th of that order,
// positions [floor(i·n/k), floor((i+1)·n/k)), so fold sizes differ by at most one and every row is
// validated exactly once across the k folds. Both lists come back in ascending row order (the
// training part keeps the file's order; the trainer shuffles it every epoch anyway).
#pragma once

#include <cstdint>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

struct FoldRows {
  std::vector<Index> train, val;  // row indices into the training split, ascending, disjoint
};

// 2 <= folds <= n and 0 <= fold < folds (the caller checks them against the config).
FoldRows fold_rows(Index n, std::int64_t folds, std::int64_t fold, std::uint64_t seed);

}  // namespace gradnet
