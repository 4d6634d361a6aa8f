// conv2d against a direct six-loop convolution; pooling on hand-computed values; the shape errors.
#include "gradnet/layers/conv2d.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "../../src/kernels/conv_onednn.h"
#include "gradnet/error.h"
#include "gradnet/layers/pool.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::layer_spec;

struct ConvCase {
  Index c, h, w, out, k, stride, pad, dilation, groups;
};

// y[n, o, oh, ow] = b[o] + Σ_{ci in o's group, ki, kj} W[o, ci, ki, kj] · x[n, g·Cg + ci, oh·s - p + ki·d, ow·s - p + kj·d]
std::vector<double> direct_conv(const ConvCase& c, const std::vector<double>& x, Index n, const Tensor<double>& w,
                                const Tensor<double>& b, Index ho, Index wo) {
  const Index cg = c.c / c.groups, og = c.out / c.groups;
  std::vector<double> y(static_cast<std::size_t>(n * c.out * ho * wo));
  for (Index i = 0; i < n; ++i)
    for (Index o = 0; o < c.out; ++o)
      for (Index oh = 0; oh < ho; ++oh)
        for (Index ow = 0; ow < wo; ++ow) {
          double s = b[o];
          for (Index ci = 0; ci < cg; ++ci)
            for (Index ki = 0; ki < c.k; ++ki)
              for (Index kj = 0; kj < c.k; ++kj) {
                const Index ih = oh * c.stride - c.pad + ki * c.dilation, iw = ow * c.stride - c.pad + kj * c.dilation;
                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                const Index ch = (o / og) * cg + ci;
                s += w[((o * cg + ci) * c.k + ki) * c.k + kj] * x[((i * c.c + ch) * c.h + ih) * c.w + iw];
              }
          y[((i * c.out + o) * ho + oh) * wo + ow] = s;
        }
  return y;
}

TEST(Conv2d, MatchesDirectConvolution) {
  const ConvCase cases[] = {{3, 6, 5, 4, 3, 1, 1, 1, 1}, {2, 7, 7, 4, 3, 2, 0, 1, 2}, {4, 9, 8, 2, 3, 1, 2, 2, 1},
                            {3, 5, 5, 6, 1, 1, 0, 1, 3}, {1, 8, 8, 3, 5, 3, 2, 1, 1}};
  for (const ConvCase& c : cases) {
    auto layer = make_layer<double>(layer_spec("conv2d", {{"out", c.out}, {"kernel", c.k}, {"stride", c.stride},
                                                          {"padding", c.pad}, {"dilation", c.dilation}, {"groups", c.groups}}));
    const Index n = 3;
    const Shape out = layer->setup({c.c, c.h, c.w}, n);
    Rng rng(7);
    layer->init(rng);
    for (Index j = 0; j < layer->params()[1].value.size(); ++j) layer->params()[1].value[j] = rng.uniform(-1, 1);
    std::vector<double> x(static_cast<std::size_t>(n * c.c * c.h * c.w));
    for (double& v : x) v = rng.uniform(-1, 1);
    std::vector<double> y(static_cast<std::size_t>(n * numel(out)));
    layer->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::eval, nullptr});
    const std::vector<double> want =
        direct_conv(c, x, n, layer->params()[0].value, layer->params()[1].value, out[1], out[2]);
    ASSERT_EQ(want.size(), y.size());
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-12) << "case k=" << c.k << " at " << i;
  }
}

