// oneDNN convolution primitives behind conv_onednn.h.
#include "conv_onednn.h"

#include "bf16.h"

#include <omp.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <vector>

#include "gradnet/error.h"

#if GRADNET_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gradnet::kernels {

#if GRADNET_ONEDNN
using dnnl::memory;
using tag = memory::format_tag;

// Batches are cut into chunks of at most kChunk examples: the primitives and blocked buffers exist
// for a few sizes only (the batch, the last batch, an evaluation chunk's rest), and an evaluation
// pass of 1,000 examples does not keep blocked copies of 1,000 examples alive.
constexpr Index kChunk = 128;
constexpr std::size_t kKeptSizes = 4;

namespace {

// One batch size's primitives and the blocked buffers they work in. A blocked buffer equal to
// the plain layout is the user's memory itself (no reorder).
struct Prims {
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::convolution_backward_weights::primitive_desc bwd_w_pd;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_w;
  // Blocked buffers, made on first use and kept: x, W, y for forward; x, dy, dW for the weights'
  // gradient; dy, W, dx for the input's.
  enum Slot { fwd_src, fwd_wei, fwd_dst, bw_src, bw_ddst, bw_dwei, bd_ddst, bd_wei, bd_dsrc, slots };
  memory buf[slots];
  // The user memory whose blocked copy buf[fwd_src] holds: backward gets the x of the last forward
  // (layer.h), so the weights' gradient reuses that copy instead of reordering x again.
  const float* fwd_src_of = nullptr;
};

}  // namespace

