#include "gradnet/train/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/error.h"
#include "gradnet/io/safetensors.h"

namespace fs = std::filesystem;

namespace gradnet {

namespace {

nlohmann::json to_json(const TrainState& s) {
  nlohmann::json j = {{"version", 1},
          {"epoch", s.epoch},
          {"step", s.step},
          {"batch", s.batch},
          {"position", s.position},
          {"shuffle_epoch_start", s.shuffle_epoch_start},
          {"dropout", s.dropout},
          {"augment", s.augment},
          {"schedule", s.schedule},
          {"loss_sum", s.loss_sum},
          {"correct", s.correct},
          {"seen", s.seen},
          {"epoch_seconds_so_far", s.epoch_seconds_so_far},
          {"initial_loss", s.initial_loss},
          {"epoch_seconds", s.epoch_seconds},
          {"run_seconds", s.run_seconds},
          {"best_value", s.best_value},
          {"has_best", s.has_best},
          {"best_epoch", s.best_epoch},
          {"stop_best", s.stop_best},
          {"stop_has_best", s.stop_has_best},
          {"stop_wait", s.stop_wait},
          {"stop_best_epoch", s.stop_best_epoch},
          {"explode_count", s.explode_count},
          {"ema_updates", s.ema_updates},
          {"swa_models", s.swa_models}};
  if (s.ranks != 1) j["ranks"] = s.ranks;  // a single process's checkpoints keep their bytes
  return j;
}

TrainState from_json(const nlohmann::json& j) {
  TrainState s;
  s.epoch = j.at("epoch");
  s.step = j.at("step");
  s.batch = j.at("batch");
  s.position = j.at("position");
  s.shuffle_epoch_start = j.at("shuffle_epoch_start");
  s.dropout = j.at("dropout");
  if (j.contains("augment")) s.augment = j.at("augment");  // absent in checkpoints written before [augment]
  s.schedule = j.at("schedule").get<std::vector<double>>();
  s.loss_sum = j.at("loss_sum");
  s.correct = j.at("correct");
  s.seen = j.at("seen");
  s.epoch_seconds_so_far = j.at("epoch_seconds_so_far");
  s.initial_loss = j.at("initial_loss");
  s.epoch_seconds = j.at("epoch_seconds").get<std::vector<double>>();
  s.run_seconds = j.value("run_seconds", 0.0);  // absent in checkpoints written before it
  s.best_value = j.at("best_value");
  s.has_best = j.at("has_best");
  s.best_epoch = j.at("best_epoch");
  s.stop_best = j.at("stop_best");
  s.stop_has_best = j.at("stop_has_best");
  s.stop_wait = j.at("stop_wait");
  s.stop_best_epoch = j.at("stop_best_epoch");
  s.explode_count = j.at("explode_count");
  s.ema_updates = j.value("ema_updates", Index(0));  // absent in checkpoints written before averaging
  s.swa_models = j.value("swa_models", Index(0));
  s.ranks = j.value("ranks", 1);
  return s;
}

// Doubles go through JSON as their exact bit patterns where bit-exact resume depends on them.
constexpr const char* kMetaKey = "gradnet_checkpoint";

}  // namespace

void write_checkpoint(const std::string& path, Net<float>& net, Optimizer<float>& optimizer, const TrainState& state,
                      const Normalizer& normalizer) {
  SafetensorsFile file;
  file.metadata["normalization"] = std::string(name_of(normalizer.method));
  if (!normalizer.mean.empty()) write_normalizer(file, normalizer, "normalization.", "normalization");
  for (const auto& [name, t] : net.state_tensors()) file.tensors.push_back({"model." + name, t->shape(), t->to_vector()});
  for (const auto& [name, t] : optimizer.state()) file.tensors.push_back({"optimizer." + name, t->shape(), t->to_vector()});
  for (const NamedTensor& t : state.averages) file.tensors.push_back({"average." + t.name, t.shape, t.data});
  file.metadata["format"] = "pt";
  file.metadata["producer"] = "gradnet";
  file.metadata[kMetaKey] = to_json(state).dump();
  std::error_code ec;
  fs::create_directory(fs::path(path).parent_path(), ec);  // not its parents: a removed run directory stays removed
  write_safetensors(path, file);
}

TrainState read_checkpoint(const std::string& path, Net<float>& net, Optimizer<float>& optimizer) {
  SafetensorsFile file = read_safetensors(path);
  auto meta = file.metadata.find(kMetaKey);
  GRADNET_CHECK(meta != file.metadata.end(), checkpoint, "{}: not a gradnet checkpoint (no '{}' metadata)", path,
                kMetaKey);
  TrainState state;
  try {
    state = from_json(nlohmann::json::parse(meta->second));
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::checkpoint, "{}: malformed checkpoint metadata: {}", path, e.what());
  }
  for (const auto& [name, value] : net.state_tensors()) {
    const NamedTensor* t = file.find("model." + name);
    GRADNET_CHECK(t && t->shape == value->shape(), checkpoint,
                  "{}: tensor 'model.{}' is missing or has another shape: the checkpoint is of another model", path,
                  name);
    value->set_values(t->data);
  }
  std::map<std::string, Tensor<float>> opt;
  for (NamedTensor& t : file.tensors)
    if (t.name.rfind("average.", 0) == 0) state.averages.push_back({t.name.substr(8), t.shape, std::move(t.data)});
  for (const NamedTensor& t : file.tensors) {
    if (t.name.rfind("optimizer.", 0) != 0) continue;
    Tensor<float> v(t.shape);
    v.assign(t.data);
    opt.emplace(t.name.substr(10), std::move(v));
  }
  try {
    optimizer.load_state(opt);
  } catch (const Error& e) {
    fail(ErrorKind::checkpoint, "{}: {}", path, e.what());
  }
  return state;
}

std::string checkpoint_name(Index step) { return fmt::format("checkpoints/step-{:08}.safetensors", step); }

static std::vector<fs::path> step_checkpoint_paths(const std::string& run_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(run_dir) / "checkpoints", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name.size() > 12 && name.substr(name.size() - 12) == ".safetensors")
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());  // zero-padded step numbers sort by step
  return out;
}

std::string latest_checkpoint(const std::string& run_dir) {
  const auto all = step_checkpoint_paths(run_dir);
  GRADNET_CHECK(!all.empty(), checkpoint, "{}: no checkpoints/step-*.safetensors to resume from", run_dir);
  return all.back().string();
}

bool has_checkpoint(const std::string& run_dir) { return !step_checkpoint_paths(run_dir).empty(); }

std::vector<std::string> step_checkpoints(const std::string& run_dir) {
  std::vector<std::string> out;
  for (const fs::path& p : step_checkpoint_paths(run_dir)) out.push_back(p.string());
  return out;
}

void prune_checkpoints(const std::string& run_dir, Index keep) {
  std::error_code ec;
  const auto all = step_checkpoint_paths(run_dir);
  for (std::size_t i = 0; keep > 0 && i + static_cast<std::size_t>(keep) < all.size(); ++i) fs::remove(all[i], ec);
  for (const auto& e : fs::directory_iterator(fs::path(run_dir) / "checkpoints", ec))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(e.path(), ec);
}

}  // namespace gradnet
