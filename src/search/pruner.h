// Pruners: whether a trial stops early at an epoch, from its values so far and the other trials'
// values at that epoch (docs/search.md: the median rule and ASHA).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/search/search.h"

namespace gradnet::search {

// "" to go on, else why the trial is pruned. best_so_far: the trial's best value up to this epoch;
// current: this epoch's; others: the other trials of the stage at this epoch.
std::string prune_decision(const PrunerSpec& pruner, const std::string& metric, bool maximize, std::int64_t epoch,
                           double best_so_far, double current, std::vector<double> others);

// The metric a trial reports per epoch for the objective: the objective itself, or for test_*
// (measured once, at the end) its validation counterpart.
std::string epoch_metric(const std::string& objective);

}  // namespace gradnet::search