struct OnednnConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  WindowGeometry g;
  Index out, groups;
  bool bias;
  ConvAlgorithm algorithm;
  // By batch size and the threads a primitive was made for: oneDNN fixes a primitive's thread
  // count when it is made, and some kernels (the weights' gradient) meet at barriers of that many
  // threads. Inside a parallel region of gradnet's own (evaluation passes, thread shards) each
  // thread asks for one (omp_set_num_threads(1)); a primitive made outside for two would wait there
  // for a second thread forever.
  std::map<std::pair<Index, int>, Prims> prims;
  Prims* last_blocked = nullptr;  // whose fwd_dst holds the last forward_blocked's y
  Index last_blocked_n = 0;
  std::vector<float> dw_scratch, db_scratch;

  memory::desc plain_src(Index n) const { return {{n, g.c, g.h, g.w}, memory::data_type::f32, tag::nchw}; }
  memory::desc plain_dst(Index n) const { return {{n, out, g.ho, g.wo}, memory::data_type::f32, tag::nchw}; }
  memory::desc blocked_dst(Index n) const { return {{n, out, g.ho, g.wo}, memory::data_type::f32, tag::nChw16c}; }
  memory::desc plain_weights() const {
    if (groups == 1) return {{out, g.c, g.k, g.k}, memory::data_type::f32, tag::oihw};
    return {{groups, out / groups, g.c / groups, g.k, g.k}, memory::data_type::f32, tag::goihw};
  }
  memory::desc any(const memory::desc& d, memory::data_type type = memory::data_type::f32) const {
    return {d.dims(), type, tag::any};
  }

  Prims& for_batch(Index n) {
    const std::pair<Index, int> key{n, omp_in_parallel() ? 1 : omp_get_max_threads()};
    auto it = prims.find(key);
    if (it != prims.end()) return it->second;
    if (prims.size() >= kKeptSizes) {
      prims.clear();
      last_blocked = nullptr;
    }
    if (algorithm == ConvAlgorithm::winograd ||
        (algorithm == ConvAlgorithm::automatic && OnednnConv::winograd_fits(g, out, groups))) {
      try {
        return prims.emplace(key, make(n, dnnl::algorithm::convolution_winograd)).first->second;
      } catch (const dnnl::error& e) {  // no Winograd for this CPU: automatic falls back to direct
        GRADNET_CHECK(algorithm != ConvAlgorithm::winograd, runtime,
                      "conv2d: algorithm = \"winograd\" is not available on this CPU (oneDNN: {}); use \"auto\"",
                      e.what());
        algorithm = ConvAlgorithm::direct;
      }
    }
    if (algorithm == ConvAlgorithm::bf16)
      return prims.emplace(key, make(n, dnnl::algorithm::convolution_direct, true)).first->second;
    return prims.emplace(key, make(n, dnnl::algorithm::convolution_direct)).first->second;
  }

  // bf16: direct convolution reading bf16 x, W and dy (the reorders into the blocked buffers round
  // the float inputs) and writing float y, dx, dW and db.
  Prims make(Index n, dnnl::algorithm algo, bool bf16 = false) const {
    const memory::data_type in = bf16 ? memory::data_type::bf16 : memory::data_type::f32;
    const memory::dims strides{g.stride, g.stride}, dilates{g.dilation - 1, g.dilation - 1}, pad{g.pad, g.pad};
    const memory::desc src = any(plain_src(n), in), wei = any(plain_weights(), in), dst = any(plain_dst(n));
    const memory::desc dsrc = any(plain_src(n)), ddst = any(plain_dst(n), in), dwei = any(plain_weights());
    const memory::desc b = bias ? memory::desc({out}, memory::data_type::f32, tag::x) : memory::desc();
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, algo, src, wei, b, dst, strides, dilates,
                                       pad, pad);
    dnnl::convolution_forward::primitive_desc fpd(fd, engine);
    dnnl::convolution_backward_data::desc bdd(algo, dsrc, wei, ddst, strides, dilates, pad, pad);
    dnnl::convolution_backward_data::primitive_desc bdpd(bdd, engine, fpd);
    dnnl::convolution_backward_weights::desc bwd(algo, src, dwei, b, ddst, strides, dilates, pad, pad);
    dnnl::convolution_backward_weights::primitive_desc bwpd(bwd, engine, fpd);
    if (g.c == 1 && algo == dnnl::algorithm::convolution_direct && !bf16) {
      // One input channel (a first layer): forward on the plain layouts (oneDNN's GEMM convolution)
      // skips the reorder of a 32-channel output and was faster (W3: 1.0-1.6 against 1.6-2.3 ms at
      // batch 128, one thread); its backward stays blocked (plain: 3.6-4.6 against 1.6-1.7 ms).
      dnnl::convolution_forward::desc plain_fd(dnnl::prop_kind::forward_training, algo, plain_src(n), wei, b,
                                               plain_dst(n), strides, dilates, pad, pad);
      fpd = dnnl::convolution_forward::primitive_desc(plain_fd, engine);
    }
    return Prims{fpd, bdpd, bwpd, dnnl::convolution_forward(fpd), dnnl::convolution_backward_data(bdpd),
                 dnnl::convolution_backward_weights(bwpd), {}};
  }

  memory& slot(memory& m, const memory::desc& d) {
    if (!m) m = memory(d, engine);
    return m;
  }
  // The user's plain memory as `want`: the same memory when the layouts agree, else a reordered
  // copy in the kept buffer.
  memory to(memory& kept, const memory::desc& want, const memory::desc& plain, const float* data) {
    memory user(plain, engine, const_cast<float*>(data));
    if (want == plain) return user;
    memory& m = slot(kept, want);
    dnnl::reorder(user, m).execute(stream, user, m);
    return m;
  }
  // A memory in layout `have` for a primitive to write, to be copied out to plain data by from().
  memory target(memory& kept, const memory::desc& have, const memory::desc& plain, float* data) {
    if (have == plain) return memory(plain, engine, data);
    return slot(kept, have);
  }
  void from(const memory& m, const memory::desc& plain, float* data) {
    if (m.get_desc() == plain) return;
    memory user(plain, engine, data);
    dnnl::reorder(m, user).execute(stream, const_cast<memory&>(m), user);
  }
  // The forward primitive for plain x into dst (p.fwd_pd's layout); x's blocked copy is kept.
  void run_forward(Prims& p, Index n, const float* x, const float* w, const float* b, memory& dst) {
    memory src = to(p.buf[Prims::fwd_src], p.fwd_pd.src_desc(), plain_src(n), x);
    p.fwd_src_of = x;
    memory wei = to(p.buf[Prims::fwd_wei], p.fwd_pd.weights_desc(), plain_weights(), w);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(p.fwd_pd.bias_desc(), engine, const_cast<float*>(b)));
    p.fwd.execute(stream, args);
  }
};

OnednnConv::OnednnConv(const WindowGeometry& g, Index out, Index groups, bool bias, ConvAlgorithm algorithm)
    : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  impl_->algorithm = algorithm;
  impl_->out = out;
  impl_->groups = groups;
  impl_->bias = bias;
  impl_->dw_scratch.resize(static_cast<std::size_t>(out * (g.c / groups) * g.k * g.k));
  impl_->db_scratch.resize(static_cast<std::size_t>(out));
}

