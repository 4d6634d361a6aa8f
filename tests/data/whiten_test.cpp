// PCA, PCA-whitening and ZCA (normalize.h, src/data/whiten.cpp) on synthetic correlated data:
// whitened covariance = identity, ZCA's matrix symmetric, PCA keeps the top-k variance, the fit
// sees the training split only, saving and loading gives bit-identical outputs, and degenerate
// data (constant or duplicated features) stays finite.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "gradnet/config.h"
#include "gradnet/data/normalize.h"
#include "gradnet/error.h"
#include "gradnet/io/safetensors.h"
#include "gradnet/rng.h"
#include "gradnet/train/model_io.h"
#include "gradnet/train/prepare.h"
#include "test_support.h"

namespace gradnet {
namespace {

constexpr Index kD = 6;
const double kSigma[kD] = {5, 3, 2, 1, 0.5, 0.1};  // the independent components' stds

// n examples x = s · Qᵀ + offset: s_c ~ N(0, kSigma[c]) independent, Q a random rotation, offset
// 100 + j (shifted by `shift` for a differently distributed test set).
Dataset correlated(Index n, std::uint64_t seed, double shift = 0) {
  Rng rng(7);  // the same rotation for every call
  std::vector<double> q(kD * kD);
  for (double& v : q) v = rng.normal();
  for (Index c = 0; c < kD; ++c) {  // Gram-Schmidt on the rows
    for (Index p = 0; p < c; ++p) {
      double dot = 0;
      for (Index j = 0; j < kD; ++j) dot += q[c * kD + j] * q[p * kD + j];
      for (Index j = 0; j < kD; ++j) q[c * kD + j] -= dot * q[p * kD + j];
    }
    double norm = 0;
    for (Index j = 0; j < kD; ++j) norm += q[c * kD + j] * q[c * kD + j];
    for (Index j = 0; j < kD; ++j) q[c * kD + j] /= std::sqrt(norm);
  }
  Rng sample(seed);
  Dataset d;
  d.shape = {kD};
  d.x = Tensor<float>({n, kD});
  d.y.assign(static_cast<std::size_t>(n), 0);
  d.source = "synthetic";
  for (Index i = 0; i < n; ++i) {
    double s[kD];
    for (Index c = 0; c < kD; ++c) s[c] = sample.normal() * kSigma[c];
    for (Index j = 0; j < kD; ++j) {
      double v = 100 + j + shift;
      for (Index c = 0; c < kD; ++c) v += s[c] * q[c * kD + j];
      d.x[i * kD + j] = static_cast<float>(v);
    }
  }
  return d;
}

// Population covariance of d's features (double).
std::vector<double> covariance(const Dataset& d) {
  const Index n = d.size(), f = d.features();
  std::vector<double> mean(f, 0.0), c(f * f, 0.0);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < f; ++j) mean[j] += d.x[i * f + j];
  for (double& m : mean) m /= n;
  for (Index i = 0; i < n; ++i)
    for (Index a = 0; a < f; ++a)
      for (Index b = 0; b < f; ++b) c[a * f + b] += (d.x[i * f + a] - mean[a]) * (d.x[i * f + b] - mean[b]);
  for (double& v : c) v /= n;
  return c;
}

void expect_identity(const std::vector<double>& c, Index f, double tol) {
  for (Index a = 0; a < f; ++a)
    for (Index b = 0; b < f; ++b) EXPECT_NEAR(c[a * f + b], a == b ? 1.0 : 0.0, tol) << "entry " << a << ", " << b;
}

TEST(Whiten, PcaWhitenGivesIdentityCovariance) {
  Dataset d = correlated(4000, 1);
  const Normalizer n = fit_normalizer(NormalizeMethod::pca_whiten, d, 1e-9);
  EXPECT_EQ(n.output_features(), kD);
  n.apply(d);
  EXPECT_EQ(d.shape, (Shape{kD}));
  expect_identity(covariance(d), kD, 1e-3);
}

TEST(Whiten, ZcaIsSymmetricAndWhitens) {
  Dataset d = correlated(4000, 2);
  const Dataset raw = d;
  const Normalizer n = fit_normalizer(NormalizeMethod::zca, d, 1e-9);
  ASSERT_EQ(n.matrix.size(), static_cast<std::size_t>(kD * kD));
  for (Index i = 0; i < kD; ++i)
    for (Index j = 0; j < kD; ++j) EXPECT_EQ(n.matrix[i * kD + j], n.matrix[j * kD + i]);  // exactly
  n.apply(d);
  expect_identity(covariance(d), kD, 1e-3);
  // ZCA keeps the data in its original coordinates: of all whitening matrices it moves the data
  // least, so each output feature stays correlated with its own input feature.
  const std::vector<double> before = covariance(raw);
  for (Index j = 0; j < kD; ++j) {
    double cross = 0, m_raw = 0, m_out = 0;
    for (Index i = 0; i < d.size(); ++i) {
      m_raw += raw.x[i * kD + j];
      m_out += d.x[i * kD + j];
    }
    m_raw /= d.size();
    m_out /= d.size();
    for (Index i = 0; i < d.size(); ++i) cross += (raw.x[i * kD + j] - m_raw) * (d.x[i * kD + j] - m_out);
    EXPECT_GT(cross / d.size() / std::sqrt(before[j * kD + j]), 0.2) << "feature " << j;
  }
}

TEST(Whiten, PcaKeepsTheTopKVariance) {
  Dataset d = correlated(4000, 3);
  const std::vector<double> c = covariance(d);
  double total = 0;
  for (Index j = 0; j < kD; ++j) total += c[j * kD + j];
  const Normalizer n = fit_normalizer(NormalizeMethod::pca, d, 0.01, 3);
  ASSERT_EQ(n.eigenvalues.size(), static_cast<std::size_t>(kD));
  double sum = 0;
  for (Index k = 0; k < kD; ++k) {
    sum += n.eigenvalues[k];
    if (k > 0) EXPECT_GE(n.eigenvalues[k - 1], n.eigenvalues[k]);
    EXPECT_NEAR(n.eigenvalues[k], kSigma[k] * kSigma[k], 0.1 * kSigma[k] * kSigma[k]);  // sampling noise
  }
  EXPECT_NEAR(sum, total, 1e-4 * total);  // the eigenvalues split the total variance
  EXPECT_EQ(n.epsilon, 0.0);               // pca only rotates
  n.apply(d);
  EXPECT_EQ(d.shape, (Shape{3}));
  EXPECT_EQ(d.x.shape(), (Shape{4000, 3}));
  const std::vector<double> out = covariance(d);
  for (Index a = 0; a < 3; ++a)
    for (Index b = 0; b < 3; ++b)
      EXPECT_NEAR(out[a * 3 + b], a == b ? n.eigenvalues[a] : 0.0, 1e-4 * n.eigenvalues[0]) << a << ", " << b;
}

TEST(Whiten, FullPcaIsARotation) {
  Dataset d = correlated(500, 4);
  const Normalizer n = fit_normalizer(NormalizeMethod::pca, d);
  std::vector<double> norms(500, 0.0);
  for (Index i = 0; i < 500; ++i)
    for (Index j = 0; j < kD; ++j) norms[i] += std::pow(d.x[i * kD + j] - n.mean[j], 2);
  n.apply(d);
  for (Index i = 0; i < 500; ++i) {
    double out = 0;
    for (Index j = 0; j < kD; ++j) out += std::pow(d.x[i * kD + j], 2);
    EXPECT_NEAR(out, norms[i], 1e-4 * norms[i] + 1e-4);
  }
  // Deterministic signs: each component's largest-magnitude coefficient is positive.
  for (Index c = 0; c < kD; ++c) {
    Index big = 0;
    for (Index j = 1; j < kD; ++j)
      if (std::fabs(n.matrix[j * kD + c]) > std::fabs(n.matrix[big * kD + c])) big = j;
    EXPECT_GT(n.matrix[big * kD + c], 0.0f) << "component " << c;
  }
}

TEST(Whiten, FitUsesTheTrainingSplitOnly) {
  Dataset train = correlated(3000, 5);
  Dataset test = correlated(200, 6, 50.0);  // another mean
  const Dataset raw_test = test;
  const Normalizer n = fit_normalizer(NormalizeMethod::pca_whiten, train, 1e-5, 4);
  for (Index j = 0; j < kD; ++j) {
    double m = 0;
    for (Index i = 0; i < train.size(); ++i) m += train.x[i * kD + j];
    EXPECT_NEAR(n.mean[j], m / train.size(), 1e-3);
  }
  n.apply(test);
  ASSERT_EQ(test.features(), 4);
  for (Index i : {0, 199})
    for (Index c = 0; c < 4; ++c) {
      double want = 0;
      for (Index j = 0; j < kD; ++j)
        want += (static_cast<double>(raw_test.x[i * kD + j]) - n.mean[j]) * n.matrix[j * 4 + c];
      EXPECT_NEAR(test.x[i * 4 + c], want, 1e-3 * (1 + std::fabs(want)));
    }
  // Shifted by 50 in every feature: far from the train mean, so not centred on its own statistics.
  double first = 0;
  for (Index i = 0; i < test.size(); ++i) first += test.x[i * 4];
  EXPECT_GT(std::fabs(first / test.size()), 1.0);
}

std::vector<float> applied(const Normalizer& n, Dataset d) {
  n.apply(d);
  return d.x.to_vector();
}

TEST(Whiten, SaveLoadRoundTripIsBitIdentical) {
  const Dataset train = correlated(1000, 8);
  const Dataset test = correlated(100, 9, 3.0);
  testing::TempDir dir;
  for (NormalizeMethod method : {NormalizeMethod::pca, NormalizeMethod::pca_whiten, NormalizeMethod::zca,
                                 NormalizeMethod::standardize}) {
    const Normalizer n = fit_normalizer(method, train, 0.05, method == NormalizeMethod::pca_whiten ? 2 : 0);
    // The run directory's normalization.safetensors ...
    save_normalizer(dir / "n.safetensors", n);
    const Normalizer loaded = load_normalizer(dir / "n.safetensors");
    EXPECT_EQ(loaded.method, n.method);
    EXPECT_EQ(loaded.epsilon, n.epsilon);  // exactly: printed as the shortest round trip
    if (n.rotation()) {
      EXPECT_EQ(loaded.whiten_epsilon, n.whiten_epsilon);
      EXPECT_EQ(loaded.pca_components, n.pca_components);
    }
    EXPECT_EQ(loaded.eigenvalues, n.eigenvalues);
    EXPECT_EQ(applied(loaded, test), applied(n, test)) << method;
    // ... and a checkpoint's "normalization.*" entries.
    SafetensorsFile file;
    write_normalizer(file, n, "normalization.", "normalization");
    write_safetensors(dir / "c.safetensors", file);
    const Normalizer from_checkpoint =
        read_normalizer(read_safetensors(dir / "c.safetensors"), "normalization.", "normalization", "c");
    EXPECT_EQ(applied(from_checkpoint, test), applied(n, test)) << method;
  }
}

TEST(Whiten, FitIsDeterministic) {
  const Dataset d = correlated(800, 10);
  const Normalizer a = fit_normalizer(NormalizeMethod::zca, d), b = fit_normalizer(NormalizeMethod::zca, d);
  ASSERT_EQ(a.matrix.size(), b.matrix.size());
  EXPECT_EQ(std::memcmp(a.matrix.data(), b.matrix.data(), a.matrix.size() * sizeof(float)), 0);
}

TEST(Whiten, ConstantAndDuplicatedFeaturesStayFinite) {
  // f1 = f0 (rank-deficient), f2 constant: two zero eigenvalues, which ε keeps finite.
  Rng rng(3);
  Dataset d;
  d.shape = {4};
  d.x = Tensor<float>({50, 4});
  d.y.assign(50, 0);
  d.source = "degenerate";
  for (Index i = 0; i < 50; ++i) {
    d.x[i * 4] = d.x[i * 4 + 1] = static_cast<float>(rng.normal());
    d.x[i * 4 + 2] = 7;
    d.x[i * 4 + 3] = static_cast<float>(rng.normal(3, 2));
  }
  for (NormalizeMethod method : {NormalizeMethod::pca_whiten, NormalizeMethod::zca, NormalizeMethod::pca}) {
    Dataset copy = d;
    const Normalizer n = fit_normalizer(method, copy);
    EXPECT_GE(n.eigenvalues.back(), 0.0f);  // rounding below 0 is clamped
    n.apply(copy);
    for (float v : copy.x.to_vector()) ASSERT_TRUE(std::isfinite(v)) << method;
  }
  // Every feature constant (and a single example): the covariance is 0, ε alone keeps 1/sqrt finite.
  for (Index n_rows : {1, 5}) {
    Dataset flat;
    flat.shape = {3};
    flat.x = Tensor<float>({n_rows, 3}, 2.5f);
    flat.y.assign(static_cast<std::size_t>(n_rows), 0);
    const Normalizer n = fit_normalizer(NormalizeMethod::zca, flat);
    EXPECT_GT(n.epsilon, 0.0);
    n.apply(flat);
    for (float v : flat.x.to_vector()) EXPECT_EQ(v, 0.0f);
  }
}

TEST(Whiten, Errors) {
  Dataset d = correlated(20, 11);
  d.x[5 * kD + 2] = std::nanf("");
  try {
    fit_normalizer(NormalizeMethod::zca, d);
    FAIL() << "no error for a NaN";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    EXPECT_NE(std::string(e.what()).find("example 5, feature 2"), std::string::npos) << e.what();
  }
  Dataset ok = correlated(20, 12);
  try {
    fit_normalizer(NormalizeMethod::pca, ok, 0.01, 7);
    FAIL() << "no error for 7 components of 6 features";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("data.pca_components = 7"), std::string::npos) << e.what();
  }
  const Normalizer n = fit_normalizer(NormalizeMethod::zca, ok);
  Dataset narrow;
  narrow.shape = {5};
  narrow.x = Tensor<float>({1, 5});
  narrow.y = {0};
  narrow.source = "narrow.csv";
  try {
    n.apply(narrow);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("narrow.csv: 5 features per example"), std::string::npos) << e.what();
  }
  EXPECT_EQ(normalized_shape(NormalizeMethod::pca, 3, {3, 32, 32}), (Shape{3}));
  EXPECT_EQ(normalized_shape(NormalizeMethod::zca, 0, {3, 32, 32}), (Shape{3, 32, 32}));
  EXPECT_EQ(normalized_shape(NormalizeMethod::pca_whiten, 0, {784}), (Shape{784}));
}

