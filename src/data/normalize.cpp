#include "gradnet/data/normalize.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "gradnet/error.h"
#include "gradnet/io/safetensors.h"
#include "whiten.h"

namespace gradnet {

namespace {
// Below this spread a feature counts as constant on train (see the header: std = 1, not eps).
constexpr double kConstant = 1e-8;
}  // namespace

bool Normalizer::rotation() const { return is_rotation(method); }

Index Normalizer::output_features() const {
  if (!rotation() || mean.empty()) return input_features();
  return static_cast<Index>(matrix.size()) / input_features();
}

Shape normalized_shape(NormalizeMethod method, Index pca_components, const Shape& in) {
  if (keeps_components(method) && pca_components > 0) return {pca_components};
  return in;
}

namespace {

// The per-feature statistics over rows x (n, features) of floats or bytes: a = mean or min, b =
// std or range (see the header). Each value is read as a double, which a byte and the float it
// converts to give alike: the statistics of byte rows are those of their float conversion.
template <typename E>
void per_feature_stats(NormalizeMethod method, const E* x, Index n, Index features, const Shape& shape,
                       std::vector<double>& a, std::vector<double>& b) {
  // Row-major passes with per-feature accumulators: sequential memory, vectorisable inner loop.
  if (method == NormalizeMethod::scale01) {
    std::copy(x, x + features, a.begin());  // min
    std::copy(x, x + features, b.begin());  // max
    for (Index i = 1; i < n; ++i)
      for (Index j = 0; j < features; ++j) {
        const double v = x[i * features + j];
        a[j] = std::min(a[j], v);
        b[j] = std::max(b[j], v);
      }
    for (Index j = 0; j < features; ++j) b[j] -= a[j];
  } else if (shape.size() == 3) {
    // Images: one mean/std per channel over all its pixels (CS231n, torchvision's Normalize).
    // Per-pixel statistics would blow up rarely-lit pixels (std ~0.04 where one training image
    // has a faint stroke) and hurt test accuracy.
    const Index channels = shape[0], plane = features / channels;
    for (Index c = 0; c < channels; ++c) {
      double sum = 0, sq = 0;
      for (Index i = 0; i < n; ++i) {
        const E* p = x + i * features + c * plane;
        for (Index k = 0; k < plane; ++k) sum += static_cast<double>(p[k]);
      }
      const double m = sum / static_cast<double>(n * plane);
      for (Index i = 0; i < n; ++i) {
        const E* p = x + i * features + c * plane;
        for (Index k = 0; k < plane; ++k) sq += (static_cast<double>(p[k]) - m) * (static_cast<double>(p[k]) - m);
      }
      const double sd = std::sqrt(sq / static_cast<double>(n * plane));
      std::fill(a.begin() + c * plane, a.begin() + (c + 1) * plane, m);
      std::fill(b.begin() + c * plane, b.begin() + (c + 1) * plane, sd);
    }
  } else {
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < features; ++j) a[j] += static_cast<double>(x[i * features + j]);
    for (Index j = 0; j < features; ++j) a[j] /= static_cast<double>(n);
    // Two passes (mean, then squared deviations): no cancellation for pixel-sized values.
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < features; ++j) {
        const double dv = static_cast<double>(x[i * features + j]) - a[j];
        b[j] += dv * dv;
      }
    for (Index j = 0; j < features; ++j) b[j] = std::sqrt(b[j] / static_cast<double>(n));
  }
}

}  // namespace

void Normalizer::fit(const Dataset& train) {
  GRADNET_ASSERT(whiten_epsilon > 0 && std::isfinite(whiten_epsilon) && pca_components >= 0);  // the config's bounds
  GRADNET_ASSERT(train.row_mean.empty());  // fitted on raw values, never on normalized ones
  mean.clear();
  std.clear();
  matrix.clear();
  eigenvalues.clear();
  epsilon = 0;
  if (method == NormalizeMethod::none) return;
  if (rotation()) {
    data_detail::fit_rotation(*this, train);
    return;
  }
  const Index n = train.size(), features = train.features();
  const bool image = train.shape.size() == 3;
  if (method == NormalizeMethod::scale01 && image) {  // pixel data: the fixed 0..255 range, not the sample's
    mean.assign(features, 0.0f);
    std.assign(features, 255.0f);
    return;
  }
  GRADNET_CHECK(n > 0, data, "{}: cannot fit '{}' normalization on an empty training set", train.source,
                name_of(method));
  std::vector<double> a(features), b(features);
  if (train.byte_rows)
    per_feature_stats(method, train.bytes.data(), n, features, train.shape, a, b);
  else
    per_feature_stats(method, train.x.data(), n, features, train.shape, a, b);
  mean.resize(features);
  std.resize(features);
  for (Index j = 0; j < features; ++j) {
    mean[j] = static_cast<float>(a[j]);
    std[j] = b[j] < kConstant ? 1.0f : static_cast<float>(b[j]);
  }
}

