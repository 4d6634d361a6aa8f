// Parameter averaging during training (docs/ensembles.md): Polyak/EMA (train.ema_decay) and
// stochastic weight averaging (train.swa_start, train.swa_lr). A TrainerCallback keeps the
// averages, checkpoints them with the run (TrainState::averages, so a resumed run continues them
// bit-identically), and at the end evaluates them beside the raw weights (Summary::averaged),
// saving RUNDIR/ema.safetensors and RUNDIR/swa.safetensors in model.safetensors' format.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/data/dataset.h"
#include "gradnet/net.h"
#include "gradnet/train/callback.h"

namespace gradnet {

// ema ← decay·ema + (1 − decay)·w, each element computed in double and rounded to float once
// (PyTorch's AveragedModel with get_ema_multi_avg_fn, up to float rounding).
void ema_update(std::vector<float>& ema, std::span<const float> w, double decay);

// mean ← mean + (w − mean) / (n + 1): the equal-weight mean of n models becomes that of n + 1
// (AveragedModel's default averaging), in double, rounded once.
void running_mean_update(std::vector<float>& mean, std::span<const float> w, Index n);

// torch.optim.swa_utils.update_bn: every batch-norm layer's running statistics reset (mean 0,
// variance 1) and recomputed as the cumulative mean over one pass of `data` in training mode
// (momentum 1/(k+1) for the k-th batch), batches of `batch_rows` rows in order. Dropout draws from
// its own stream seeded by `seed`, so the run's streams are untouched. Nets without batch norm:
// nothing to do.
void recompute_batch_norm(Net<float>& net, const Dataset& data, Index batch_rows, std::uint64_t seed);

class Trainer;
struct Summary;
// "ema_test_accuracy", "ema_test_loss", "ema_val_accuracy", "ema_val_loss", "ema_updates" (and
// "swa_..." with "swa_models") for each average the summary holds: summary.json, train --json.
void add_averaged_json(nlohmann::json& j, const Summary& summary);

// The averaging callback for the trainer's config, or nullptr when both are off.
std::unique_ptr<TrainerCallback> make_averaging_callback(Trainer& trainer);

}  // namespace gradnet
