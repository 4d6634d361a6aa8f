// Checkpoints: everything a run needs to continue bit-identically, in one safetensors file.
// Tensors: the weights ("model.layers.0.weight") and the optimizer state ("optimizer.<name>");
// metadata: "gradnet_checkpoint" = a JSON object with the counters, the generator states, the
// schedule and early-stopping state and the partial epoch's sums (TrainState below).
// Files are written atomically (temp file, fsync, rename), so a kill at any moment leaves the
// previous checkpoint intact and never a half-written one under a checkpoint's name.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/data/normalize.h"
#include "gradnet/io/safetensors.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet {

struct TrainState {
  std::int64_t epoch = 0;          // epochs completed (the next one is epoch + 1)
  int ranks = 1;                   // the processes of a data-parallel run (mpirun -np N) that wrote it
  Index step = 0;                  // updates done
  Index batch = 0;                 // the batch size in use
  Index position = 0;              // rows of the current epoch already trained on (0: at a boundary)
  std::array<std::uint64_t, 6> shuffle_epoch_start{};  // the batcher's generator at the epoch's start
  std::array<std::uint64_t, 6> dropout{};              // the dropout stream
  std::array<std::uint64_t, 6> augment{};              // the augment stream (all 0: not saved)
  std::vector<double> schedule;    // Schedule::state()
  double loss_sum = 0;             // the partial epoch's running sums (metrics of a resumed epoch)
  Index correct = 0, seen = 0;
  double epoch_seconds_so_far = 0;
  double initial_loss = 0;
  std::vector<double> epoch_seconds;
  double run_seconds = 0;          // wall-clock seconds of the run so far, every segment (resume) counted
  // Best-so-far (checkpoint.monitor) and early stopping.
  double best_value = 0;
  bool has_best = false;
  std::int64_t best_epoch = 0;
  double stop_best = 0;
  bool stop_has_best = false;
  std::int64_t stop_wait = 0;
  std::int64_t stop_best_epoch = 0;
  // Divergence guard.
  std::int64_t explode_count = 0;
  // Parameter averaging (train.ema_decay, train.swa_start): how many updates / epoch-end weights
  // are in each average, and the averages themselves, stored as tensors "average.<name>"
  // ("average.ema.layers.0.weight").
  Index ema_updates = 0;
  Index swa_models = 0;
  std::vector<NamedTensor> averages;
};

// normalizer: the statistics fitted on the training split, stored beside the weights
// ("normalization.mean", "normalization.std" or, for pca/zca, "normalization.matrix" and
// "normalization.eigenvalues"; metadata "normalization" = the method; write_normalizer in
// normalize.h) so a checkpoint is usable on its own.
void write_checkpoint(const std::string& path, Net<float>& net, Optimizer<float>& optimizer, const TrainState& state,
                      const Normalizer& normalizer);
// Restores net weights and optimizer state; Error{checkpoint} naming the file for anything missing
// or mismatched (another model, another optimizer).
TrainState read_checkpoint(const std::string& path, Net<float>& net, Optimizer<float>& optimizer);

// checkpoints/step-<step, 8 digits>.safetensors
std::string checkpoint_name(Index step);
// The newest checkpoints/step-*.safetensors of a run directory; Error{checkpoint} when none.
std::string latest_checkpoint(const std::string& run_dir);
// Every checkpoints/step-*.safetensors of a run directory, oldest first.
std::vector<std::string> step_checkpoints(const std::string& run_dir);
// Whether the run directory holds any checkpoints/step-*.safetensors.
bool has_checkpoint(const std::string& run_dir);
// Removes step-* checkpoints beyond the newest `keep` (0: keeps every one), and temp files left by a
// killed writer.
void prune_checkpoints(const std::string& run_dir, Index keep);

}  // namespace gradnet
