// bf16.h: the rounding (AVX512-BF16's vcvtne2ps2bf16, 32 floats an instruction) and the products
// (oneDNN's matmul on plain bf16 layouts, transposes through strides: brgemm kernels at about
// twice dnnl_sgemm's speed on W2's shapes, e.g. 64x512x784 137 against 272 µs on one thread).
#include "bf16.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <tuple>

#include "gemm.h"
#include "gradnet/error.h"

#if GRADNET_ONEDNN
#include <immintrin.h>

#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gradnet::kernels {

bool bf16_available() {
#if GRADNET_ONEDNN
  const char* off = std::getenv("GRADNET_NO_BF16");
  if (off != nullptr && *off != '\0' && std::string_view(off) != "0") return false;
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

namespace {

std::uint16_t round_one(float x) {  // to nearest, ties to even
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  return static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

#if GRADNET_ONEDNN
__attribute__((target("avx512f,avx512bf16"))) Index round_vectors(const float* x, Index n, std::uint16_t* out) {
  Index i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512bh r = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(reinterpret_cast<void*>(out + i), reinterpret_cast<__m512i>(r));
  }
  return i;
}
#endif

}  // namespace

void to_bf16(const float* x, Index n, std::uint16_t* out) {
  Index i = 0;
#if GRADNET_ONEDNN
  if (bf16_available()) i = round_vectors(x, n, out);
#endif
  for (; i < n; ++i) out[i] = round_one(x[i]);
}

#if GRADNET_ONEDNN
namespace {

using dnnl::memory;
using ProductKey = std::tuple<bool, bool, Index, Index, Index, Index, Index, Index, bool, int>;

struct Product {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul matmul;
};

struct Bf16Products {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // By transposes, shape, strides, beta and threads (oneDNN fixes a primitive's thread count).
  std::map<ProductKey, Product> matmuls;

  Product& matmul(const ProductKey& key) {
    auto it = matmuls.find(key);
    if (it != matmuls.end()) return it->second;
    if (matmuls.size() >= 64) matmuls.clear();  // a few shapes per net; never grow without bound
    const auto [trans_a, trans_b, m, n, k, lda, ldb, ldc, accumulate, threads] = key;
    const auto bf16 = memory::data_type::bf16;
    const memory::desc a({m, k}, bf16, trans_a ? memory::dims{1, lda} : memory::dims{lda, 1});
    const memory::desc b({k, n}, bf16, trans_b ? memory::dims{1, ldb} : memory::dims{ldb, 1});
    const memory::desc c({m, n}, memory::data_type::f32, memory::dims{ldc, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {  // C += op(A)·op(B)
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, engine);
    return matmuls.emplace(key, Product{pd, dnnl::matmul(pd)}).first->second;
  }
};

}  // namespace

void gemm_bf16(bool trans_a, bool trans_b, Index m, Index n, Index k, const std::uint16_t* a, Index lda,
               const std::uint16_t* b, Index ldb, float beta, float* c, Index ldc) {
  GRADNET_ASSERT(beta == 0.0f || beta == 1.0f);
  thread_local Bf16Products g;  // per thread: the shards' threads run products of their own
  const bool outer = !omp_in_parallel();
  const int before = outer ? omp_get_max_threads() : 1;
  const int want = outer ? std::min(gemm_threads(m, n, k), before) : 1;
  if (want != before) omp_set_num_threads(want);
  try {
    Product& p = g.matmul({trans_a, trans_b, m, n, k, lda, ldb, ldc, beta != 0.0f, want});
    memory am(p.pd.src_desc(), g.engine, const_cast<std::uint16_t*>(a));
    memory bm(p.pd.weights_desc(), g.engine, const_cast<std::uint16_t*>(b));
    memory cm(p.pd.dst_desc(), g.engine, c);
    p.matmul.execute(g.stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    g.stream.wait();
  } catch (const dnnl::error& e) {
    if (want != before) omp_set_num_threads(before);
    fail(ErrorKind::runtime, "oneDNN bf16 matmul {}x{}x{} failed: {}", m, n, k, e.what());
  }
  if (want != before) omp_set_num_threads(before);
}
#else
void gemm_bf16(bool, bool, Index, Index, Index, const std::uint16_t*, Index, const std::uint16_t*, Index, float, float*,
               Index) {
  fail(ErrorKind::internal, "internal error: bf16 products called in a build without oneDNN");
}
#endif

}  // namespace gradnet::kernels
