// Bias broadcast and bias gradient of a fully connected layer (dense.h).
#include "dense.h"

#include <algorithm>
#include <type_traits>

#include "gradnet/error.h"

#ifdef __AVX__
#include <immintrin.h>
#endif

namespace gradnet::kernels {

template <typename T>
void bias_broadcast(const T* b, T* y, Index rows, Index d) {
  for (Index i = 0; i < rows; ++i) std::copy(b, b + d, y + i * d);
}

template <typename T>
void bias_grad(const T* dy, T* db, Index rows, Index d) {
  for (Index i = 0; i < rows; ++i) {
    const T* dyi = dy + i * d;
    for (Index j = 0; j < d; ++j) db[j] += dyi[j];
  }
}

namespace {

#ifdef __AVX__
// The 8x8 block at a (row stride lda) into b (row stride ldb), transposed in registers.
void transpose_8x8(const float* a, Index lda, float* b, Index ldb) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(a + i * lda);
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h)  // rows 0-3 and 4-7 of the input
    for (int i = 0; i < 2; ++i) {
      r[4 * h + 2 * i] = _mm256_shuffle_ps(t[4 * h + i], t[4 * h + i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[4 * h + 2 * i + 1] = _mm256_shuffle_ps(t[4 * h + i], t[4 * h + i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(b + i * ldb, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(b + (i + 4) * ldb, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

}  // namespace

template <typename T>
void transpose(const T* a, Index rows, Index cols, T* at) {
  Index rows8 = 0, cols8 = 0;
#ifdef __AVX__
  if constexpr (std::is_same_v<T, float>) {
    rows8 = rows / 8 * 8;
    cols8 = cols / 8 * 8;
    for (Index i = 0; i < rows8; i += 8)
      for (Index j = 0; j < cols8; j += 8) transpose_8x8(a + i * cols + j, cols, at + j * rows + i, rows);
  }
#endif
  for (Index i = 0; i < rows; ++i)  // what the blocks left: the last columns of their rows, the last rows
    for (Index j = i < rows8 ? cols8 : 0; j < cols; ++j) at[j * rows + i] = a[i * cols + j];
}

#ifdef __AVX512F__
namespace {

// R rows of y, D = 16·J outputs each: R·J accumulators, J loads of wt's row k a step.
template <int R, int J>
void dense_rows(const float* x, Index k, const float* wt, const float* b, float* y) {
  constexpr Index d = 16 * J;
  __m512 acc[R][J];
  for (int j = 0; j < J; ++j) {
    const __m512 start = b ? _mm512_loadu_ps(b + 16 * j) : _mm512_setzero_ps();
    for (int r = 0; r < R; ++r) acc[r][j] = start;
  }
  for (Index i = 0; i < k; ++i) {
    __m512 w[J];
    for (int j = 0; j < J; ++j) w[j] = _mm512_loadu_ps(wt + i * d + 16 * j);
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(x[r * k + i]);
      for (int j = 0; j < J; ++j) acc[r][j] = _mm512_fmadd_ps(a, w[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < J; ++j) _mm512_storeu_ps(y + r * d + 16 * j, acc[r][j]);
}

// The last rem < R rows, as one block of rem rows (one row at a time would be a single chain of
// dependent FMAs).
template <int R, int J>
void dense_rest(Index rem, const float* x, Index k, const float* wt, const float* b, float* y) {
  if constexpr (R > 1) {
    if (rem == R - 1) return dense_rows<R - 1, J>(x, k, wt, b, y);
    dense_rest<R - 1, J>(rem, x, k, wt, b, y);
  }
}

// 6 rows (8 of 16 outputs) at a time: 8 to 24 accumulators of the 32 registers, enough
// independent sums to keep both FMA pipes busy.
template <int J>
void dense_all_rows(const float* x, Index n, Index k, const float* wt, const float* b, float* y) {
  constexpr int kRows = J == 1 ? 8 : 6;
  constexpr Index d = 16 * J;
  Index r = 0;
  for (; r + kRows <= n; r += kRows) dense_rows<kRows, J>(x + r * k, k, wt, b, y + r * d);
  if (r < n) dense_rest<kRows, J>(n - r, x + r * k, k, wt, b, y + r * d);
}

}  // namespace

bool dense_forward_fits(Index d) { return d == 16 || d == 32 || d == 48 || d == 64; }

void dense_forward(const float* x, Index n, Index k, const float* wt, Index d, const float* b, float* y) {
  switch (d) {
    case 16: return dense_all_rows<1>(x, n, k, wt, b, y);
    case 32: return dense_all_rows<2>(x, n, k, wt, b, y);
    case 48: return dense_all_rows<3>(x, n, k, wt, b, y);
    case 64: return dense_all_rows<4>(x, n, k, wt, b, y);
    default: GRADNET_ASSERT(dense_forward_fits(d));
  }
}
#else
bool dense_forward_fits(Index) { return false; }
void dense_forward(const float*, Index, Index, const float*, Index, const float*, float*) {
  GRADNET_ASSERT(false && "dense_forward needs AVX-512 (dense_forward_fits)");
}
#endif

template void bias_broadcast<float>(const float*, float*, Index, Index);
template void bias_broadcast<double>(const double*, double*, Index, Index);
template void bias_grad<float>(const float*, float*, Index, Index);
template void bias_grad<double>(const double*, double*, Index, Index);
template void transpose<float>(const float*, Index, Index, float*);
template void transpose<double>(const double*, Index, Index, double*);

}  // namespace gradnet::kernels
