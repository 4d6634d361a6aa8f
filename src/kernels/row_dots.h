// Dot products of every row of A with every row of B, long rows, few of them: a first conv
// layer's weight gradient, dW (O, k·k) = Σ_n dy_n (O, P) · im2col(x_n)ᵀ (P, k·k), where a GEMM
// of 32 x 10 outputs over 784 terms runs far below the machine's rate.
//   row_dots_accumulate  lanes (m, nb, 16) += lane t % 16 of Σ_t a[i][t] · b[j][t]     ACCUMULATES
//   row_dots_finish      out (m·nb) += Σ of each entry's 16 lanes, in lane order      ACCUMULATES
// Partial sums stay in 16 lanes across calls (one call per example) and are added up once at the
// end; every sum runs in a fixed order: deterministic.
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

// a: (m, k)  b: (nb, k), rows k apart  lanes: (m, nb, 16)
void row_dots_accumulate(const float* a, Index m, const float* b, Index nb, Index k, float* lanes);
// lanes: (count, 16)  out: (count)
void row_dots_finish(const float* lanes, Index count, float* out);

}  // namespace gradnet::kernels
