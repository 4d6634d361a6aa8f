#include "gradnet/train/dataset_info.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gradnet/data/image.h"
#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"

namespace gradnet {

namespace {

// The training split's mean value and mean border (background) level, raw 0..255.
void image_statistics(const Dataset& d, DatasetInfo& info) {
  const Index n = d.size(), features = d.features();
  if (n == 0 || d.shape.size() != 3) return;
  double sum = 0, border = 0;
  for (Index i = 0; i < n; ++i) {
    double row = 0;  // per row, then summed: the total of 10^8 bytes stays exact in a double
    if (d.byte_rows) {
      const std::uint8_t* px = d.bytes.data() + i * features;
      std::uint64_t bytes = 0;  // an integer sum: exact, as the double one was, and vectorised
      for (Index j = 0; j < features; ++j) bytes += px[j];
      row = static_cast<double>(bytes);
      border += border_mean(px, d.shape);
    } else {
      const float* px = d.x.data() + i * features;
      for (Index j = 0; j < features; ++j) row += px[j];
      border += border_mean(px, d.shape);
    }
    sum += row;
  }
  info.mean = sum / static_cast<double>(n * features);
  info.border_mean = border / static_cast<double>(n);
}

}  // namespace

std::string DatasetInfo::class_name(Index c) const {
  if (c >= 0 && c < static_cast<Index>(class_names.size()) && !class_names[c].empty()) return class_names[c];
  return std::to_string(c);
}

DatasetInfo describe_dataset(const Splits& raw, Index classes) {
  DatasetInfo info;
  info.shape = raw.train.shape;
  for (const Dataset* d : {&raw.train, &raw.test})
    if (info.class_names.empty() && static_cast<Index>(d->class_names.size()) == classes) info.class_names = d->class_names;
  image_statistics(raw.train, info);
  return info;
}

void save_dataset_info(const std::string& path, const DatasetInfo& info) {
  nlohmann::json j = {{"class_names", info.class_names}, {"shape", info.shape}};
  if (std::isfinite(info.mean)) j["mean"] = info.mean;
  if (std::isfinite(info.border_mean)) j["border_mean"] = info.border_mean;
  write_file_atomic(path, j.dump(2) + "\n");
}

DatasetInfo load_dataset_info(const std::string& path) {
  DatasetInfo info;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return info;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    info.class_names = j.value("class_names", std::vector<std::string>{});
    info.shape = j.value("shape", Shape{});
    info.mean = j.value("mean", info.mean);
    info.border_mean = j.value("border_mean", info.border_mean);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::checkpoint, "{}: not a dataset description written by `gradnet train` ({})", path, e.what());
  }
  for (Index d : info.shape)
    GRADNET_CHECK(d >= 1 && d <= (Index(1) << 31), checkpoint, "{}: shape {} is not an example shape", path,
                  shape_str(info.shape));
  return info;
}

}  // namespace gradnet
