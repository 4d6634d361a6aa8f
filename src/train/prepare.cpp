#include "gradnet/train/prepare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "gradnet/train/init_from.h"
#include "gradnet/train/model_io.h"

namespace gradnet {

namespace {

// Data, shapes and net are checked before the run directory exists: a bad config or dataset
// leaves nothing behind.
// pca/pca_whiten with data.pca_components = k hand the net [k] per example, not the raw shape.
void check_input_shape(const Config& c, const Splits& s) {
  const Index want = numel(c.model.input);
  const Shape given = normalized_shape(c.data.normalize, c.data.pca_components, s.train.shape);
  GRADNET_CHECK(numel(given) == want, shape, "model.input = {} takes {} features per example, but {} gives {} (shape {}{})",
                shape_str(c.model.input), want, s.train.source, numel(given), shape_str(given),
                given == s.train.shape ? "" : fmt::format(" after data.normalize = '{}'", name_of(c.data.normalize)));
  // Same count, other order ([28, 28, 1] for [1, 28, 28]): conv layers would read it scrambled.
  GRADNET_CHECK(c.model.input.size() != 3 || given.size() != 3 || c.model.input == given, shape,
                "model.input = {} is not the image shape {} of {}: image layers read [C, H, W] (channels first)",
                shape_str(c.model.input), shape_str(given), s.train.source);
  GRADNET_CHECK(s.train.size() > 0, data, "{}: the training split is empty", s.train.source);
}

// The run directory's config must work from anywhere (eval, predict): data paths become absolute.
DataConfig absolute_paths(DataConfig d, const std::string& config_dir) {
  namespace fs = std::filesystem;
  auto absolute = [&](std::string& p) {
    if (!p.empty()) p = fs::absolute(fs::path(config_dir) / p).lexically_normal().string();
  };
  if (d.dataset == DatasetKind::csv) {
    absolute(d.path);
    absolute(d.test_path);
  } else {
    d.dir = fs::absolute(resolve_data_dir(d, config_dir)).lexically_normal().string();
  }
  return d;
}


// After normalization every value must be a finite float: scale01 over a range wider than float
// holds (-3e38..3e38) would hand the net NaN, and the run would then be blamed on the lr.
void check_finite(const Dataset& d, const char* split, const DataConfig& c) {
  const float* x = d.x.data();
  const Index n = d.x.size();
  float acc = 0.0f;  // x * 0 is 0 for finite x, NaN otherwise: one vectorisable pass
  for (Index i = 0; i < n; ++i) acc += x[i] * 0.0f;
  if (acc == 0.0f) return;
  Index i = 0;
  while (std::isfinite(x[i])) ++i;
  const Index f = d.features();
  fail(ErrorKind::data, "{}: {} example {}, feature {} is {} after data.normalize = '{}' (the values span more than a "
       "float holds)", d.source, split, i / f, i % f, x[i], name_of(c.normalize));
}

// A normalizer read from a file (the source run's, or a resumed run's own) must be the method
// the config names and fit the data's features.
Normalizer read_fitted(const std::string& file, const Config& c, const Dataset& train) {
  Normalizer n = load_normalizer(file);
  GRADNET_CHECK(n.method == c.data.normalize, config,
                "train.init_from: the source run normalized its inputs with '{}' ({}), this config with data.normalize "
                "= '{}': set data.normalize = \"{}\", or train.init_normalization = \"refit\" to fit new statistics",
                name_of(n.method), file, name_of(c.data.normalize), name_of(n.method), name_of(n.method));
  GRADNET_CHECK(n.method == NormalizeMethod::none || n.input_features() == train.features(), shape,
                "train.init_from: {} normalizes {} features per example, but {} has {}", file, n.input_features(),
                train.source, train.features());
  return n;
}

}  // namespace

PreparedData prepare_data(const Config& given, const std::string& config_dir_in, const std::string& normalization_file) {
  std::string config_dir =
      !config_dir_in.empty() ? config_dir_in : std::filesystem::path(given.source).parent_path().string();
  if (config_dir.empty()) config_dir = ".";
  PreparedData p;
  p.config = given;
  p.config.data = absolute_paths(given.data, config_dir);
  std::string& init_from = p.config.train.init_from;
  if (!init_from.empty())
    init_from = std::filesystem::absolute(std::filesystem::path(config_dir) / init_from).lexically_normal().string();
  p.splits = load_splits(p.config.data, config_dir, p.config.train.seed);
  check_input_shape(p.config, p.splits);
  p.classes = std::max({p.splits.train.classes, p.splits.val.classes, p.splits.test.classes});
  p.info = describe_dataset(p.splits, p.classes);  // raw values: before the normalization below
  p.normalizer.method = p.config.data.normalize;
  p.normalizer.whiten_epsilon = p.config.data.whiten_epsilon;
  p.normalizer.pca_components = p.config.data.pca_components;
  std::string fitted = normalization_file;
  if (fitted.empty() && !init_from.empty()) fitted = init_normalization_file(p.config.train, p.normalization_note);
  if (!fitted.empty()) p.normalizer = read_fitted(fitted, p.config, p.splits.train);
  else p.normalizer.fit(p.splits.train);
  p.normalizer.apply(p.splits.train);
  p.normalizer.apply(p.splits.val);
  p.normalizer.apply(p.splits.test);
  check_finite(p.splits.train, "training", p.config.data);
  check_finite(p.splits.val, "validation", p.config.data);
  check_finite(p.splits.test, "test", p.config.data);
  return p;
}

}  // namespace gradnet
