// Greedy layer-wise autoencoder pretraining (train/pretrain.h).
#include "gradnet/train/pretrain.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/io/safetensors.h"

namespace fs = std::filesystem;

namespace gradnet {

namespace {

// "layers.12.weight" -> 12
Index layer_of(const std::string& tensor) {
  const std::size_t dot = tensor.find('.', 7);
  return static_cast<Index>(std::stoll(tensor.substr(7, dot - 7)));
}

// A stage has no accuracy: a monitor of one watches the matching loss instead.
Metric loss_metric(Metric m) {
  if (m == Metric::val_acc) return Metric::val_loss;
  if (m == Metric::train_acc) return Metric::train_loss;
  return m;
}

// Stage k's model: the classifier's layers up to its block's end (those below the block frozen),
// then a decoder, a copy of the block's linear layer with as many outputs as what it reconstructs.
ModelSpec stage_model(const Config& c, const Net<float>& probe, Index first, Index linear, Index end, std::size_t k) {
  ModelSpec m = c.model;
  m.layers.assign(c.model.layers.begin(), c.model.layers.begin() + end);
  for (Index i = 0; i < first; ++i)
    if (m.layers[static_cast<std::size_t>(i)].has("frozen")) m.layers[static_cast<std::size_t>(i)].attrs["frozen"] = true;
  LayerSpec decoder = c.model.layers[static_cast<std::size_t>(linear)];
  const Shape& target = first == 0 ? probe.input_shape() : probe.layer_output_shape(first - 1);
  decoder.attrs["out"] = static_cast<std::int64_t>(numel(target));
  decoder.attrs.erase("frozen");
  decoder.index = end;
  m.layers.push_back(decoder);
  m.target = TargetKind::input;
  m.target_layer = first - 1;  // -1: the input
  m.loss = k == 0 ? c.pretrain.loss : LossType::mse;
  return m;
}

}  // namespace

std::vector<PretrainStage> pretrain_stages(const Config& c) {
  std::vector<Index> linear;
  for (const LayerSpec& l : c.model.layers)
    if (l.type == "linear") linear.push_back(l.index);
  GRADNET_CHECK(linear.size() >= 2, config,
                "{}: gradnet pretrain pretrains the hidden linear layers, those before the output layer; "
                "model.layers has {} linear layer{}", c.source.empty() ? "config" : c.source, linear.size(),
                linear.size() == 1 ? "" : "s");
  const Net<float> probe(c.model, 0, 1, NetUse::inference);  // the shapes
  std::vector<PretrainStage> stages;
  for (std::size_t k = 0; k + 1 < linear.size(); ++k) {
    PretrainStage s;
    s.first_layer = k == 0 ? 0 : linear[k];
    s.end_layer = linear[k + 1];
    Config& sc = s.config;
    sc = c;
    sc.name = fmt::format("{}-pretrain-{}", c.name, k + 1);
    sc.model = stage_model(c, probe, s.first_layer, linear[k], s.end_layer, k);
    sc.data.train_limit = c.pretrain.train_limit;
    sc.train.epochs = c.pretrain.epochs;
    // The stages start from the seed (and stage k - 1's blocks), not from the classifier's transfer keys.
    sc.train.init_from.clear();
    sc.train.init_layers.clear();
    sc.train.freeze.clear();
    sc.train.unfreeze.clear();
    if (c.pretrain.lr > 0) sc.optimizer.lr = c.pretrain.lr;
    // Noise corrupts the net's input: a denoising first stage (deeper stages reconstruct clean codes).
    sc.train.input_noise = k == 0 ? c.pretrain.input_noise : InputNoise::none;
    sc.train.input_noise_level = k == 0 ? c.pretrain.input_noise_level : 0.0;
    sc.checkpoint.monitor = loss_metric(sc.checkpoint.monitor);
    sc.early_stopping.monitor = loss_metric(sc.early_stopping.monitor);
    if (const auto [key, message] = config_problem(sc); !key.empty())
      fail(ErrorKind::config, "gradnet pretrain, stage {} ({}): {}", k + 1, key, message);
    stages.push_back(std::move(s));
  }
  return stages;
}

namespace {

// The frozen layers below a stage's block: stage k - 1's trained weights, by the classifier's names.
void load_lower_blocks(Net<float>& net, const std::string& previous, Index first) {
  const SafetensorsFile file = read_safetensors(previous);
  for (const auto& [name, tensor] : net.state_tensors()) {
    if (layer_of(name) >= first) continue;
    const NamedTensor* t = file.find(name);
    GRADNET_CHECK(t && t->shape == tensor->shape(), checkpoint, "{}: tensor '{}' is missing or has another shape",
                  previous, name);
    tensor->set_values(t->data);
  }
}

void write_outputs(const Config& c, const PretrainResult& r, SafetensorsFile& model) {
  const fs::path dir(r.run_dir);
  write_safetensors((dir / "model.safetensors").string(), model);
  write_file_atomic((dir / "config.toml").string(), to_toml(c));
  const fs::path first(r.stages.front().run_dir);
  for (const char* f : {"normalization.safetensors", "dataset.json"})
    fs::copy_file(first / f, dir / f, fs::copy_options::overwrite_existing);
  nlohmann::json stages = nlohmann::json::array();
  for (const PretrainStage& s : r.stages)
    stages.push_back({{"run_dir", s.run_dir},
                      {"layers", fmt::format("layers.{}-{}", s.first_layer, s.end_layer - 1)},
                      {"reconstructs", s.config.model.target_layer < 0
                                           ? std::string("input")
                                           : fmt::format("layers.{}", s.config.model.target_layer)},
                      {"loss", std::string(name_of(s.config.model.loss))},
                      {"initial_loss", s.summary.initial_loss},
                      {"train_loss", s.summary.train_loss},
                      {"test_loss", s.summary.test_loss},
                      {"epochs", s.summary.epochs}});
  const nlohmann::json j = {{"stages", stages}, {"tensors", r.tensors}, {"model", (dir / "model.safetensors").string()}};
  write_file_atomic((dir / "pretrain.json").string(), j.dump(1) + "\n");
}

}  // namespace

PretrainResult pretrain(const Config& c, const TrainOptions& options, TrainCallbacks& progress) {
  GRADNET_CHECK(!options.out_dir.empty(), usage, "pretrain: no output directory");
  PretrainResult r;
  r.stages = pretrain_stages(c);  // every stage checked before anything is written
  std::error_code ec;
  GRADNET_CHECK(!fs::exists(options.out_dir, ec) || fs::is_empty(options.out_dir, ec), usage,
                "--out {}: the directory is not empty", options.out_dir);
  fs::create_directories(options.out_dir);
  r.run_dir = options.out_dir;
  std::string previous;
  for (std::size_t k = 0; k < r.stages.size(); ++k) {
    PretrainStage& s = r.stages[k];
    TrainOptions o = options;
    o.out_dir = (fs::path(options.out_dir) / fmt::format("stage-{}", k + 1)).string();
    Trainer trainer(s.config, o);
    add_standard_callbacks(trainer, progress);
    if (k > 0) load_lower_blocks(trainer.net(), previous, s.first_layer);
    s.summary = trainer.run();
    s.run_dir = s.summary.run_dir;
    previous = (fs::path(s.run_dir) / "model.safetensors").string();
  }
  // The classifier's pretrained blocks: every tensor of the last stage but its decoder's.
  const SafetensorsFile last = read_safetensors(previous);
  SafetensorsFile model;
  model.metadata = {{"format", "pt"}, {"producer", "gradnet pretrain"}};
  for (const NamedTensor& t : last.tensors)
    if (layer_of(t.name) < r.stages.back().end_layer) {
      model.tensors.push_back(t);
      r.tensors.push_back(t.name);
    }
  write_outputs(c, r, model);
  return r;
}

}  // namespace gradnet