// A float layer of one input channel (a first layer) runs forward on kernels/conv_one_channel.h
// where it fits (stride 1, no dilation, kernel 1, 3 or 5) and, when nobody wants its dx, takes
// the weight gradient from its own dot products over plain dy (one_channel_weight_grad): both
// equal to the im2col path's GEMMs within float rounding of Σ|terms|, the gradients accumulated
// into what the grads held (layer.h); odd channel counts, rows and planes no multiple of 16.
TEST(Conv2d, OneChannelLayerMatchesIm2col) {
  struct Case {
    Index h, w, out, k, stride, pad, dilation;
  };
  for (const Case& c : {Case{28, 28, 32, 3, 1, 1, 1}, Case{9, 7, 5, 3, 2, 0, 1}, Case{11, 10, 3, 5, 1, 2, 2},
                        Case{6, 6, 12, 1, 1, 0, 1}, Case{19, 37, 7, 5, 1, 1, 1}, Case{5, 16, 2, 3, 1, 0, 1}}) {
    const std::string what = fmt::format("{}x{} out {} k{} s{} p{} d{}", c.h, c.w, c.out, c.k, c.stride, c.pad,
                                         c.dilation);
    std::map<std::string, Value> keys{{"out", c.out},         {"kernel", c.k},       {"stride", c.stride},
                                      {"padding", c.pad},     {"dilation", c.dilation}};
    auto fast = make_layer<float>(layer_spec("conv2d", keys));
    keys["algorithm"] = std::string("im2col");
    auto ref = make_layer<float>(layer_spec("conv2d", keys));
    const Index n = 5;
    const Shape out = fast->setup({1, c.h, c.w}, n);
    ref->setup({1, c.h, c.w}, n);
    Rng rng(11);
    fast->init(rng);
    for (std::size_t p = 0; p < 2; ++p) {
      Tensor<float>& v = fast->params()[p].value;
      for (Index j = 0; j < v.size(); ++j) v[j] = static_cast<float>(rng.uniform(-1, 1));
      std::copy(v.data(), v.data() + v.size(), ref->params()[p].value.data());
      for (Index j = 0; j < v.size(); ++j)  // something to accumulate onto
        fast->params()[p].grad[j] = ref->params()[p].grad[j] = static_cast<float>(j % 3) - 1.0f;
    }
    std::vector<float> x(static_cast<std::size_t>(n * c.h * c.w)), y(static_cast<std::size_t>(n * numel(out)));
    std::vector<float> dy(y.size());
    for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
    for (float& v : dy) v = static_cast<float>(rng.uniform(-1, 1));
    std::vector<float> y_ref(y.size());
    fast->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::train, nullptr});
    ref->forward(testing::cview(x, n), testing::mview(y_ref, n), StepContext{Mode::train, nullptr});
    for (std::size_t i = 0; i < y.size(); ++i)  // k·k + 1 terms below 1 in size
      ASSERT_NEAR(y[i], y_ref[i], 2e-7 * static_cast<double>(c.k * c.k + 1)) << "y[" << i << "] " << what;
    fast->backward(testing::cview(x, n), testing::cview(y, n), testing::cview(dy, n), nullptr);
    ref->backward(testing::cview(x, n), testing::cview(y, n), testing::cview(dy, n), nullptr);
    // Each dW entry sums n·Ho·Wo products of values below 1 in size; db as many values.
    const double bound = 2e-7 * static_cast<double>(n * out[1] * out[2]) + 1e-6;
    for (std::size_t p = 0; p < 2; ++p) {
      const Tensor<float>& got = fast->params()[p].grad;
      const Tensor<float>& want = ref->params()[p].grad;
      for (Index j = 0; j < got.size(); ++j)
        ASSERT_NEAR(got[j], want[j], bound) << (p == 0 ? "dW" : "db") << "[" << j << "] " << what;
    }
  }
}

