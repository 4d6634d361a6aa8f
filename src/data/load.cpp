#include "gradnet/data/load.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "gradnet/data/cifar.h"
#include "gradnet/data/csv.h"
#include "gradnet/data/folds.h"
#include "gradnet/data/idx.h"
#include "gradnet/error.h"
#include "gradnet/rng.h"

namespace gradnet {

namespace fs = std::filesystem;

namespace {

std::string join_path(const std::string& base, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base.empty()) return path;
  return (fs::path(base) / path).lexically_normal().string();
}

// "train-images-idx3-ubyte" -> dir/train-images-idx3-ubyte.gz if present, else the raw name.
std::string find_idx_file(const std::string& dir, const std::string& name, const char* key) {
  GRADNET_CHECK(!name.empty(), config, "data.{} is empty: name the IDX file inside {}", key, dir);
  const fs::path base = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(base, ec)) return base.string();
  if (name.size() < 3 || name.substr(name.size() - 3) != ".gz") {
    const fs::path gz = fs::path(dir) / (name + ".gz");
    if (fs::exists(gz, ec)) return gz.string();
    fail(ErrorKind::data, "{}: no {} or {}.gz (data.{}); run scripts/setup or set data.dir", dir, name, name, key);
  }
  fail(ErrorKind::data, "{}: no {} (data.{}); run scripts/setup or set data.dir", dir, name, key);
}

const std::vector<std::string>& fashion_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

// One split of an IDX dataset: the training or the test files.
Dataset load_idx_split(const DataConfig& c, const std::string& dir, bool train) {
  const bool standard = c.dataset != DatasetKind::idx;
  auto name = [&](const std::string& configured, const char* fallback) { return standard ? std::string(fallback) : configured; };
  Dataset d = train ? load_idx(find_idx_file(dir, name(c.train_images, "train-images-idx3-ubyte"), "train_images"),
                               find_idx_file(dir, name(c.train_labels, "train-labels-idx1-ubyte"), "train_labels"), 10)
                    : load_idx(find_idx_file(dir, name(c.test_images, "t10k-images-idx3-ubyte"), "test_images"),
                               find_idx_file(dir, name(c.test_labels, "t10k-labels-idx1-ubyte"), "test_labels"), 10);
  if (c.dataset == DatasetKind::fashion_mnist) d.class_names = fashion_names();
  if (c.dataset == DatasetKind::mnist) d.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return d;
}

Splits load_idx_splits(const DataConfig& c, const std::string& config_dir) {
  const std::string dir = resolve_data_dir(c, config_dir);
  Splits s;
  s.train = load_idx_split(c, dir, true);
  s.test = load_idx_split(c, dir, false);
  GRADNET_CHECK(s.train.shape == s.test.shape, data, "{}: images of {}, but {} has {}", s.test.source,
                shape_str(s.test.shape), s.train.source, shape_str(s.train.shape));
  return s;
}

std::vector<std::string> cifar_class_names(const std::string& dir) {
  std::error_code ec;
  const std::string meta = (fs::path(dir) / "batches.meta.txt").string();
  return fs::exists(meta, ec) ? load_cifar_class_names(meta, 10) : std::vector<std::string>{};
}

// data_batch_1..5 and test_batch (.bin or .bin.gz); class names from batches.meta.txt when present.
// With train_limit / test_limit only the batches needed are decoded.
Splits load_cifar_splits(const DataConfig& c, const std::string& config_dir) {
  const std::string dir = resolve_data_dir(c, config_dir);
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back(find_cifar_file(dir, fmt::format("data_batch_{}", i)));
  const std::string test_file = find_cifar_file(dir, "test_batch");
  Splits s;
  s.train = load_cifar_batches(train_files, c.train_limit);
  s.train.source = (fs::path(dir) / "data_batch_{1..5}").string();
  s.test = load_cifar_batches({test_file}, c.test_limit);
  s.train.class_names = s.test.class_names = cifar_class_names(dir);
  return s;
}

