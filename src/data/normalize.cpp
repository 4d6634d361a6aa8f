#include "gradnet/data/normalize.h"

#include <algorithm>
#include <cmath>

#include "gradnet/error.h"

namespace gradnet {

namespace {
// Below this spread a feature counts as constant on train (see the header: std = 1, not eps).
constexpr double kConstant = 1e-8;
}  // namespace

void Normalizer::fit(const Dataset& train) {
  GRADNET_CHECK(method == "none" || method == "scale01" || method == "standardize", config,
                "data.normalize = '{}': expected none, scale01 or standardize", method);
  mean.clear();
  std.clear();
  if (method == "none") return;
  const Index n = train.size(), features = train.features();
  const bool image = train.shape.size() == 3;
  if (method == "scale01" && image) {  // pixel data: the fixed 0..255 range, not the sample's
    mean.assign(features, 0.0f);
    std.assign(features, 255.0f);
    return;
  }
  GRADNET_CHECK(n > 0, data, "{}: cannot fit '{}' normalization on an empty training set", train.source, method);
  // Row-major passes with per-feature accumulators: sequential memory, vectorisable inner loop.
  const float* x = train.x.data();
  std::vector<double> a(features), b(features);
  if (method == "scale01") {
    std::copy(x, x + features, a.begin());  // min
    std::copy(x, x + features, b.begin());  // max
    for (Index i = 1; i < n; ++i)
      for (Index j = 0; j < features; ++j) {
        const double v = x[i * features + j];
        a[j] = std::min(a[j], v);
        b[j] = std::max(b[j], v);
      }
    for (Index j = 0; j < features; ++j) b[j] -= a[j];
  } else if (image) {
    // Images: one mean/std per channel over all its pixels (CS231n, torchvision's Normalize).
    // Per-pixel statistics would blow up rarely-lit pixels (std ~0.04 where one training image
    // has a faint stroke) and hurt test accuracy.
    const Index channels = train.shape[0], plane = features / channels;
    for (Index c = 0; c < channels; ++c) {
      double sum = 0, sq = 0;
      for (Index i = 0; i < n; ++i) {
        const float* p = x + i * features + c * plane;
        for (Index k = 0; k < plane; ++k) sum += p[k];
      }
      const double m = sum / static_cast<double>(n * plane);
      for (Index i = 0; i < n; ++i) {
        const float* p = x + i * features + c * plane;
        for (Index k = 0; k < plane; ++k) sq += (p[k] - m) * (p[k] - m);
      }
      const double sd = std::sqrt(sq / static_cast<double>(n * plane));
      std::fill(a.begin() + c * plane, a.begin() + (c + 1) * plane, m);
      std::fill(b.begin() + c * plane, b.begin() + (c + 1) * plane, sd);
    }
  } else {
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < features; ++j) a[j] += x[i * features + j];
    for (Index j = 0; j < features; ++j) a[j] /= static_cast<double>(n);
    // Two passes (mean, then squared deviations): no cancellation for pixel-sized values.
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < features; ++j) {
        const double dv = x[i * features + j] - a[j];
        b[j] += dv * dv;
      }
    for (Index j = 0; j < features; ++j) b[j] = std::sqrt(b[j] / static_cast<double>(n));
  }
  mean.resize(features);
  std.resize(features);
  for (Index j = 0; j < features; ++j) {
    mean[j] = static_cast<float>(a[j]);
    std[j] = b[j] < kConstant ? 1.0f : static_cast<float>(b[j]);
  }
}

void Normalizer::apply(Dataset& d) const { apply(d.x.data(), d.size(), d.features()); }

void Normalizer::apply(float* rows, Index n, Index features) const {
  if (mean.empty()) return;
  GRADNET_CHECK(static_cast<Index>(mean.size()) == features && std.size() == mean.size(), shape,
                "normalization ({}) was fitted on {} features, the data has {}", method, mean.size(), features);
  // A true division (not a multiply by 1/std): x/255 is then exactly what a user computes by
  // hand, and nothing is allocated, so a caller may apply this per batch.
  const float* m = mean.data();
  const float* s = std.data();
  for (Index i = 0; i < n; ++i) {
    float* r = rows + i * features;
    for (Index j = 0; j < features; ++j) r[j] = (r[j] - m[j]) / s[j];
  }
}

Normalizer fit_normalizer(const std::string& method, const Dataset& train) {
  Normalizer n;
  n.method = method;
  n.fit(train);
  return n;
}

}  // namespace gradnet
