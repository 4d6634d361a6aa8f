// The layer registry: for each type written in TOML, one row (src/layers/registry.cpp) with its
// doc, its key table, its factories, the traits the rest of the engine asks about (how the monitor
// reads its output, what init_nonlinearity = "auto" resolves to) and its reference text. Config
// validation, the monitor, init, docs/config.md, docs/layers.md and the tests all read this one table.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/layer.h"
#include "gradnet/value.h"

namespace gradnet {

// How the training monitor reads a layer's output (docs/monitoring.md).
struct MonitorRule {
  enum class Kind {
    none,        // mean and std only
    saturating,  // + the share of outputs below low or above high ("saturated")
    rectifier,   // + the share of outputs exactly 0 ("dead") and of units 0 on every row ("dead_units")
  };
  Kind kind = Kind::none;
  float low = 0, high = 0;  // saturating only

  static MonitorRule saturating(float low, float high) { return {Kind::saturating, low, high}; }
  static MonitorRule rectifier() { return {Kind::rectifier, 0, 0}; }
};

// What docs/layers.md shows for a type besides its doc line, keys and traits (markdown).
struct LayerReference {
  std::string section;   // the heading the type is listed under, e.g. "Activations"
  std::string forward;   // y from x (and the params)
  std::string backward;  // dx and the param gradients from dy
  std::string notes;     // params, shapes, kinks, numerics, PyTorch differences; may be empty
};

struct LayerInfo {
  std::string type;
  std::string doc;             // one line: docs/config.md, error messages
  std::vector<KeySpec> keys;   // every key but "type"
  MonitorRule monitor;
  // What init_nonlinearity = "auto" on the layer before this one resolves to: one of the
  // nonlinearities calculate_gain knows ("linear" when it has no entry for this type).
  std::string init_nonlinearity = "linear";
  // "auto" looks through this layer to the one after it: it neither adds weights nor changes which
  // activation the layer before feeds (pooling, flatten, dropout, normalisation: conv -> batch_norm
  // -> relu gets relu's gain).
  bool init_looks_through = false;
  LayerReference reference;
  std::unique_ptr<Layer<float>> (*make_float)(const LayerSpec&) = nullptr;
  std::unique_ptr<Layer<double>> (*make_double)(const LayerSpec&) = nullptr;
};

const std::vector<LayerInfo>& layer_infos();
const LayerInfo* find_layer_info(std::string_view type);

// Builds the layer for a validated spec. Error{config} naming the index for an unknown type.
template <typename T>
std::unique_ptr<Layer<T>> make_layer(const LayerSpec& spec);

// What the tests check for one layer type or loss, for docs/layers.md (markdown, one item a case).
struct LayerChecks {
  std::string gradcheck_tolerance, golden_tolerance;
  std::vector<std::string> gradcheck, golden;
  std::string golden_exempt;  // why there is no golden case
};

// docs/layers.md: the contract, then every registered type (doc line, formulas, keys, traits, notes
// and its checks from `checks`, keyed by type), the losses (keyed by loss name) and the initialisers.
// tests/layers/layers_docs_test.cpp passes the cases of tests/golden/layer_cases.json.
std::string layers_reference_markdown(const std::map<std::string, LayerChecks>& checks);

}  // namespace gradnet