Splits load_csv_splits(const DataConfig& c, const std::string& config_dir, std::uint64_t seed) {
  GRADNET_ASSERT(!c.path.empty());  // the config reader's rule: data.dataset = "csv" needs data.path
  const std::string path = join_path(config_dir, c.path);
  Dataset all = load_csv(path, c.label_column, c.header);
  // CSV files are often sorted by class (iris): shuffle before any split takes "the last rows".
  std::vector<Index> order(static_cast<std::size_t>(all.size()));
  std::iota(order.begin(), order.end(), Index(0));
  Rng rng = Rng::stream(seed, "split");
  rng.shuffle(order);
  all = take_rows(all, order);
  Splits s;
  if (!c.test_path.empty()) {
    s.train = std::move(all);
    s.test = load_csv(join_path(config_dir, c.test_path), c.label_column, c.header, s.train.class_names);
    GRADNET_CHECK(s.test.features() == s.train.features(), data, "{}: {} features per row, but {} has {}",
                  s.test.source, s.test.features(), s.train.source, s.train.features());
    if (!s.train.class_names.empty() && s.test.class_names.size() != s.train.class_names.size())
      s.test.class_names = s.train.class_names;  // numeric labels: the names come from the train header
    s.train.classes = s.test.classes = std::max(s.train.classes, s.test.classes);
  } else {
    GRADNET_CHECK(c.test_fraction >= 0 && c.test_fraction < 1, config,
                  "data.test_fraction = {}: expected a share in [0, 1)", c.test_fraction);
    const Index n = all.size();
    const Index test = static_cast<Index>(std::llround(c.test_fraction * static_cast<double>(n)));
    s.test = slice(all, n - test, n);
    s.train = slice(all, 0, n - test);
  }
  return s;
}

// data.classes: the rows of those labels only, relabelled 0..k-1 in the order given (class names too).
void keep_classes(Dataset& d, const std::vector<std::int64_t>& classes) {
  if (classes.empty()) return;
  for (std::int64_t c : classes)
    GRADNET_CHECK(c < d.classes, data, "data.classes: {} has classes 0..{}; there is no class {}", d.source,
                  d.classes - 1, c);
  std::vector<std::int32_t> relabel(static_cast<std::size_t>(d.classes), -1);
  for (std::size_t k = 0; k < classes.size(); ++k) relabel[static_cast<std::size_t>(classes[k])] = static_cast<std::int32_t>(k);
  std::vector<Index> rows;
  for (Index i = 0; i < d.size(); ++i)
    if (relabel[static_cast<std::size_t>(d.y[i])] >= 0) rows.push_back(i);
  std::vector<std::string> names;
  if (d.class_names.size() == static_cast<std::size_t>(d.classes))
    for (std::int64_t c : classes) names.push_back(d.class_names[static_cast<std::size_t>(c)]);
  d = take_rows(d, rows);
  for (std::int32_t& y : d.y) y = relabel[static_cast<std::size_t>(y)];
  d.classes = static_cast<Index>(classes.size());
  d.class_names = std::move(names);
  GRADNET_CHECK(d.size() > 0, data, "data.classes: {} has no example of classes [{}]", d.source, fmt::join(classes, ", "));
}

// data.train_per_class: the first n rows of each class, in their order.
void keep_per_class(Dataset& d, std::int64_t n) {
  if (n <= 0) return;
  std::vector<std::int64_t> seen(static_cast<std::size_t>(d.classes), 0);
  std::vector<Index> rows;
  for (Index i = 0; i < d.size(); ++i)
    if (seen[static_cast<std::size_t>(d.y[i])]++ < n) rows.push_back(i);
  d = take_rows(d, rows);
}

}  // namespace

std::string resolve_data_dir(const DataConfig& c, const std::string& config_dir) {
  std::error_code ec;
  if (!c.dir.empty()) {
    const std::string dir = join_path(config_dir, c.dir);
    // Named once, as resolved; a relative one says against what (--set paths arrive absolute).
    GRADNET_CHECK(fs::is_directory(dir, ec), data, "data.dir: {} is not a directory{}", dir,
                  dir == c.dir ? std::string("")
                               : fmt::format(" (data.dir = '{}' resolved against the config file's folder, {})", c.dir,
                                             config_dir));
    return dir;
  }
  const std::string name(name_of(c.dataset));  // its directory's name
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("GRADNET_DATA"); env && *env)
    candidates.push_back((fs::path(env) / name).string());
  candidates.push_back((fs::path("data") / name).string());
  if (!config_dir.empty()) candidates.push_back((fs::path(config_dir) / ".." / "data" / name).lexically_normal().string());
  candidates.push_back((fs::path("/usr/share/datasets") / name).string());
  std::string looked;
  for (const std::string& dir : candidates) {
    if (fs::is_directory(dir, ec)) return dir;
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  fail(ErrorKind::data, "dataset '{}' not found; looked in: {}{}; run scripts/setup or set data.dir", name, looked,
       std::getenv("GRADNET_DATA") ? "" : " ($GRADNET_DATA is not set)");
}