// algorithm = "bf16" is kept on a one-channel layer too (not the float kernel above): its y is the
// float im2col path's on x and W rounded to bfloat16, and not the one on x and W.
TEST(Conv2d, Bf16OnAOneChannelLayerRoundsItsInputs) {
  if (!kernels::OnednnConv::bf16_available()) {  // a CPU without AVX512-BF16: the layer refuses bf16
    auto layer = make_layer<float>(layer_spec("conv2d", {{"out", std::int64_t{16}}, {"kernel", std::int64_t{3}},
                                                         {"algorithm", std::string("bf16")}}));
    EXPECT_THROW(layer->setup({1, 12, 12}, 3), Error);
    return;
  }
  const auto to_bf16 = [](float v) {  // to nearest, ties to even
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  };
  std::map<std::string, Value> keys{{"out", std::int64_t{16}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}},
                                    {"algorithm", std::string("bf16")}};
  auto bf16 = make_layer<float>(layer_spec("conv2d", keys));
  keys["algorithm"] = std::string("im2col");
  auto ref = make_layer<float>(layer_spec("conv2d", keys));
  const Index n = 3;
  const Shape out = bf16->setup({1, 12, 12}, n);
  ref->setup({1, 12, 12}, n);
  Rng rng(5);
  std::vector<float> x(static_cast<std::size_t>(n * 144)), y(static_cast<std::size_t>(n * numel(out)));
  for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
  for (std::size_t p = 0; p < 2; ++p)
    for (Index j = 0; j < bf16->params()[p].value.size(); ++j)
      bf16->params()[p].value[j] = ref->params()[p].value[j] = static_cast<float>(rng.uniform(-1, 1));
  bf16->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::train, nullptr});
  std::vector<float> exact(y.size()), rounded(y.size()), xr(x);
  ref->forward(testing::cview(x, n), testing::mview(exact, n), StepContext{Mode::train, nullptr});
  for (float& v : xr) v = to_bf16(v);
  Tensor<float>& w = ref->params()[0].value;
  for (Index j = 0; j < w.size(); ++j) w[j] = to_bf16(w[j]);
  ref->forward(testing::cview(xr, n), testing::mview(rounded, n), StepContext{Mode::train, nullptr});
  int off = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    ASSERT_NEAR(y[i], rounded[i], 2e-6 * 10) << "y[" << i << "]";
    off += std::abs(y[i] - exact[i]) > 2e-6 * 10;
  }
  EXPECT_GT(off, static_cast<int>(y.size() / 2)) << "y is the float convolution's: bf16 was not used";
}

TEST(Conv2d, OutputShapeFollowsPyTorch) {
  auto layer = make_layer<float>(layer_spec("conv2d", {{"out", std::int64_t{8}}, {"kernel", std::int64_t{3}},
                                                       {"stride", std::int64_t{2}}, {"padding", std::int64_t{1}}}));
  EXPECT_EQ(layer->setup({3, 32, 32}, 4), (Shape{8, 16, 16}));
  EXPECT_EQ(layer->params()[0].value.shape(), (Shape{8, 3, 3, 3}));
}

