// PCA, PCA-whitening and ZCA (CS231n "Data preprocessing"), fitted in double precision:
//   1. mean per feature (double accumulation);
//   2. C = Xcᵀ Xc / N with Xc = X - mean, accumulated by dsyrk over blocks of rows converted to
//      double (no double copy of the whole set: 45000 x 3072 would be 1.1 GB);
//   3. C = U diag(λ) Uᵀ by LAPACK's dsyevd (divide and conquer; OpenBLAS ships LAPACK);
//   4. eigenvalues sorted descending (negative rounding noise clamped to 0), each eigenvector's
//      largest-magnitude component made positive, so the same data gives the same matrix;
//   5. the (features x outputs) matrix, rounded to float once.
// apply() is one sgemm per block of rows. Measured numbers for CIFAR-10 are in docs/data.md.
#include "whiten.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../kernels/gemm.h"
#include "gradnet/error.h"

// cblas.h stays in src/kernels/gemm.cpp; these two come from libopenblas (LAPACK built in).
extern "C" {
void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, const double* a, int lda, double beta,
                 double* c, int ldc);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, std::size_t jobz_len, std::size_t uplo_len);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace gradnet::data_detail {

namespace {

constexpr int kRowMajor = 101, kUpper = 121, kTrans = 112;  // CBLAS_ORDER / CBLAS_UPLO / CBLAS_TRANSPOSE values
constexpr Index kFitBlock = 512;    // rows per dsyrk call (512 x 3072 doubles = 12.6 MB)
constexpr Index kApplyBlock = 256;  // rows per sgemm call in apply

// Per-feature mean; Error{data} naming the example and feature of the first non-finite value.
// E: float rows, or byte rows (dataset.h) read as the doubles their floats are.
template <typename E>
std::vector<double> feature_means(const Dataset& train, const E* x, NormalizeMethod method) {
  const Index n = train.size(), d = train.features();
  std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < d; ++j) sum[j] += static_cast<double>(x[i * d + j]);
  for (Index j = 0; j < d; ++j) {
    if (std::isfinite(sum[j])) continue;
    for (Index i = 0; i < n; ++i)
      GRADNET_CHECK(std::isfinite(static_cast<double>(x[i * d + j])), data, "{}: example {}, feature {}: value {} is not finite; "
                    "data.normalize = '{}' needs finite data", train.source, i, j, static_cast<double>(x[i * d + j]),
                    name_of(method));
    fail(ErrorKind::data, "{}: feature {} sums to a non-finite value: values too large for data.normalize = '{}'",
         train.source, j, name_of(method));
  }
  for (double& s : sum) s /= static_cast<double>(n);
  return sum;
}

// The population covariance (d x d, both triangles filled), in double.
template <typename E>
std::vector<double> covariance(const Dataset& train, const E* data, const std::vector<double>& mean) {
  const Index n = train.size(), d = train.features();
  std::vector<double> c(static_cast<std::size_t>(d * d), 0.0);
  std::vector<double> block(static_cast<std::size_t>(std::min(n, kFitBlock) * d));
  for (Index b0 = 0; b0 < n; b0 += kFitBlock) {
    const Index rows = std::min(kFitBlock, n - b0);
    const E* x = data + b0 * d;
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < d; ++j) block[i * d + j] = static_cast<double>(x[i * d + j]) - mean[j];
    // Row-major upper triangle of C += blockᵀ · block.
    cblas_dsyrk(kRowMajor, kUpper, kTrans, static_cast<int>(d), static_cast<int>(rows), 1.0, block.data(),
                static_cast<int>(d), 1.0, c.data(), static_cast<int>(d));
  }
  const double inv = 1.0 / static_cast<double>(n);
  for (Index i = 0; i < d; ++i)
    for (Index j = i; j < d; ++j) c[j * d + i] = c[i * d + j] = c[i * d + j] * inv;
  return c;
}

// Eigen-decomposes the symmetric a (d x d) in place: returns the eigenvalues ascending; a's
// rows (row-major memory = LAPACK's columns) become the matching unit eigenvectors.
// On one BLAS thread: dsyevd makes thousands of small BLAS calls (dsytrd's level-2 steps), and on
// a busy machine an OpenMP team per call costs more than it gains (CIFAR-10: 9 s of CPU on one
// thread, over 100 s on two next to other jobs).
std::vector<double> eigen_symmetric(std::vector<double>& a, Index d, const std::string& source) {
  struct OneThread {
    int before = openblas_get_num_threads();
    OneThread() { openblas_set_num_threads(1); }
    ~OneThread() { openblas_set_num_threads(before); }
  } one_thread;
  const int n = static_cast<int>(d);
  std::vector<double> w(static_cast<std::size_t>(d));
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0;
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), &work_size, &lwork, &iwork_size, &liwork, &info, 1, 1);
  GRADNET_CHECK(info == 0, internal, "dsyevd workspace query failed (info = {})", info);
  lwork = static_cast<int>(work_size) + 1;
  liwork = iwork_size;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  GRADNET_CHECK(info == 0, data, "{}: the covariance eigendecomposition did not converge (LAPACK dsyevd info = {})",
                source, info);
  return w;
}

}  // namespace

void fit_rotation(Normalizer& nz, const Dataset& train) {
  const Index n = train.size(), d = train.features();
  GRADNET_CHECK(n > 0, data, "{}: cannot fit '{}' normalization on an empty training set", train.source,
                name_of(nz.method));
  GRADNET_CHECK(d <= 46340, data, "{}: {} features per example: too many for a {} x {} covariance matrix",
                train.source, d, d, d);
  const bool zca = nz.method == NormalizeMethod::zca;
  const bool whiten = nz.method != NormalizeMethod::pca;
  const Index k = zca || nz.pca_components == 0 ? d : nz.pca_components;
  GRADNET_CHECK(k <= d, config, "data.pca_components = {}: {} has only {} features per example", k, train.source, d);

  const std::vector<double> mean = train.byte_rows ? feature_means(train, train.bytes.data(), nz.method)
                                                   : feature_means(train, train.x.data(), nz.method);
  std::vector<double> vectors = train.byte_rows ? covariance(train, train.bytes.data(), mean)
                                                : covariance(train, train.x.data(), mean);
  const std::vector<double> ascending = eigen_symmetric(vectors, d, train.source);

  // Row c of e: the eigenvector of the c-th largest eigenvalue, sign fixed.
  std::vector<double> e(static_cast<std::size_t>(d * d));
  std::vector<double> lambda(static_cast<std::size_t>(d));
  double trace = 0;
  for (Index c = 0; c < d; ++c) {
    const Index src = d - 1 - c;
    lambda[c] = std::max(ascending[src], 0.0);
    trace += lambda[c];
    const double* v = vectors.data() + src * d;
    Index big = 0;
    for (Index j = 1; j < d; ++j)
      if (std::fabs(v[j]) > std::fabs(v[big])) big = j;
    const double sign = v[big] < 0 ? -1.0 : 1.0;
    for (Index j = 0; j < d; ++j) e[c * d + j] = sign * v[j];
  }
  std::vector<double>().swap(vectors);
  const double mean_eigenvalue = trace / static_cast<double>(d);
  const double eps = !whiten ? 0.0 : mean_eigenvalue > 0 && std::isfinite(mean_eigenvalue)
                                         ? nz.whiten_epsilon * mean_eigenvalue
                                         : nz.whiten_epsilon;
  std::vector<double> scale(static_cast<std::size_t>(d), 1.0);
  if (whiten)
    for (Index c = 0; c < d; ++c) scale[c] = 1.0 / std::sqrt(lambda[c] + eps);

  nz.matrix.assign(static_cast<std::size_t>(d * k), 0.0f);
  if (zca) {
    // M = Eᵀ diag(s) E, then made exactly symmetric (the product's rounding is not).
    std::vector<double> scaled(e);
    for (Index c = 0; c < d; ++c)
      for (Index j = 0; j < d; ++j) scaled[c * d + j] *= scale[c];
    std::vector<double> m(static_cast<std::size_t>(d * d));
    kernels::gemm<double>(true, false, d, d, d, 1.0, e.data(), d, scaled.data(), d, 0.0, m.data(), d);
    for (Index i = 0; i < d; ++i)
      for (Index j = i; j < d; ++j) {
        const float v = static_cast<float>(0.5 * (m[i * d + j] + m[j * d + i]));
        nz.matrix[i * d + j] = nz.matrix[j * d + i] = v;
      }
  } else {
    for (Index j = 0; j < d; ++j)
      for (Index c = 0; c < k; ++c) nz.matrix[j * k + c] = static_cast<float>(e[c * d + j] * scale[c]);
  }
  nz.mean.assign(mean.begin(), mean.end());
  nz.std.clear();
  nz.eigenvalues.assign(lambda.begin(), lambda.end());
  nz.epsilon = eps;
}

void apply_rotation(const Normalizer& nz, const float* in, float* out, Index rows) {
  const Index d = nz.input_features(), k = nz.output_features();
  GRADNET_ASSERT(static_cast<Index>(nz.matrix.size()) == d * k);
  std::vector<float> block(static_cast<std::size_t>(std::min(rows, kApplyBlock) * d));
  const float* mean = nz.mean.data();
  for (Index b0 = 0; b0 < rows; b0 += kApplyBlock) {
    const Index r = std::min(kApplyBlock, rows - b0);
    const float* x = in + b0 * d;
    for (Index i = 0; i < r; ++i)
      for (Index j = 0; j < d; ++j) block[i * d + j] = x[i * d + j] - mean[j];
    kernels::gemm<float>(false, false, r, k, d, 1.0f, block.data(), d, nz.matrix.data(), k, 0.0f, out + b0 * k, k);
  }
}

}  // namespace gradnet::data_detail
