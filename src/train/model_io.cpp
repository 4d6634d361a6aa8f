#include "gradnet/train/model_io.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <fmt/format.h>

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
  for (const auto& [name, t] : net.state_tensors()) file.tensors.push_back({name, t->shape(), t->to_vector()});
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
    value->set_values(t->data);
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

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The newest checkpoints/step-*.safetensors of a run ("" if none): zero-padded steps sort by step.
std::string newest_step_checkpoint(const fs::path& dir) {
  std::string newest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "checkpoints", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && e.path().extension() == ".safetensors" && name > fs::path(newest).filename().string())
      newest = e.path().string();
  }
  return newest;
}

// A run directory without model.safetensors: its newest step checkpoint, else best.safetensors.
ModelLocation checkpoint_of_run(const fs::path& dir, bool final_model_only) {
  const fs::path model = dir / "model.safetensors";
  const std::string step = final_model_only ? "" : newest_step_checkpoint(dir);
  const fs::path best = dir / "checkpoints" / "best.safetensors";
  GRADNET_CHECK(!step.empty() || (!final_model_only && is_file(best)), checkpoint,
                "{}: no model.safetensors{} (the run did not finish{}, or this is not a run directory)", dir.string(),
                final_model_only ? "" : ", checkpoints/step-*.safetensors or checkpoints/best.safetensors",
                final_model_only ? "" : " and wrote no checkpoint");
  const std::string chosen = !step.empty() ? step : best.string();
  std::string note = fmt::format("{} has no model.safetensors (the run did not finish); using {}", dir.string(),
                                 fs::relative(chosen, dir).string());
  if (!step.empty() && is_file(best)) note += " (the newest checkpoint; pass checkpoints/best.safetensors for the best epoch's weights)";
  return {dir.string(), chosen, note};
}

// "classes" from a model file's metadata; a checkpoint has none: 0 (as many as the net's outputs).
Index classes_of(const SafetensorsFile& weights, const std::string& path) {
  auto it = weights.metadata.find("classes");
  if (it == weights.metadata.end()) {
    GRADNET_CHECK(weights.metadata.count("gradnet_checkpoint") != 0, checkpoint, "{}: no 'classes' in the metadata",
                  path);
    return 0;
  }
  Index classes = 0;
  try {
    classes = std::stoll(it->second);
  } catch (const std::exception&) {
    fail(ErrorKind::checkpoint, "{}: metadata classes = '{}' is not a number", path, clip(it->second));
  }
  GRADNET_CHECK(classes >= 1 && classes <= (Index(1) << 24), checkpoint, "{}: metadata classes = {} is not a class count",
                path, classes);
  return classes;
}

}  // namespace

void keep_checkpoint_weights(SafetensorsFile& file) {
  if (file.metadata.count("gradnet_checkpoint") == 0) return;
  std::vector<NamedTensor> weights;
  for (NamedTensor& t : file.tensors)
    if (t.name.rfind("model.", 0) == 0) {
      t.name = t.name.substr(6);
      weights.push_back(std::move(t));
    }
  file.tensors = std::move(weights);
}

ModelLocation locate_model(const std::string& target, bool final_model_only) {
  std::error_code ec;
  GRADNET_CHECK(fs::exists(target, ec), checkpoint, "{}: no such run directory or model file", target);
  if (fs::is_directory(target, ec)) {
    const fs::path dir(target);
    GRADNET_CHECK(is_file(dir / "config.toml"), checkpoint,
                  "{}: no config.toml in it; give a run directory made by `gradnet train`, its model.safetensors or "
                  "a file in its checkpoints/",
                  dir.string());
    if (is_file(dir / "model.safetensors")) return {dir.string(), (dir / "model.safetensors").string(), ""};
    return checkpoint_of_run(dir, final_model_only);
  }
  const fs::path file(target);
  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  // RUNDIR/model.safetensors, or RUNDIR/checkpoints/<file>: the config is the run directory's.
  const bool in_checkpoints = dir.filename() == "checkpoints" && is_file(dir.parent_path() / "config.toml");
  if (in_checkpoints && !is_file(dir / "config.toml")) dir = dir.parent_path();
  GRADNET_CHECK(is_file(dir / "config.toml"), checkpoint,
                "{}: no config.toml beside the model (looked for {}{}); give a run directory made by `gradnet train`, "
                "its model.safetensors or a file in its checkpoints/",
                dir.string(), (dir / "config.toml").string(),
                dir.filename() == "checkpoints" ? " and " + (dir.parent_path() / "config.toml").string() : "");
  return {dir.string(), file.string(), ""};
}

LoadedModel load_model(const std::string& target, Index max_batch, bool final_model_only) {
  const ModelLocation where = locate_model(target, final_model_only);
  const fs::path dir(where.run_dir);
  const std::string& model_path = where.model_path;
  LoadedModel m;
  m.run_dir = where.run_dir;
  m.model_path = model_path;
  m.note = where.note;
  m.config = load_config((dir / "config.toml").string());
  set_threads(m.config.train.threads);  // clamped: an address-space limit must not hang OpenBLAS
  SafetensorsFile weights = read_safetensors(model_path);
  m.classes = classes_of(weights, model_path);
  keep_checkpoint_weights(weights);
  m.normalizer = load_normalizer((dir / "normalization.safetensors").string());
  m.info = load_dataset_info((dir / "dataset.json").string());
  try {
    // Planned for the run's evaluation pass: its rows follow from the net's shapes, which a
    // one-row net of the same spec gives cheaply.
    const Index batch = max_batch > 0 ? max_batch
                                      : eval_pass_rows(m.config.train, Net<float>(m.config.model, m.classes, 1,
                                                                                 NetUse::inference));
    m.net = std::make_unique<Net<float>>(m.config.model, m.classes, batch, NetUse::inference);
  } catch (const Error& e) {  // "the data has N classes": N is from the model file
    if (std::string(e.what()).find("classes") == std::string::npos) throw;
    fail(ErrorKind::checkpoint, "{}: {}", model_path, e.what());
  }
  if (m.classes == 0) m.classes = numel(m.net->output_shape());
  load_net_weights(*m.net, weights, model_path);
  return m;
}

}  // namespace gradnet
