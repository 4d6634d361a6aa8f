// Config: one experiment, read from TOML, every key validated (unknown key with did-you-mean,
// wrong type, out of range: Error{config} naming the file and the key), defaults filled,
// --set overrides applied, and written back out whole (the run directory's config.toml).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradnet/net.h"
#include "gradnet/value.h"

namespace gradnet {

struct DataConfig {
  std::string dataset = "mnist";     // mnist | fashion-mnist | csv | idx
  std::string dir;                   // empty: $GRADNET_DATA/<dataset>, ./data/<dataset>, /usr/share/datasets/<dataset>
  std::string path;                  // csv: the file (absolute, or relative to the config file)
  std::string test_path;             // csv: a separate test file; empty: hold out test_fraction
  double test_fraction = 0.2;        // csv without test_path: share of rows held out for test
  std::int64_t label_column = -1;    // csv: the label's column (-1: last)
  std::string header = "auto";       // csv: auto | none | skip
  std::string train_images, train_labels, test_images, test_labels;  // idx: file names in dir
  double validation = 5000;          // held out of training: a count (>= 1) or a fraction (< 1)
  std::string normalize = "standardize";  // none | scale01 | standardize
  std::int64_t train_limit = 0;      // use only the first N training examples (0: all)
  std::int64_t test_limit = 0;       // use only the first N test examples (0: all)
};

struct OptimizerConfig {
  std::string type = "sgd";
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
};

struct ScheduleConfig {
  std::string policy = "fixed";      // fixed | step | multistep | exp | inv | poly (issue 3: fixed, step)
  double gamma = 0.1;
  std::int64_t step_size = 1;        // epochs
  std::vector<std::int64_t> milestones;
  double power = 1.0;
};

struct TrainConfig {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 1;
  std::int64_t threads = 0;          // 0: all cores
  bool shuffle = true;
  std::int64_t eval_batch_size = 1000;
};

struct Config {
  std::string name = "run";
  std::string source;                // the file it was read from ("" for built-in)
  DataConfig data;
  ModelSpec model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  TrainConfig train;
};

// Reads and validates path, then applies overrides ("optimizer.lr=0.05",
// "model.layers.0.out=32"); every error is Error{config} naming path and key.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
Config parse_config(const std::string& toml_text, const std::string& source,
                    const std::vector<std::string>& overrides = {});
// The resolved config as TOML, every default written out; parse_config(to_toml(c)) == c.
std::string to_toml(const Config& config);
// docs/config.md: every section and key with its type, default, range and meaning, written from
// the same schema that validates them (tests/config/docs_test.cpp keeps the file in step).
std::string config_reference_markdown();

}  // namespace gradnet