TEST(Conv2d, KernelLargerThanInputIsAShapeErrorNamingTheLayer) {
  auto layer = make_layer<float>(layer_spec("conv2d", {{"out", std::int64_t{2}}, {"kernel", std::int64_t{5}}}, 3));
  try {
    layer->setup({1, 4, 4}, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("layers.3 (conv2d)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("larger than its input"), std::string::npos) << e.what();
  }
}

TEST(Conv2d, FlatInputAndBadGroupsAreShapeErrors) {
  auto flat = make_layer<float>(layer_spec("conv2d", {{"out", std::int64_t{2}}, {"kernel", std::int64_t{3}}}));
  EXPECT_THROW(flat->setup({784}, 2), Error);
  auto grouped = make_layer<float>(
      layer_spec("conv2d", {{"out", std::int64_t{4}}, {"kernel", std::int64_t{3}}, {"groups", std::int64_t{2}}}));
  EXPECT_THROW(grouped->setup({3, 8, 8}, 2), Error);
}

TEST(Pooling, MaxAndAverageOnKnownValues) {
  // One 4x4 channel: 0..15 row-major; 2x2 windows.
  std::vector<double> x(16);
  for (int i = 0; i < 16; ++i) x[i] = i;
  auto maxp = make_layer<double>(layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}}));
  ASSERT_EQ(maxp->setup({1, 4, 4}, 1), (Shape{1, 2, 2}));
  std::vector<double> y(4), dy{1, 2, 3, 4}, dx(16);
  maxp->forward(testing::cview(x, 1), testing::mview(y, 1), {});
  EXPECT_EQ(y, (std::vector<double>{5, 7, 13, 15}));
  View<double> dxv = testing::mview(dx, 1);
  maxp->backward(testing::cview(x, 1), testing::cview(y, 1), testing::cview(dy, 1), &dxv);
  EXPECT_EQ(dx[5], 1);
  EXPECT_EQ(dx[7], 2);
  EXPECT_EQ(dx[13], 3);
  EXPECT_EQ(dx[15], 4);
  EXPECT_EQ(dx[0] + dx[1] + dx[4], 0);

  auto avgp = make_layer<double>(layer_spec("avg_pool2d", {{"kernel", std::int64_t{2}}}));
  avgp->setup({1, 4, 4}, 1);
  avgp->forward(testing::cview(x, 1), testing::mview(y, 1), {});
  EXPECT_EQ(y, (std::vector<double>{2.5, 4.5, 10.5, 12.5}));

  auto gap = make_layer<double>(layer_spec("global_avg_pool"));
  ASSERT_EQ(gap->setup({1, 4, 4}, 1), (Shape{1}));
  std::vector<double> g(1);
  gap->forward(testing::cview(x, 1), testing::mview(g, 1), {});
  EXPECT_DOUBLE_EQ(g[0], 7.5);
}

TEST(Pooling, PaddingMoreThanHalfTheKernelIsAConfigError) {
  EXPECT_THROW(make_layer<float>(layer_spec("max_pool2d", {{"kernel", std::int64_t{2}}, {"padding", std::int64_t{2}}})),
               Error);
}

}  // namespace
}  // namespace gradnet

namespace gradnet {
namespace {

TEST(Conv2d, WeightNormStartsAtThePlainInitAndUsesPyTorchsNames) {
  const std::map<std::string, Value> keys = {{"out", std::int64_t{3}}, {"kernel", std::int64_t{3}}, {"padding", std::int64_t{1}}};
  std::map<std::string, Value> wn_keys = keys;
  wn_keys["weight_norm"] = true;
  auto plain = make_layer<double>(testing::layer_spec("conv2d", keys));
  auto wn = make_layer<double>(testing::layer_spec("conv2d", wn_keys));
  plain->setup({2, 5, 4}, 2);
  wn->setup({2, 5, 4}, 2);
  ASSERT_EQ(wn->params().size(), 3u);
  EXPECT_EQ(wn->params()[0].name, "weight_g");
  EXPECT_EQ(wn->params()[0].value.shape(), (Shape{3, 1, 1, 1}));
  EXPECT_EQ(wn->params()[1].name, "weight_v");
  EXPECT_EQ(wn->params()[1].value.shape(), (Shape{3, 2, 3, 3}));
  Rng r1(9), r2(9);
  plain->init(r1);
  wn->init(r2);
  std::vector<double> x(2 * 40), y1(2 * 60), y2(2 * 60);
  Rng data(4);
  for (double& v : x) v = data.uniform(-1, 1);
  plain->forward(testing::cview(x, 2), testing::mview(y1, 2), {});
  wn->forward(testing::cview(x, 2), testing::mview(y2, 2), {});
  for (std::size_t i = 0; i < y1.size(); ++i) EXPECT_NEAR(y1[i], y2[i], 1e-12);
  // Doubling g doubles the output (bias is 0 after init).
  for (Index r = 0; r < 3; ++r) wn->params()[0].value[r] *= 2;
  wn->forward(testing::cview(x, 2), testing::mview(y2, 2), {});
  for (std::size_t i = 0; i < y1.size(); ++i) EXPECT_NEAR(y2[i], 2 * y1[i], 1e-12);
}

}  // namespace
}  // namespace gradnet
