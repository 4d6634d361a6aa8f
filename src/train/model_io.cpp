#include "gradnet/train/model_io.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "gradnet/error.h"
#include "gradnet/threads.h"
#include "gradnet/train/batch_schedule.h"

namespace fs = std::filesystem;

namespace gradnet {

SafetensorsFile net_to_safetensors(Net<float>& net, Index classes) {
  SafetensorsFile file;
  file.metadata["format"] = "pt";  // what huggingface tooling expects for PyTorch state dicts
  file.metadata["producer"] = "gradnet";
  file.metadata["classes"] = std::to_string(classes);
  for (const auto& [name, t] : net.state_tensors()) file.tensors.push_back({name, t->shape(), t->vec()});
  return file;
}

void load_net_weights(Net<float>& net, const SafetensorsFile& file, const std::string& path) {
  std::set<std::string> expected;
  for (const auto& [name, value] : net.state_tensors()) {
    expected.insert(name);
    const NamedTensor* t = file.find(name);
    GRADNET_CHECK(t != nullptr, checkpoint, "{}: tensor '{}' is missing (the config's model needs it)", path, name);
    GRADNET_CHECK(t->shape == value->shape(), checkpoint, "{}: tensor '{}' has shape {}, the model needs {}", path,
                  name, shape_str(t->shape), shape_str(value->shape()));
    const auto bad = std::find_if(t->data.begin(), t->data.end(), [](float v) { return !std::isfinite(v); });
    GRADNET_CHECK(bad == t->data.end(), checkpoint, "{}: tensor '{}' holds {} at index {}: not a usable model", path,
                  name, *bad, bad - t->data.begin());
    value->vec() = t->data;
  }
  for (const NamedTensor& t : file.tensors)
    GRADNET_CHECK(expected.count(t.name) != 0, checkpoint, "{}: tensor '{}' does not belong to the config's model",
                  path, t.name);
}

void save_normalizer(const std::string& path, const Normalizer& normalizer) {
  SafetensorsFile file;
  write_normalizer(file, normalizer, "", "method");
  write_safetensors(path, file);
}

Normalizer load_normalizer(const std::string& path) {
  return read_normalizer(read_safetensors(path), "", "method", path);
}

LoadedModel load_model(const std::string& target, Index max_batch) {
  std::error_code ec;
  GRADNET_CHECK(fs::exists(target, ec), checkpoint, "{}: no such run directory or model file", target);
  const fs::path dir = fs::is_directory(target, ec) ? fs::path(target) : fs::path(target).parent_path();
  const std::string model_path = fs::is_directory(target, ec) ? (dir / "model.safetensors").string() : target;
  LoadedModel m;
  m.run_dir = dir.string();
  const std::string config_path = (dir / "config.toml").string();
  GRADNET_CHECK(fs::exists(config_path, ec), checkpoint,
                "{}: no config.toml beside the model; give a run directory made by `gradnet train`", dir.string());
  GRADNET_CHECK(fs::exists(model_path, ec), checkpoint,
                "{}: no model.safetensors (the run did not finish, or this is not a run directory)", dir.string());
  m.config = load_config(config_path);
  set_threads(m.config.train.threads);  // clamped: an address-space limit must not hang OpenBLAS
  SafetensorsFile weights = read_safetensors(model_path);
  auto it = weights.metadata.find("classes");
  GRADNET_CHECK(it != weights.metadata.end(), checkpoint, "{}: no 'classes' in the metadata", model_path);
  try {
    m.classes = std::stoll(it->second);
  } catch (const std::exception&) {
    fail(ErrorKind::checkpoint, "{}: metadata classes = '{}' is not a number", model_path, clip(it->second));
  }
  GRADNET_CHECK(m.classes >= 1 && m.classes <= (Index(1) << 24), checkpoint,
                "{}: metadata classes = {} is not a class count", model_path, m.classes);
  m.normalizer = load_normalizer((dir / "normalization.safetensors").string());
  const Index batch = max_batch > 0 ? max_batch : eval_batch_size(m.config.train);
  try {
    m.net = std::make_unique<Net<float>>(m.config.model, m.classes, batch, NetUse::inference);
  } catch (const Error& e) {  // "the data has N classes": N is from the model file
    if (std::string(e.what()).find("classes") == std::string::npos) throw;
    fail(ErrorKind::checkpoint, "{}: {}", model_path, e.what());
  }
  load_net_weights(*m.net, weights, model_path);
  return m;
}

}  // namespace gradnet