Dataset load_test_split(const DataConfig& c, const std::string& config_dir, std::uint64_t seed) {
  Dataset test;
  switch (c.dataset) {
    case DatasetKind::mnist:
    case DatasetKind::fashion_mnist:
    case DatasetKind::idx: test = load_idx_split(c, resolve_data_dir(c, config_dir), false); break;
    case DatasetKind::cifar10: {
      const std::string dir = resolve_data_dir(c, config_dir);
      test = load_cifar_batches({find_cifar_file(dir, "test_batch")}, c.classes.empty() ? c.test_limit : 0);
      test.class_names = cifar_class_names(dir);
      break;
    }
    case DatasetKind::csv: {  // which rows are the test rows depends on every row
      Splits s = load_splits(c, config_dir, seed);
      return std::move(s.test);
    }
  }
  GRADNET_ASSERT(c.test_limit >= 0);  // the config's bounds
  keep_classes(test, c.classes);
  if (c.test_limit > 0) truncate(test, c.test_limit);
  return test;
}

Splits load_splits(const DataConfig& c, const std::string& config_dir, std::uint64_t seed) {
  Splits s;
  DataConfig whole = c;  // a class subset is taken before the limits: CIFAR-10 must decode every batch
  if (!c.classes.empty()) whole.train_limit = whole.test_limit = 0;
  switch (c.dataset) {
    case DatasetKind::mnist:
    case DatasetKind::fashion_mnist:
    case DatasetKind::idx: s = load_idx_splits(c, config_dir); break;
    case DatasetKind::cifar10: s = load_cifar_splits(whole, config_dir); break;
    case DatasetKind::csv: s = load_csv_splits(c, config_dir, seed); break;
  }
  GRADNET_ASSERT(c.train_limit >= 0 && c.test_limit >= 0);  // the config's bounds
  keep_classes(s.train, c.classes);
  keep_classes(s.test, c.classes);
  if (c.train_limit > 0) truncate(s.train, c.train_limit);
  if (c.test_limit > 0) truncate(s.test, c.test_limit);
  keep_per_class(s.train, c.train_per_class);

  const Index n = s.train.size();
  GRADNET_CHECK(n > 0, data, "{}: no training examples", s.train.source);
  // A run is tested at its end: without test examples its test accuracy would be a made-up 0.
  GRADNET_CHECK(s.test.size() > 0, data, "{}: no test examples{}", s.test.source.empty() ? s.train.source : s.test.source,
                c.dataset == DatasetKind::csv && c.test_path.empty()
                    ? fmt::format(" (data.test_fraction = {} of {} rows rounds to 0)", c.test_fraction, n)
                    : "");
  if (c.folds >= 2) {  // cross-validation: fold c.fold of the training split is the validation split
    GRADNET_CHECK(c.folds <= n, config, "data.folds = {} cuts the {} training examples{} into more folds than there are "
                  "examples", c.folds, n, c.train_limit > 0 ? fmt::format(" (after train_limit = {})", c.train_limit) : "");
    const FoldRows rows = fold_rows(n, c.folds, c.fold, seed);
    s.val = take_rows(s.train, rows.val);
    s.train = take_rows(s.train, rows.train);
    return s;
  }
  GRADNET_CHECK(c.validation >= 0 && std::isfinite(c.validation), config,
                "data.validation = {}: expected a count (>= 1), a fraction in (0, 1), or 0", c.validation);
  // Compared as a double first: a count like 1e19 does not fit an Index.
  const double held = std::round(c.validation >= 1 ? c.validation : c.validation * static_cast<double>(n));
  GRADNET_CHECK(held < static_cast<double>(n), config,
                "data.validation = {} holds out {:.0f} of the {} training examples{}; nothing would be left to train on",
                c.validation, held, n, c.train_limit > 0 ? fmt::format(" (after train_limit = {})", c.train_limit) : "");
  const Index val = static_cast<Index>(held);
  s.val = slice(s.train, n - val, n);
  truncate(s.train, n - val);  // in place: a second copy of the training set would double peak memory
  return s;
}

}  // namespace gradnet