OnednnConv::~OnednnConv() = default;

bool OnednnConv::available() { return true; }

bool OnednnConv::bf16_available() { return kernels::bf16_available(); }

void OnednnConv::forward(const float* x, const float* w, const float* b, float* y, Index n) {
  const Index x_size = impl_->g.c * impl_->g.h * impl_->g.w, y_size = impl_->out * impl_->g.ho * impl_->g.wo;
  for (Index first = 0; first < n; first += kChunk)
    forward_chunk(x + first * x_size, w, b, y + first * y_size, std::min(kChunk, n - first));
}

void OnednnConv::backward(const float* x, const float* dy, const float* w, float* dw, float* db, float* dx,
                          Index n) {
  const Index x_size = impl_->g.c * impl_->g.h * impl_->g.w, y_size = impl_->out * impl_->g.ho * impl_->g.wo;
  for (Index first = 0; first < n; first += kChunk)
    backward_chunk(x + first * x_size, dy + first * y_size, w, dw, db, dx ? dx + first * x_size : nullptr,
                   std::min(kChunk, n - first));
}

void OnednnConv::forward_chunk(const float* x, const float* w, const float* b, float* y, Index n) {
  Impl& s = *impl_;
  try {
    Prims& p = s.for_batch(n);
    memory dst = s.target(p.buf[Prims::fwd_dst], p.fwd_pd.dst_desc(), s.plain_dst(n), y);
    s.run_forward(p, n, x, w, b, dst);
    s.from(dst, s.plain_dst(n), y);
    s.stream.wait();
  } catch (const dnnl::error& e) {
    fail(ErrorKind::runtime, "oneDNN convolution forward (batch {}) failed: {}", n, e.what());
  }
}

void OnednnConv::backward_chunk(const float* x, const float* dy, const float* w, float* dw, float* db, float* dx,
                                Index n) {
  Impl& s = *impl_;
  try {
    Prims& p = s.for_batch(n);
    const bool kept = p.fwd_src_of == x && p.buf[Prims::fwd_src] && p.bwd_w_pd.src_desc() == p.fwd_pd.src_desc() &&
                      p.fwd_pd.src_desc() != s.plain_src(n);
    memory src = kept ? p.buf[Prims::fwd_src]
                      : s.to(p.buf[Prims::bw_src], p.bwd_w_pd.src_desc(), s.plain_src(n), x);
    // dy null: backward_blocked, dy already blocked in bw_ddst
    memory ddst = dy ? s.to(p.buf[Prims::bw_ddst], p.bwd_w_pd.diff_dst_desc(), s.plain_dst(n), dy)
                     : s.slot(p.buf[Prims::bw_ddst], p.bwd_w_pd.diff_dst_desc());
    memory dwei =
        s.target(p.buf[Prims::bw_dwei], p.bwd_w_pd.diff_weights_desc(), s.plain_weights(), s.dw_scratch.data());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, dwei}};
    if (s.bias) args.emplace(DNNL_ARG_DIFF_BIAS, memory(p.bwd_w_pd.diff_bias_desc(), s.engine, s.db_scratch.data()));
    p.bwd_w.execute(s.stream, args);
    s.from(dwei, s.plain_weights(), s.dw_scratch.data());
    if (dx) {
      GRADNET_ASSERT(dy || p.bwd_data_pd.diff_dst_desc() == p.bwd_w_pd.diff_dst_desc());
      memory ddst2 = p.bwd_data_pd.diff_dst_desc() == p.bwd_w_pd.diff_dst_desc()
                         ? ddst
                         : s.to(p.buf[Prims::bd_ddst], p.bwd_data_pd.diff_dst_desc(), s.plain_dst(n), dy);
      memory wei = s.to(p.buf[Prims::bd_wei], p.bwd_data_pd.weights_desc(), s.plain_weights(), w);
      memory dsrc = s.target(p.buf[Prims::bd_dsrc], p.bwd_data_pd.diff_src_desc(), s.plain_src(n), dx);
      p.bwd_data.execute(s.stream, {{DNNL_ARG_DIFF_DST, ddst2}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dsrc}});
      s.from(dsrc, s.plain_src(n), dx);
    }
    s.stream.wait();
  } catch (const dnnl::error& e) {
    fail(ErrorKind::runtime, "oneDNN convolution backward (batch {}) failed: {}", n, e.what());
  }
  // The parameters' gradients accumulate (layer.h's contract); oneDNN overwrites its outputs.
  for (std::size_t i = 0; i < s.dw_scratch.size(); ++i) dw[i] += s.dw_scratch[i];
  if (s.bias)
    for (std::size_t i = 0; i < s.db_scratch.size(); ++i) db[i] += s.db_scratch[i];
}

