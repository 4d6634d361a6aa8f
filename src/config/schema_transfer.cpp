// The config schema's transfer-learning keys: a class subset of the data, and starting from,
// freezing and unfreezing another run's layers (docs/transfer.md).
#include <algorithm>
#include <string>

#include "gradnet/layer_ranges.h"
#include "schema_builder.h"

namespace gradnet::config_schema {

void class_subset_keys(Section v) {
  const auto d = &Config::data;
  using D = DataConfig;
  v.add(field("data", d, &D::classes, "classes", K::int_list,
              "keep only these classes (their labels in the dataset), relabelled 0..k-1 in the order given, in "
              "every split, before train_limit; e.g. [5, 6, 7, 8, 9] trains a 5-class net on the last five; "
              "empty: all")
            .at_least(0)
            .rule("no label twice", [](const Value& x) -> std::string {
              auto e = std::get<std::vector<std::int64_t>>(x);
              std::sort(e.begin(), e.end());
              return std::adjacent_find(e.begin(), e.end()) != e.end() ? "a list of distinct class labels" : "";
            }));
  v.add(field("data", d, &D::train_per_class, "train_per_class", K::integer,
              "a balanced labelled subset: keep only the first N training examples of each class (after classes "
              "and train_limit, before the validation split is taken from the end); 0: all")
            .at_least(0));
}

namespace {

std::function<std::string(const Value&)> ranges_rule() {
  return [](const Value& x) { return layer_ranges_problem(std::get<std::string>(x)); };
}

}  // namespace

void transfer_keys(Section v) {
  const auto t = &Config::train;
  using T = TrainConfig;
  v.add(field("train", t, &T::init_from, "init_from", K::string,
              "start from trained weights (docs/transfer.md): a run directory (its model.safetensors), a "
              "model.safetensors or a checkpoint file; every tensor whose name and shape match is loaded, the rest "
              "initialised as usual; what was loaded, new and skipped is printed and kept in RUNDIR/init_from.json. "
              "The optimizer and schedule start fresh. Relative: to the config file's folder (--set, --init-from: "
              "to the current directory); empty: none"));
  v.add(field("train", t, &T::init_layers, "init_layers", K::string,
              "with init_from: load only these layers (\"layers.0-3, layers.5\"), each of whose tensors must be in "
              "the source with the same shape (exit 2 otherwise); empty: every tensor that matches")
            .rule("layer ranges like \"layers.0-3, layers.5\"", ranges_rule()));
  v.add(field("train", t, &T::init_normalization, "init_normalization", K::string,
              "with init_from: source (reuse the source run's input normalization statistics, as its layers "
              "learned on them; a weights file outside a run directory has none: refit) or refit (fit them on this "
              "run's training split)"));
  v.add(field("train", t, &T::freeze, "freeze", K::string,
              "layers whose params get no updates (\"layers.0-5\", \"layers.0-1, layers.4\"); a frozen batch-norm "
              "layer also normalizes with its running statistics and stops updating them; empty: none (per layer: "
              "frozen = true)")
            .rule("layer ranges like \"layers.0-3, layers.5\"", ranges_rule()));
  v.add(field("train", t, &T::unfreeze, "unfreeze", K::string,
              "gradual unfreezing: \"EPOCH: LAYERS; ...\", e.g. \"3: layers.2-3; 5: layers.0-1\": frozen layers "
              "(train.freeze or frozen = true) that train from that epoch on (counting from 1), epochs increasing; "
              "empty: none")
            .rule("\"EPOCH: LAYERS; ...\" with increasing epochs",
                  [](const Value& x) { return unfreeze_problem(std::get<std::string>(x)); }));
}

}  // namespace gradnet::config_schema
