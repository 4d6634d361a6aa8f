// LinearLayer: forward values by hand, the backward write rule (+= into grads, = into dx),
// gradient checks over shapes, bias options, and config errors.
#include "gradnet/layers/linear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "../../src/kernels/bf16.h"
#include "gradnet/error.h"
#include "gradnet/gradcheck.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::cview;
using testing::layer_spec;
using testing::mview;

// W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1]
template <typename T>
std::unique_ptr<Layer<T>> small_linear(bool bias = true) {
  auto layer = make_layer<T>(layer_spec("linear", {{"out", std::int64_t{2}}, {"bias", bias}}));
  EXPECT_EQ(layer->setup({3}, 4), (Shape{2}));
  auto params = layer->params();
  for (int i = 0; i < 6; ++i) params[0].value[i] = T(i + 1);
  if (bias) {
    params[1].value[0] = T(0.5);
    params[1].value[1] = T(-1);
  }
  return layer;
}

TEST(Linear, ForwardMatchesHandComputedValues) {
  auto layer = small_linear<double>();
  std::vector<double> x = {1, 0, -1, 2, 1, 0}, y(4);
  layer->forward(cview(x, 2), mview(y, 2), {});
  // row 0: [1-3+0.5, 4-6-1]; row 1: [2+2+0.5, 8+5-1]
  EXPECT_EQ(y, (std::vector<double>{-1.5, -3.0, 4.5, 12.0}));

  auto nobias = small_linear<float>(false);
  std::vector<float> xf = {1, 0, -1, 2, 1, 0}, yf(4);
  nobias->forward(cview(xf, 2), mview(yf, 2), {});
  EXPECT_EQ(yf, (std::vector<float>{-2.0f, -2.0f, 4.0f, 13.0f}));
}

TEST(Linear, BackwardAccumulatesIntoGradsAndOverwritesDx) {
  auto layer = small_linear<double>();
  std::vector<double> x = {1, 0, -1, 2, 1, 0}, y(4), dy = {1, -2, 0.5, 3};
  layer->forward(cview(x, 2), mview(y, 2), {});
  std::vector<double> dx(6, std::numeric_limits<double>::quiet_NaN());
  View<double> dxv = mview(dx, 2);
  layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);
  layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), &dxv);  // second call: grads double, dx not
  // dW = dyᵀ·x = [[1*1 + 0.5*2, 0 + 0.5, -1 + 0], [-2 + 6, 3, 2]]; twice
  auto p = layer->params();
  EXPECT_EQ(p[0].grad.to_vector(), (std::vector<double>{4, 1, -2, 8, 6, 4}));
  EXPECT_EQ(p[1].grad.to_vector(), (std::vector<double>{3, 2}));  // 2 * [1 + 0.5, -2 + 3]
  // dx = dy·W: [1*[1,2,3] - 2*[4,5,6], 0.5*[1,2,3] + 3*[4,5,6]]
  EXPECT_EQ(dx, (std::vector<double>{-7, -8, -9, 12.5, 16, 19.5}));
}

TEST(Linear, NullDxStillFillsParamGrads) {
  auto layer = small_linear<float>();
  std::vector<float> x = {1, 0, -1, 2, 1, 0}, y(4), dy = {1, -2, 0.5, 3};
  layer->forward(cview(x, 2), mview(y, 2), {});
  layer->backward(cview(x, 2), cview(y, 2), cview(dy, 2), nullptr);
  EXPECT_EQ(layer->params()[0].grad.to_vector(), (std::vector<float>{2, 0.5f, -1, 4, 3, 2}));
}

TEST(Linear, FloatAgreesWithDouble) {
  auto f = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{33}}}));
  auto d = make_layer<double>(layer_spec("linear", {{"out", std::int64_t{33}}}));
  f->setup({65}, 17);
  d->setup({65}, 17);
  Rng rf(3), rd(3);
  f->init(rf);
  d->init(rd);
  Rng data(9);
  std::vector<float> xf(17 * 65), yf(17 * 33);
  std::vector<double> xd(xf.size()), yd(yf.size());
  for (std::size_t i = 0; i < xf.size(); ++i) xd[i] = xf[i] = static_cast<float>(data.uniform(-1, 1));
  f->forward(cview(xf, 17), mview(yf, 17), {});
  d->forward(cview(xd, 17), mview(yd, 17), {});
  for (std::size_t i = 0; i < yf.size(); ++i) EXPECT_NEAR(yf[i], yd[i], 1e-5) << i;
}

