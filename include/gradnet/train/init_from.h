// Transfer learning (docs/transfer.md): a run that starts from another run's weights
// (train.init_from, train.init_layers, train.init_normalization), and which layers train when
// (train.freeze, per-layer frozen, train.unfreeze).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradnet/config.h"
#include "gradnet/net.h"

namespace gradnet {

// What train.init_from loaded: kept in RUNDIR/init_from.json, summary.json's "init_from" and
// --json, and printed as `gradnet: note:` lines at the start of the run.
struct InitReport {
  std::string source;   // train.init_from (absolute)
  std::string weights;  // the file read: RUNDIR/model.safetensors, or the file given
  std::string layers;   // train.init_layers ("": every tensor that matches)
  std::vector<std::string> loaded;  // this net's tensors copied from the source (state_dict order)
  std::vector<std::string> fresh;   // this net's tensors initialised as usual ("new" in the report)
  struct Skipped {
    std::string name, reason;
  };
  std::vector<Skipped> skipped;     // the source's tensors not used, each with why
  std::string normalization;        // the statistics the run normalizes with, and why
};

// Where train.init_from points: weights is the file to read; run_dir the run directory it belongs
// to ("" for a weights file outside one). A run directory without model.safetensors is
// Error{checkpoint} naming the checkpoints it has instead; a missing path, too.
struct InitSource {
  std::string weights, run_dir;
};
InitSource locate_init_source(const std::string& init_from);

// The source run's normalization.safetensors when train.init_normalization = "source" and the
// source has one, else "" (fit on this run's training split); why: a line for the report.
std::string init_normalization_file(const TrainConfig& t, std::string& why);

// Copies every tensor of the source whose name and shape match into net (only the layers of
// train.init_layers when set). Error{checkpoint} naming the file for an unreadable source or one
// sharing nothing with net; Error{shape} naming the file, tensor and both shapes when a layer
// asked for by train.init_layers does not match.
InitReport load_init_weights(Net<float>& net, const TrainConfig& t);

nlohmann::json to_json(const InitReport& r);
// RUNDIR/init_from.json back (a resumed run's summary keeps it); nullopt when there is none.
std::optional<InitReport> read_init_report(const std::string& path);
// The `gradnet: note:` lines (without the prefix).
std::vector<std::string> init_report_notes(const InitReport& r);

// Freezing: which layers are frozen at `epoch` (counting from 1; 0: before training): the
// layers of train.freeze and those with frozen = true, less those train.unfreeze has released by
// then. Error{config} naming the key for a range past the last layer, or an unfreeze of a layer
// that is not frozen.
std::vector<bool> frozen_layers(const Config& c, Index layers, std::int64_t epoch);
// Sets each layer's frozen state for `epoch`; returns the layers it changed.
std::vector<Index> apply_frozen_layers(Net<float>& net, const Config& c, std::int64_t epoch);

}  // namespace gradnet
