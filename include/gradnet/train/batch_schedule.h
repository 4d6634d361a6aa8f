// The batch-size schedule: train.batch_size until the first of train.batch_size_milestones, then
// the matching train.batch_sizes entry from each milestone (an epoch, from 0) on; optimizer.lr_scaling
// rescales the learning rate to the batch in use (Goyal et al.'s linear rule, or sqrt).
#pragma once

#include <vector>

#include "gradnet/config.h"

namespace gradnet {

// The batch size for epoch (0-based).
Index batch_size_at(const TrainConfig& train, Index epoch);
// The largest batch the run will use (to size buffers once).
Index max_batch_size(const TrainConfig& train);
// Examples per forward pass when evaluating: train.eval_batch_size, or with 0 max_batch_size().
Index eval_batch_size(const TrainConfig& train);
// The updates of each of the run's train.epochs epochs over `examples` training examples, with the
// batch size each epoch uses (the last batch of an epoch may be partial).
std::vector<Index> steps_per_epoch_of_run(const TrainConfig& train, Index examples);
// optimizer.lr_scaling at batch size `batch` against train.batch_size B0: none 1, linear B/B0,
// sqrt sqrt(B/B0). The trainer multiplies the schedule's lr by it.
double lr_scale(const Config& config, Index batch);

}  // namespace gradnet