bool OnednnConv::blocked_fits(Index n) {
  Impl& s = *impl_;
  if (n < 1 || n > kChunk || s.out % 16 != 0) return false;
  try {
    Prims& p = s.for_batch(n);
    const memory::desc b = s.blocked_dst(n);
    return p.fwd_pd.dst_desc() == b && p.bwd_w_pd.diff_dst_desc() == b && p.bwd_data_pd.diff_dst_desc() == b;
  } catch (const dnnl::error& e) {
    fail(ErrorKind::runtime, "oneDNN convolution (batch {}) failed: {}", n, e.what());
  }
}

const float* OnednnConv::forward_blocked(const float* x, const float* w, const float* b, Index n) {
  Impl& s = *impl_;
  GRADNET_ASSERT(n >= 1 && n <= kChunk);
  try {
    Prims& p = s.for_batch(n);
    memory dst = s.slot(p.buf[Prims::fwd_dst], p.fwd_pd.dst_desc());
    s.run_forward(p, n, x, w, b, dst);
    s.stream.wait();
    s.last_blocked = &p;
    s.last_blocked_n = n;
    return static_cast<const float*>(dst.get_data_handle());
  } catch (const dnnl::error& e) {
    fail(ErrorKind::runtime, "oneDNN convolution forward (batch {}) failed: {}", n, e.what());
  }
}

void OnednnConv::blocked_output_to_plain(float* y) {
  Impl& s = *impl_;
  GRADNET_CHECK(s.last_blocked != nullptr, internal, "internal error: no blocked convolution output to read");
  try {
    s.from(s.last_blocked->buf[Prims::fwd_dst], s.plain_dst(s.last_blocked_n), y);
    s.stream.wait();
  } catch (const dnnl::error& e) {
    fail(ErrorKind::runtime, "oneDNN reorder of a convolution's output failed: {}", e.what());
  }
}

float* OnednnConv::blocked_dy(Index n) {
  Impl& s = *impl_;
  Prims& p = s.for_batch(n);
  return static_cast<float*>(s.slot(p.buf[Prims::bw_ddst], p.bwd_w_pd.diff_dst_desc()).get_data_handle());
}

void OnednnConv::backward_blocked(const float* x, const float* w, float* dw, float* db, float* dx, Index n) {
  GRADNET_ASSERT(n >= 1 && n <= kChunk);
  backward_chunk(x, nullptr, w, dw, db, dx, n);
}

#else  // built without oneDNN: conv2d never constructs one

struct OnednnConv::Impl {};
OnednnConv::OnednnConv(const WindowGeometry&, Index, Index, bool, ConvAlgorithm) {}
OnednnConv::~OnednnConv() = default;
bool OnednnConv::available() { return false; }

bool OnednnConv::bf16_available() { return false; }
void OnednnConv::forward_chunk(const float*, const float*, const float*, float*, Index) {}
void OnednnConv::backward_chunk(const float*, const float*, const float*, float*, float*, float*, Index) {}
void OnednnConv::forward(const float*, const float*, const float*, float*, Index) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}
void OnednnConv::backward(const float*, const float*, const float*, float*, float*, float*, Index) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}
bool OnednnConv::blocked_fits(Index) { return false; }
const float* OnednnConv::forward_blocked(const float*, const float*, const float*, Index) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}
void OnednnConv::blocked_output_to_plain(float*) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}
float* OnednnConv::blocked_dy(Index) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}
void OnednnConv::backward_blocked(const float*, const float*, float*, float*, float*, Index) {
  fail(ErrorKind::internal, "internal error: oneDNN convolution called in a build without oneDNN");
}

#endif

bool OnednnConv::winograd_fits(const WindowGeometry& g, Index out, Index groups) {
  return g.k == 3 && g.stride == 1 && g.dilation == 1 && groups == 1 && g.c % 16 == 0 && out % 16 == 0;
}

}  // namespace gradnet::kernels