// prepare_data end to end: a CSV of 5 correlated features reduced to 2 by pca_whiten.
std::string csv_config(const std::string& path, const std::string& input, const std::string& extra) {
  return "name = \"pca\"\n[data]\ndataset = \"csv\"\npath = \"" + path +
         "\"\ntest_fraction = 0.25\nvalidation = 10\nnormalize = \"pca_whiten\"\n" + extra +
         "[model]\ninput = " + input + "\nlayers = [{ type = \"linear\", out = 3 }]\n";
}

TEST(Whiten, PrepareDataReducesToPcaComponents) {
  testing::TempDir dir;
  Rng rng(4);
  std::string csv;
  for (int i = 0; i < 80; ++i) {
    const double a = rng.normal(), b = rng.normal();
    csv += fmt::format("{},{},{},{},{},{}\n", a, 2 * a + 0.1 * b, b, a - b, 3 + 0.01 * rng.normal(), i % 3);
  }
  testing::write_file(dir / "d.csv", csv);
  const Config c =
      parse_config(csv_config(dir / "d.csv", "[2]", "pca_components = 2\nwhiten_epsilon = 1e-6\n"), "c.toml");
  const PreparedData p = prepare_data(c, dir.path().string());
  EXPECT_EQ(p.splits.train.shape, (Shape{2}));
  EXPECT_EQ(p.splits.val.shape, (Shape{2}));
  EXPECT_EQ(p.splits.test.shape, (Shape{2}));
  EXPECT_EQ(p.splits.test.x.shape(), (Shape{20, 2}));
  EXPECT_EQ(p.normalizer.input_features(), 5);
  EXPECT_EQ(p.normalizer.output_features(), 2);
  expect_identity(covariance(p.splits.train), 2, 1e-3);

  // model.input must be [k]: a config error that names it, before any data is read.
  try {
    parse_config(csv_config(dir / "d.csv", "[5]", "pca_components = 2\n"), "c.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("model.input = [5], but data.pca_components = 2 reduces each example to [2]"),
              std::string::npos)
        << e.what();
  }
  try {
    parse_config(csv_config(dir / "d.csv", "[2]", "pca_components = 2\nwhiten_epsilon = 0\n"), "c.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.whiten_epsilon"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradnet
