// Bias broadcast and bias gradient of a fully connected layer (dense.h).
#include "dense.h"

#include <algorithm>
#include <type_traits>

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

template void bias_broadcast<float>(const float*, float*, Index, Index);
template void bias_broadcast<double>(const double*, double*, Index, Index);
template void bias_grad<float>(const float*, float*, Index, Index);
template void bias_grad<double>(const double*, double*, Index, Index);
template void transpose<float>(const float*, Index, Index, float*);
template void transpose<double>(const double*, Index, Index, double*);

}  // namespace gradnet::kernels
