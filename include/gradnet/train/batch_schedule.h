// The batch-size schedule: train.batch_size until the first of train.batch_size_milestones, then
// the matching train.batch_sizes entry from each milestone (an epoch, from 0) on; optimizer.lr_scaling
// rescales the learning rate to the batch in use (Goyal et al.'s linear rule, or sqrt).
#pragma once

#include <vector>

#include "gradnet/config.h"

namespace gradnet {

template <typename T>
class Net;

// The batch size for epoch (0-based).
Index batch_size_at(const TrainConfig& train, Index epoch);
// The largest batch the run will use (to size buffers once).
Index max_batch_size(const TrainConfig& train);
// The rows a net is planned for when it also evaluates: train.eval_batch_size when set, else the
// training batch (an automatic evaluation pass is never larger).
Index eval_batch_size(const TrainConfig& train);
// Rows per evaluation pass of this net: train.eval_batch_size, or with 0 as many examples as keep
// the net's largest activation within kEvalPassBytes (so that a pass's activations stay in the
// caches: each layer's output is read back by the next from cache, not from memory), at least
// 16 and at most the training batch. The pass size is part of an evaluation's result (evaluate.h).
Index eval_pass_rows(const TrainConfig& train, const Net<float>& net);
inline constexpr Index kEvalPassBytes = Index(2) << 20;
// The updates of each of the run's train.epochs epochs over `examples` training examples, with the
// batch size each epoch uses (the last batch of an epoch may be partial).
std::vector<Index> steps_per_epoch_of_run(const TrainConfig& train, Index examples);
// optimizer.lr_scaling at batch size `batch` against train.batch_size B0: none 1, linear B/B0,
// sqrt sqrt(B/B0). The trainer multiplies the schedule's lr by it.
double lr_scale(const Config& config, Index batch);

}  // namespace gradnet