void Normalizer::apply(Dataset& d) const {
  if (mean.empty()) return;
  GRADNET_CHECK(d.features() == input_features(), shape,
                "{}: {} features per example (shape {}), but the normalization ({}) was fitted on {}", d.source,
                d.features(), shape_str(d.shape), name_of(method), input_features());
  if (d.byte_rows && !rotation()) {  // applied as the rows are converted, a batch at a time
    GRADNET_ASSERT(d.row_mean.empty());
    d.row_mean = mean;
    d.row_std = std;
    return;
  }
  // A rotation mixes every feature of a row through one sgemm per block of rows: it is applied
  // to the whole split once, so byte rows become float rows first (docs/data.md).
  to_float_rows(d);
  const Index k = output_features();
  if (k == d.features()) {
    apply(d.x.data(), d.size(), d.features());
    return;
  }
  Tensor<float> out({d.size(), k});  // fewer features: a new, smaller tensor (the old one goes)
  data_detail::apply_rotation(*this, d.x.data(), out.data(), d.size());
  d.x = std::move(out);
  d.shape = {k};
}

void Normalizer::apply(float* rows, Index n, Index features) const {
  if (mean.empty()) return;
  GRADNET_CHECK(input_features() == features, shape, "normalization ({}) was fitted on {} features, the data has {}",
                name_of(method), mean.size(), features);
  if (rotation()) {
    data_detail::apply_rotation(*this, rows, rows, n);
    return;
  }
  GRADNET_ASSERT(std.size() == mean.size());
  // A true division (not a multiply by 1/std): x/255 is then exactly what a user computes by
  // hand, and nothing is allocated, so a caller may apply this per batch.
  const float* m = mean.data();
  const float* s = std.data();
  for (Index i = 0; i < n; ++i) {
    float* r = rows + i * features;
    for (Index j = 0; j < features; ++j) r[j] = (r[j] - m[j]) / s[j];
  }
}

Normalizer fit_normalizer(NormalizeMethod method, const Dataset& train, double whiten_epsilon,
                          Index pca_components) {
  Normalizer n;
  n.method = method;
  n.whiten_epsilon = whiten_epsilon;
  n.pca_components = pca_components;
  n.fit(train);
  return n;
}

void write_normalizer(SafetensorsFile& file, const Normalizer& n, const std::string& prefix,
                      const std::string& method_key) {
  file.metadata[method_key] = std::string(name_of(n.method));
  const Index d = n.input_features();
  file.tensors.push_back({prefix + "mean", {d}, n.mean});
  if (!n.rotation()) {
    file.tensors.push_back({prefix + "std", {static_cast<Index>(n.std.size())}, n.std});
    return;
  }
  file.tensors.push_back({prefix + "matrix", {d, n.output_features()}, n.matrix});
  file.tensors.push_back({prefix + "eigenvalues", {static_cast<Index>(n.eigenvalues.size())}, n.eigenvalues});
  file.metadata[prefix + "epsilon"] = fmt::format("{}", n.epsilon);  // shortest exact round trip
  file.metadata[prefix + "whiten_epsilon"] = fmt::format("{}", n.whiten_epsilon);
  file.metadata[prefix + "pca_components"] = std::to_string(n.pca_components);
}

Normalizer read_normalizer(const SafetensorsFile& file, const std::string& prefix, const std::string& method_key,
                           const std::string& path) {
  Normalizer n;
  auto it = file.metadata.find(method_key);
  GRADNET_CHECK(it != file.metadata.end(), checkpoint, "{}: no '{}' in the metadata", path, method_key);
  const std::optional<NormalizeMethod> method = parse_enum<NormalizeMethod>(it->second);
  GRADNET_CHECK(method.has_value(), checkpoint, "{}: unknown normalization method '{}'", path, it->second);
  n.method = *method;
  const NamedTensor* mean = file.find(prefix + "mean");
  if (n.method == NormalizeMethod::none && !mean) return n;
  GRADNET_CHECK(mean != nullptr, checkpoint, "{}: no tensor '{}mean' for normalization '{}'", path, prefix,
                name_of(n.method));
  n.mean = mean->data;
  if (!n.rotation()) {
    const NamedTensor* std = file.find(prefix + "std");
    GRADNET_CHECK(std && std->data.size() == n.mean.size(), checkpoint,
                  "{}: needs tensors '{}mean' and '{}std' of one size", path, prefix, prefix);
    n.std = std->data;
    return n;
  }
  const NamedTensor* matrix = file.find(prefix + "matrix");
  const Index d = n.input_features();
  GRADNET_CHECK(matrix && matrix->shape.size() == 2 && matrix->shape[0] == d && matrix->shape[1] >= 1 &&
                    matrix->shape[1] <= d,
                checkpoint, "{}: normalization '{}' needs a tensor '{}matrix' of shape [{}, k] with 1 <= k <= {}", path,
                name_of(n.method), prefix, d, d);
  n.matrix = matrix->data;
  if (const NamedTensor* ev = file.find(prefix + "eigenvalues")) n.eigenvalues = ev->data;
  auto number = [&](const std::string& key, double fallback) {
    auto m = file.metadata.find(prefix + key);
    if (m == file.metadata.end()) return fallback;
    try {
      return std::stod(m->second);
    } catch (const std::exception&) {
      fail(ErrorKind::checkpoint, "{}: metadata {}{} = '{}' is not a number", path, prefix, key, m->second);
    }
  };
  n.epsilon = number("epsilon", 0.0);
  n.whiten_epsilon = number("whiten_epsilon", n.whiten_epsilon);
  n.pca_components = static_cast<Index>(number("pca_components", 0.0));
  return n;
}

}  // namespace gradnet
