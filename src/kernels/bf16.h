// bfloat16 products for float layers that ask for them (conv2d algorithm = "bf16" in
// conv_onednn.cpp, linear precision = "bf16" here): inputs rounded to bf16 (to nearest, ties to
// even, as oneDNN's reorders), the products summed in float by the CPU's bf16 dot products
// (AVX512-BF16), results written in float. The weights themselves stay float (the optimizer's
// master copy); a layer rounds a copy of them for each forward pass.
#pragma once

#include <cstdint>

#include "gradnet/tensor.h"

namespace gradnet::kernels {

// A oneDNN build on a CPU with AVX512-BF16, and GRADNET_NO_BF16 unset in the environment (set it
// to see the error such a CPU gives).
bool bf16_available();

// out[i] = x[i] rounded to bf16 (the upper 16 bits of the float it rounds to), i < n.
void to_bf16(const float* x, Index n, std::uint16_t* out);

// C (m x n, row stride ldc) = op(A)·op(B) (beta 0) or C + op(A)·op(B) (beta 1), A and B bf16 as
// stored with row strides lda and ldb, op(X) = X or Xᵀ as in gemm.h. oneDNN's matmul; a product
// runs on the threads gemm_threads() gives its shape. Deterministic for a given thread count.
void gemm_bf16(bool trans_a, bool trans_b, Index m, Index n, Index k, const std::uint16_t* a, Index lda,
               const std::uint16_t* b, Index ldb, float beta, float* c, Index ldc);

}  // namespace gradnet::kernels
