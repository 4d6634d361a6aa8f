// The batch-size schedule and the lr scaling that goes with it (train/batch_schedule.h).
#include "gradnet/train/batch_schedule.h"

#include <algorithm>
#include <cmath>

#include "gradnet/net.h"

namespace gradnet {

Index batch_size_at(const TrainConfig& train, Index epoch) {
  Index batch = train.batch_size;
  for (std::size_t i = 0; i < train.batch_size_milestones.size() && i < train.batch_sizes.size(); ++i)
    if (epoch >= train.batch_size_milestones[i]) batch = train.batch_sizes[i];
  return batch;
}

std::vector<Index> steps_per_epoch_of_run(const TrainConfig& train, Index examples) {
  std::vector<Index> steps(static_cast<std::size_t>(std::max<std::int64_t>(train.epochs, 0)));
  for (Index e = 0; e < static_cast<Index>(steps.size()); ++e) {
    const Index batch = batch_size_at(train, e);
    steps[static_cast<std::size_t>(e)] = (examples + batch - 1) / batch;
  }
  return steps;
}

Index max_batch_size(const TrainConfig& train) {
  Index batch = train.batch_size;
  for (Index b : train.batch_sizes) batch = std::max(batch, b);
  return batch;
}

Index eval_batch_size(const TrainConfig& train) {
  return train.eval_batch_size > 0 ? train.eval_batch_size : max_batch_size(train);
}

Index eval_pass_rows(const TrainConfig& train, const Net<float>& net) {
  if (train.eval_batch_size > 0) return train.eval_batch_size;
  Index largest = numel(net.input_shape());
  for (Index i = 0; i < net.num_layers(); ++i) largest = std::max(largest, numel(net.layer_output_shape(i)));
  const Index fits = kEvalPassBytes / std::max<Index>(largest * static_cast<Index>(sizeof(float)), 1);
  return std::min(max_batch_size(train), std::max<Index>(fits, 16));
}

double lr_scale(const Config& config, Index batch) {
  const double ratio = static_cast<double>(batch) / static_cast<double>(config.train.batch_size);
  switch (config.optimizer.lr_scaling) {
    case LrScaling::none: return 1.0;
    case LrScaling::linear: return ratio;
    case LrScaling::sqrt: return std::sqrt(ratio);
  }
  return 1.0;
}

}  // namespace gradnet