struct LinearCase {
  Shape in;
  std::int64_t out;
  Index batch;
  bool bias;
};

TEST(Linear, GradcheckOverShapes) {
  const std::vector<LinearCase> cases = {
      {{5}, 3, 4, true}, {{2, 3, 2}, 7, 1, true}, {{1}, 1, 3, true}, {{6}, 4, 5, false}, {{16}, 10, 8, true}};
  for (const LinearCase& c : cases) {
    auto layer = make_layer<double>(layer_spec(
        "linear", {{"out", c.out}, {"bias", c.bias}, {"bias_init", std::string("fan_in_uniform")}}));
    const GradcheckReport r = gradcheck_layer(*layer, c.in, c.batch, GradcheckOptions{});
    ASSERT_EQ(r.tensors.size(), c.bias ? 3u : 2u);
    for (const TensorCheck& t : r.tensors) {
      EXPECT_GT(t.checked, 0) << t.name;
      EXPECT_EQ(t.skipped_kinks, 0) << t.name;
    }
    EXPECT_EQ(r.tensors[1].checked, c.out * numel(c.in));
    EXPECT_LT(r.max_rel_error(), 1e-7) << shape_str(c.in) << " -> " << c.out;
  }
}

TEST(Linear, BiasInitOptions) {
  auto uni = make_layer<double>(layer_spec("linear", {{"out", std::int64_t{64}}, {"bias_init", std::string("fan_in_uniform")}}));
  uni->setup({25}, 1);
  Rng rng(5);
  uni->init(rng);
  const Tensor<double>& b = uni->params()[1].value;
  double lo = 1, hi = -1;
  for (double v : b.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -0.2);  // 1/sqrt(25)
  EXPECT_LE(hi, 0.2);
  EXPECT_LT(lo, -0.1);  // and spread over the interval, not zeros
  EXPECT_GT(hi, 0.1);

  auto cst = make_layer<float>(
      layer_spec("linear", {{"out", std::int64_t{3}}, {"bias_init", std::string("constant")}, {"bias_value", 0.25}}));
  cst->setup({2}, 1);
  cst->init(rng);
  EXPECT_EQ(cst->params()[1].value.to_vector(), (std::vector<float>{0.25f, 0.25f, 0.25f}));

  auto zeros = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{3}}}));
  zeros->setup({2}, 1);
  zeros->init(rng);
  EXPECT_EQ(zeros->params()[1].value.to_vector(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(zeros->params()[0].name, "weight");
  EXPECT_EQ(zeros->params()[1].name, "bias");
  EXPECT_EQ(zeros->params()[0].value.shape(), (Shape{3, 2}));  // (out, in) as PyTorch
}

TEST(Linear, ConfigErrors) {
  try {
    make_layer<float>(layer_spec("linear", {{"out", std::int64_t{0}}}, 2));
    FAIL() << "out = 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_STREQ(e.what(), "layers.2 (linear): out = 0: expected an integer >= 1");
  }
  try {
    make_layer<float>(layer_spec("linear", {}, 1));
    FAIL() << "missing out accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("layers.1 (linear): missing required key 'out'"), std::string::npos)
        << e.what();
  }
}

// The float nearest v in bfloat16 (to nearest, ties to even).
float rounded_bf16(float v) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// precision = "bf16": y, dW and dx are the definition's (written out in double) on x, W and dy
// rounded to bfloat16, to float accuracy relative to Σ|terms|; db sums dy unrounded; and y is not
// the definition's on the unrounded x and W. dW accumulates, dx is overwritten, as in float.
TEST(Linear, Bf16IsTheDefinitionOnRoundedInputs) {
  if (!kernels::bf16_available()) {  // a CPU without AVX512-BF16: the layer refuses bf16
    auto layer = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{4}}, {"precision", std::string("bf16")}}));
    EXPECT_THROW(layer->setup({8}, 2), Error);
    return;
  }
  const Index n = 37, in = 75, out = 21;  // no multiple of 16 or 32: the rounding's tails too
  auto layer = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{out}}, {"precision", std::string("bf16")}}));
  layer->setup({in}, n);
  Rng rng(4);
  std::vector<float> x(n * in), dy(n * out), y(n * out), dx(n * in, 7.0f);
  for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
  for (float& v : dy) v = static_cast<float>(rng.uniform(-1, 1));
  Tensor<float>& w = layer->params()[0].value;
  Tensor<float>& b = layer->params()[1].value;
  for (Index i = 0; i < w.size(); ++i) w[i] = static_cast<float>(rng.uniform(-1, 1));
  for (Index i = 0; i < b.size(); ++i) b[i] = static_cast<float>(rng.uniform(-1, 1));
  for (int p = 0; p < 2; ++p) layer->params()[p].grad.fill(0.5f);
  layer->forward(cview(x, n), mview(y, n), {});
  View<float> dxv = mview(dx, n);
  layer->backward(cview(x, n), cview(y, n), cview(dy, n), &dxv);
  const auto r = [](float v) { return static_cast<double>(rounded_bf16(v)); };
  int off = 0;
  for (Index i = 0; i < n; ++i)
    for (Index o = 0; o < out; ++o) {
      double want = b[o], size = std::abs(b[o]), exact = b[o];
      for (Index j = 0; j < in; ++j) {
        want += r(x[i * in + j]) * r(w[o * in + j]);
        size += std::abs(r(x[i * in + j]) * r(w[o * in + j]));
        exact += static_cast<double>(x[i * in + j]) * w[o * in + j];
      }
      ASSERT_NEAR(y[i * out + o], want, 1e-6 + 2e-6 * size) << "y[" << i << ", " << o << "]";
      off += std::abs(y[i * out + o] - exact) > 1e-6 + 2e-6 * size;
    }
  EXPECT_GT(off, n * out / 2) << "y is the float product's: bf16 was not used";
  for (Index o = 0; o < out; ++o)
    for (Index j = 0; j < in; ++j) {
      double want = 0.5, size = 0.5;
      for (Index i = 0; i < n; ++i) {
        want += r(dy[i * out + o]) * r(x[i * in + j]);
        size += std::abs(r(dy[i * out + o]) * r(x[i * in + j]));
      }
      ASSERT_NEAR(layer->params()[0].grad[o * in + j], want, 1e-6 + 2e-6 * size) << "dW[" << o << ", " << j << "]";
    }
  for (Index o = 0; o < out; ++o) {
    double want = 0.5;
    for (Index i = 0; i < n; ++i) want += dy[i * out + o];
    ASSERT_NEAR(layer->params()[1].grad[o], want, 1e-5) << "db[" << o << "]";
  }
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < in; ++j) {
      double want = 0, size = 0;
      for (Index o = 0; o < out; ++o) {
        want += r(dy[i * out + o]) * r(w[o * in + j]);
        size += std::abs(r(dy[i * out + o]) * r(w[o * in + j]));
      }
      ASSERT_NEAR(dx[i * in + j], want, 1e-6 + 2e-6 * size) << "dx[" << i << ", " << j << "]";
    }
  std::vector<float> y2(y.size());  // the same bits again
  layer->forward(cview(x, n), mview(y2, n), {});
  EXPECT_EQ(y2, y);
}

