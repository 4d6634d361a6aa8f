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

namespace gradnet {

SafetensorsFile net_to_safetensors(Net<float>& net, Index classes);
// Copies every tensor into the net's params; Error{checkpoint} naming the file and tensor for a
// missing tensor, an extra one, or a shape that differs.
void load_net_weights(Net<float>& net, const SafetensorsFile& file, const std::string& path);

void save_normalizer(const std::string& path, const Normalizer& normalizer);
Normalizer load_normalizer(const std::string& path);

struct LoadedModel {
  std::string run_dir;
  Config config;
  Index classes = 0;
  Normalizer normalizer;
  std::unique_ptr<Net<float>> net;
};

// target: a run directory, or a model.safetensors inside one (its config.toml and
// normalization.safetensors are read from the same directory). The net is an inference net
// (net.h: no gradient buffers) planned for max_batch rows per forward pass; 0: the run's
// evaluation pass, eval_batch_size(config.train) (batch_schedule.h).
LoadedModel load_model(const std::string& target, Index max_batch = 0);

}  // namespace gradnet
