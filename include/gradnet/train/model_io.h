// Saving and loading what a trained model needs: weights (model.safetensors, names like
// layers.0.weight, PyTorch layout), the normalization fitted on the training split
// (normalization.safetensors) and the resolved config (config.toml) of its run directory.
#pragma once

#include <memory>
#include <string>

#include "gradnet/config.h"
#include "gradnet/data/normalize.h"
#include "gradnet/io/safetensors.h"
#include "gradnet/net.h"
#include "gradnet/train/dataset_info.h"

namespace gradnet {

SafetensorsFile net_to_safetensors(Net<float>& net, Index classes);
// Copies every tensor into the net's params; Error{checkpoint} naming the file and tensor for a
// missing tensor, an extra one, or a shape that differs.
void load_net_weights(Net<float>& net, const SafetensorsFile& file, const std::string& path);

// A training checkpoint's weights ("model.layers.0.weight") as a model file's ("layers.0.weight");
// its optimizer state and normalization copy are dropped. Other files are left as they are.
void keep_checkpoint_weights(SafetensorsFile& file);

void save_normalizer(const std::string& path, const Normalizer& normalizer);
Normalizer load_normalizer(const std::string& path);

struct LoadedModel {
  std::string run_dir;
  std::string model_path;  // the weights used: model.safetensors, or a checkpoint's file
  std::string note;        // non-empty: which file was chosen and why (a run without a final model)
  Config config;
  Index classes = 0;
  Normalizer normalizer;
  DatasetInfo info;        // RUNDIR/dataset.json; empty for runs made before it
  std::unique_ptr<Net<float>> net;
};

// Which files a target means (load_model). target: a run directory (its model.safetensors; when
// the run has none — interrupted, or still running — its newest checkpoints/step-*.safetensors,
// else checkpoints/best.safetensors, with a note saying so), RUNDIR/model.safetensors, or any
// weights or checkpoint file in RUNDIR/checkpoints/ (the config is the run directory's above
// it). Error{checkpoint} naming every place looked when nothing fits.
struct ModelLocation {
  std::string run_dir, model_path, note;
};
ModelLocation locate_model(const std::string& target, bool final_model_only = false);

// The run's config.toml, normalization.safetensors and dataset.json, and the weights
// locate_model finds (a training checkpoint's "model.*" tensors; its optimizer state is not
// read). The net is an inference net (net.h: no gradient buffers) planned for max_batch rows per
// forward pass; 0: the run's evaluation pass, eval_pass_rows(config.train, net) (batch_schedule.h).
// final_model_only: model.safetensors or nothing (report: a run without one is reported as such).
LoadedModel load_model(const std::string& target, Index max_batch = 0, bool final_model_only = false);

}  // namespace gradnet