TEST(Linear, Bf16ConfigErrors) {
  for (const char* other : {"tied_to", "weight_norm"}) {
    std::map<std::string, Value> keys{{"out", std::int64_t{4}}, {"precision", std::string("bf16")}};
    if (std::string(other) == "tied_to") keys["tied_to"] = std::string("layers.0");
    else keys["weight_norm"] = true;
    try {
      make_layer<float>(layer_spec("linear", keys, 2));
      FAIL() << "precision = bf16 with " << other << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find("layers.2 (linear): precision = \"bf16\" does not go with"),
                std::string::npos) << e.what();
    }
  }
  ::setenv("GRADNET_NO_BF16", "1", 1);  // as a CPU without AVX512-BF16
  auto layer = make_layer<float>(layer_spec("linear", {{"out", std::int64_t{4}}, {"precision", std::string("bf16")}}, 1));
  auto d = make_layer<double>(layer_spec("linear", {{"out", std::int64_t{4}}, {"precision", std::string("bf16")}}, 1));
  EXPECT_EQ(d->setup({8}, 2), (Shape{4}));  // double (gradient checks) is never rounded: no CPU needed
  try {
    layer->setup({8}, 2);
    ::unsetenv("GRADNET_NO_BF16");
    FAIL() << "precision = bf16 accepted without the CPU for it";
  } catch (const Error& e) {
    ::unsetenv("GRADNET_NO_BF16");
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("layers.1 (linear): precision = \"bf16\" needs a CPU with AVX512-BF16"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradnet
