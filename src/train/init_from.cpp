#include "gradnet/train/init_from.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "gradnet/io/safetensors.h"
#include "gradnet/layer_ranges.h"
#include "gradnet/train/checkpoint.h"
#include "gradnet/train/model_io.h"

namespace fs = std::filesystem;

namespace gradnet {

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// What a run directory without model.safetensors offers instead, for the message.
std::string alternatives(const fs::path& dir) {
  std::vector<std::string> found;
  if (has_checkpoint(dir.string())) found.push_back(latest_checkpoint(dir.string()));
  if (is_file(dir / "checkpoints" / "best.safetensors")) found.push_back((dir / "checkpoints" / "best.safetensors").string());
  if (found.empty()) return "it has no checkpoints either";
  return fmt::format("give one of its checkpoints instead: {}", fmt::join(found, " or "));
}

std::string shape_of(const NamedTensor& t) { return shape_str(t.shape); }

}  // namespace

InitSource locate_init_source(const std::string& init_from) {
  std::error_code ec;
  const fs::path p(init_from);
  GRADNET_CHECK(fs::exists(p, ec), checkpoint, "train.init_from: {}: no such run directory or weights file", init_from);
  if (fs::is_directory(p, ec)) {
    GRADNET_CHECK(is_file(p / "model.safetensors"), checkpoint,
                  "train.init_from: {} has no model.safetensors (the run did not finish, or this is not a run "
                  "directory); {}", init_from, alternatives(p));
    return {(p / "model.safetensors").string(), p.string()};
  }
  // RUNDIR/model.safetensors, RUNDIR/ema.safetensors, RUNDIR/checkpoints/<file>: the run is the folder
  // holding normalization.safetensors; a file elsewhere has no run.
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!is_file(dir / "normalization.safetensors") && dir.filename() == "checkpoints") dir = dir.parent_path();
  return {p.string(), is_file(dir / "normalization.safetensors") ? dir.string() : ""};
}

std::string init_normalization_file(const TrainConfig& t, std::string& why) {
  if (t.init_normalization == InitNormalization::refit) {
    why = "fitted on this run's training split (train.init_normalization = \"refit\")";
    return "";
  }
  const InitSource src = locate_init_source(t.init_from);
  if (src.run_dir.empty()) {
    why = fmt::format("fitted on this run's training split: {} is not in a run directory, so it has no statistics to "
                      "reuse", src.weights);
    return "";
  }
  const std::string file = (fs::path(src.run_dir) / "normalization.safetensors").string();
  why = fmt::format("the source run's, reused: {}", file);
  return file;
}

InitReport load_init_weights(Net<float>& net, const TrainConfig& t) {
  const InitSource src = locate_init_source(t.init_from);
  SafetensorsFile file = read_safetensors(src.weights);  // Error{checkpoint} naming the file when malformed
  keep_checkpoint_weights(file);
  const std::vector<bool> asked =
      t.init_layers.empty() ? std::vector<bool>{} : select_layers(t.init_layers, net.num_layers(), "train.init_layers");
  auto is_asked = [&](Index layer) { return asked.empty() || (layer >= 0 && asked[static_cast<std::size_t>(layer)]); };
  InitReport r;
  r.source = t.init_from;
  r.weights = src.weights;
  r.layers = t.init_layers;
  std::set<std::string> mine;
  for (const auto& [name, value] : net.state_tensors()) {
    mine.insert(name);
    const Index layer = layer_of_tensor(name);
    const bool required = !asked.empty() && is_asked(layer);
    const NamedTensor* s = is_asked(layer) ? file.find(name) : nullptr;
    GRADNET_CHECK(s != nullptr || !required, checkpoint,
                  "train.init_layers = \"{}\" asks for layers.{}, but {} has no tensor '{}'", t.init_layers, layer,
                  src.weights, name);
    GRADNET_CHECK(s == nullptr || s->shape == value->shape() || !required, shape,
                  "train.init_layers = \"{}\" asks for layers.{}, but tensor '{}' has shape {} in {} and {} in this "
                  "net", t.init_layers, layer, name, s ? shape_of(*s) : "", src.weights, shape_str(value->shape()));
    if (s == nullptr || s->shape != value->shape()) {
      r.fresh.push_back(name);
      continue;
    }
    const auto bad = std::find_if(s->data.begin(), s->data.end(), [](float v) { return !std::isfinite(v); });
    GRADNET_CHECK(bad == s->data.end(), checkpoint, "train.init_from: {}: tensor '{}' holds {} at index {}",
                  src.weights, name, *bad, bad - s->data.begin());
    value->set_values(s->data);
    r.loaded.push_back(name);
  }
  for (const NamedTensor& s : file.tensors) {
    if (std::find(r.loaded.begin(), r.loaded.end(), s.name) != r.loaded.end()) continue;
    std::string reason = "not in this net";
    if (mine.count(s.name) && !is_asked(layer_of_tensor(s.name))) reason = "not in train.init_layers";
    else if (mine.count(s.name)) {
      for (const auto& [name, value] : net.state_tensors())
        if (name == s.name) reason = fmt::format("shape {} in the source, {} in this net", shape_of(s), shape_str(value->shape()));
    }
    r.skipped.push_back({s.name, reason});
  }
  GRADNET_CHECK(!r.loaded.empty(), checkpoint,
                "train.init_from: nothing in {} fits this net ({} source tensors, none with a name and shape of this "
                "net's, e.g. '{}': {}); check model.layers against the source's config",
                src.weights, file.tensors.size(), r.skipped.empty() ? std::string("-") : r.skipped.front().name,
                r.skipped.empty() ? std::string("the file is empty") : r.skipped.front().reason);
  return r;
}

nlohmann::json to_json(const InitReport& r) {
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& s : r.skipped) skipped.push_back({{"name", s.name}, {"reason", s.reason}});
  return {{"source", r.source}, {"weights", r.weights}, {"layers", r.layers}, {"loaded", r.loaded},
          {"new", r.fresh},      {"skipped", skipped},   {"normalization", r.normalization}};
}

std::optional<InitReport> read_init_report(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  const auto j = nlohmann::json::parse(read_whole_file(path), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  InitReport r;
  r.source = j.value("source", "");
  r.weights = j.value("weights", "");
  r.layers = j.value("layers", "");
  r.normalization = j.value("normalization", "");
  r.loaded = j.value("loaded", std::vector<std::string>{});
  r.fresh = j.value("new", std::vector<std::string>{});
  for (const auto& s : j.value("skipped", nlohmann::json::array()))
    if (s.is_object()) r.skipped.push_back({s.value("name", ""), s.value("reason", "")});
  return r;
}

std::vector<std::string> init_report_notes(const InitReport& r) {
  auto list = [](const std::vector<std::string>& names) { return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")); };
  std::vector<std::string> skipped;
  for (const auto& s : r.skipped) skipped.push_back(fmt::format("{} ({})", s.name, s.reason));
  return {fmt::format("train.init_from: loaded {} tensor{} from {}: {}", r.loaded.size(), r.loaded.size() == 1 ? "" : "s",
                      r.weights, list(r.loaded)),
          fmt::format("train.init_from: new (initialised as usual): {}", list(r.fresh)),
          fmt::format("train.init_from: skipped (in the source, not used): {}", list(skipped)),
          fmt::format("train.init_from: input normalization {}", r.normalization)};
}

std::vector<bool> frozen_layers(const Config& c, Index layers, std::int64_t epoch) {
  std::vector<bool> frozen = select_layers(c.train.freeze, layers, "train.freeze");
  for (const LayerSpec& ls : c.model.layers)
    if (ls.has("frozen") && ls.get_bool("frozen") && ls.index < layers) frozen[static_cast<std::size_t>(ls.index)] = true;
  for (const UnfreezeStep& u : parse_unfreeze(c.train.unfreeze, "train.unfreeze")) {
    const std::vector<bool> released = select_layers(u.layers, layers, "train.unfreeze");
    for (Index i = 0; i < layers; ++i) {
      if (!released[static_cast<std::size_t>(i)]) continue;
      GRADNET_CHECK(frozen[static_cast<std::size_t>(i)] || u.epoch > epoch, config,
                    "train.unfreeze = \"{}\" unfreezes layers.{} at epoch {}, but it is not frozen (train.freeze = "
                    "\"{}\", or frozen = true on the layer)", c.train.unfreeze, i, u.epoch, c.train.freeze);
      if (u.epoch <= epoch) frozen[static_cast<std::size_t>(i)] = false;
    }
  }
  return frozen;
}

std::vector<Index> apply_frozen_layers(Net<float>& net, const Config& c, std::int64_t epoch) {
  const std::vector<bool> frozen = frozen_layers(c, net.num_layers(), epoch);
  std::vector<Index> changed;
  for (Index i = 0; i < net.num_layers(); ++i)
    if (net.layer(i).frozen() != frozen[static_cast<std::size_t>(i)]) {
      net.layer(i).set_frozen(frozen[static_cast<std::size_t>(i)]);
      changed.push_back(i);
    }
  return changed;
}

}  // namespace gradnet
