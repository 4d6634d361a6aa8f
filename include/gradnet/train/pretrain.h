// Greedy layer-wise pretraining of a classifier's hidden layers as a stack of autoencoders
// (gradnet pretrain; docs/autoencoders.md). The classifier's hidden blocks are its linear layers
// but the last, each with the layers after it up to the next linear (its activation, dropout...).
// Stage k trains block k and a linear decoder as an autoencoder: stage 1 reconstructs the input,
// stage k > 1 the output of the blocks below it, which are loaded from stage k - 1 and frozen.
// Each stage is an ordinary run directory (RUNDIR/stage-<k>: config.toml, metrics, checkpoints);
// RUNDIR/model.safetensors holds the pretrained blocks under the classifier's own names
// (layers.<i>.weight, ...), for train.init_from; the output layer is not in it.
#pragma once

#include <string>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/train/trainer.h"

namespace gradnet {

struct PretrainStage {
  Config config;              // the stage's run config (model.target = "input")
  Index first_layer = 0;      // the classifier's layers [first_layer, end_layer) it trains
  Index end_layer = 0;
  std::string run_dir;        // RUNDIR/stage-<k> once trained
  Summary summary;
};

struct PretrainResult {
  std::string run_dir;
  std::vector<PretrainStage> stages;
  std::vector<std::string> tensors;  // model.safetensors' names, the classifier's
};

// The stages' configs, in order, from the classifier's config and its [pretrain] section.
// Error{config} when the net has no hidden linear layer or a stage's config breaks a rule.
std::vector<PretrainStage> pretrain_stages(const Config& classifier);

// Trains every stage (standard callbacks plus `progress`) under options.out_dir (required, new or
// empty), then writes RUNDIR/model.safetensors, config.toml (the classifier's), normalization.
// safetensors and dataset.json (stage 1's: the data every stage saw) and pretrain.json.
PretrainResult pretrain(const Config& classifier, const TrainOptions& options, TrainCallbacks& progress);

}  // namespace gradnet
