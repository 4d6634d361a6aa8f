// Augmenter: each transform's semantics on tiny synthetic images (exact where the transform is a
// copy), colour jitter equal to the pixel-space operation on normalized data, noise statistics,
// determinism, and the [augment] config rules.
#include "gradnet/data/augment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/threads.h"

namespace gradnet {
namespace {

// A [C, H, W] image with distinct values (1 .. C·H·W), or seeded pixels in 0..255.
std::vector<float> ramp(Index C, Index H, Index W) {
  std::vector<float> v(static_cast<std::size_t>(C * H * W));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

std::vector<float> pixels(Index n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.below(256));
  return v;
}

float at(const std::vector<float>& v, Index H, Index W, Index c, Index y, Index x) {
  return v[static_cast<std::size_t>((c * H + y) * W + x)];
}

AugmentConfig only(void (*set)(AugmentConfig&)) {
  AugmentConfig c;
  set(c);
  return c;
}

// Shifted by (dx, dy) with zeros entering, the reference for crop_padding and translate.
std::vector<float> shifted(const std::vector<float>& in, Index C, Index H, Index W, Index dx, Index dy) {
  std::vector<float> out(in.size(), 0.0f);
  for (Index c = 0; c < C; ++c)
    for (Index y = 0; y < H; ++y)
      for (Index x = 0; x < W; ++x) {
        const Index sy = y - dy, sx = x - dx;
        if (sy >= 0 && sy < H && sx >= 0 && sx < W) out[(c * H + y) * W + x] = at(in, H, W, c, sy, sx);
      }
  return out;
}

const Normalizer kNone;  // method "none": values are pixels

TEST(Augment, OffByDefaultAndANoOp) {
  const AugmentConfig c;
  EXPECT_FALSE(augment_enabled(c));
  Augmenter a(c, {784}, kNone);  // any shape: nothing to do
  EXPECT_FALSE(a.enabled());
  std::vector<float> x = ramp(1, 1, 784), before = x;
  Rng rng(1);
  a.apply(View<float>{x.data(), 1, 784}, rng);
  EXPECT_EQ(x, before);
}

TEST(Augment, HflipMirrorsExactly) {
  const Index C = 2, H = 3, W = 5;
  Augmenter a(only([](AugmentConfig& c) { c.hflip = 1.0; }), {C, H, W}, kNone);
  const std::vector<float> in = ramp(C, H, W);
  std::vector<float> x = in;
  Rng rng(3);
  a.apply_one(x.data(), rng);
  for (Index c = 0; c < C; ++c)
    for (Index y = 0; y < H; ++y)
      for (Index xx = 0; xx < W; ++xx) EXPECT_EQ(at(x, H, W, c, y, xx), at(in, H, W, c, y, W - 1 - xx));
}

TEST(Augment, HflipProbabilityIsHonoured) {
  Augmenter a(only([](AugmentConfig& c) { c.hflip = 0.3; }), {1, 2, 2}, kNone);
  Rng rng(11);
  int flips = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) flips += a.draw(rng).flip ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(flips) / n, 0.3, 0.015);
}

TEST(Augment, CropPaddingShiftsByAWholeOffsetWithZerosEntering) {
  const Index C = 3, H = 6, W = 7, P = 2;
  Augmenter a(only([](AugmentConfig& c) { c.crop_padding = 2; }), {C, H, W}, kNone);
  const std::vector<float> in = ramp(C, H, W);  // no zeros: every zero entered from the padding
  std::set<std::pair<Index, Index>> seen;
  Rng rng(5);
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<float> x = in;
    Rng image_rng(rng.next_u64());
    a.apply_one(x.data(), image_rng);
    bool matched = false;
    for (Index dy = -P; dy <= P && !matched; ++dy)
      for (Index dx = -P; dx <= P && !matched; ++dx)
        if (x == shifted(in, C, H, W, dx, dy)) {
          matched = true;
          seen.insert({dx, dy});
        }
    ASSERT_TRUE(matched) << "trial " << trial << ": not a shift of at most " << P << " pixels";
  }
  EXPECT_EQ(seen.size(), 25u);  // every offset of the padded image occurs
}

TEST(Augment, ShiftFlipImageMatchesItsDefinition) {
  const Index C = 2, H = 4, W = 5;
  const std::vector<float> in = ramp(C, H, W);
  for (bool flip : {false, true})
    for (Index dx = -6; dx <= 6; ++dx)
      for (Index dy = -5; dy <= 5; ++dy) {
        std::vector<float> out(in.size(), -1.0f);
        shift_flip_image(in.data(), out.data(), C, H, W, dx, dy, flip);
        for (Index c = 0; c < C; ++c)
          for (Index y = 0; y < H; ++y)
            for (Index x = 0; x < W; ++x) {
              const Index sx = (flip ? W - 1 - x : x) - dx, sy = y - dy;
              const float want = sx >= 0 && sx < W && sy >= 0 && sy < H ? at(in, H, W, c, sy, sx) : 0.0f;
              ASSERT_EQ(at(out, H, W, c, y, x), want) << flip << " " << dx << " " << dy;
            }
      }
}

TEST(Augment, TranslateIsAWholePixelShiftWithinTheFraction) {
  const Index H = 10, W = 10;
  Augmenter a(only([](AugmentConfig& c) { c.translate = 0.2; }), {1, H, W}, kNone);
  Rng rng(9);
  Index max_x = 0, max_y = 0;
  for (int i = 0; i < 2000; ++i) {
    const AugmentDraw d = a.draw(rng);
    max_x = std::max(max_x, std::abs(d.shift_x));
    max_y = std::max(max_y, std::abs(d.shift_y));
    EXPECT_EQ(d.angle, 0);
    EXPECT_EQ(d.scale, 1);
  }
  EXPECT_EQ(max_x, 2);  // 0.2 of 10 pixels
  EXPECT_EQ(max_y, 2);
}

TEST(Augment, WarpWithoutRotationOrScaleIsTheExactShiftAndFlip) {
  const Index C = 3, H = 5, W = 6;
  const std::vector<float> in = ramp(C, H, W);
  std::vector<float> warped(in.size()), copied(in.size());
  AugmentDraw identity;
  warp_image(in.data(), warped.data(), C, H, W, identity);
  EXPECT_EQ(warped, in);  // rotation 0 and scale 1: the identity, bit for bit
  AugmentDraw d;
  d.flip = true;
  d.shift_x = 2;
  d.shift_y = -1;
  warp_image(in.data(), warped.data(), C, H, W, d);
  shift_flip_image(in.data(), copied.data(), C, H, W, 2, -1, true);
  EXPECT_EQ(warped, copied);
}

TEST(Augment, RotationByNinetyDegreesIsCounterClockwise) {
  const Index H = 5, W = 5;
  const std::vector<float> in = ramp(1, H, W);
  std::vector<float> out(in.size());
  AugmentDraw d;
  d.angle = 90;
  warp_image(in.data(), out.data(), 1, H, W, d);
  for (Index y = 0; y < H; ++y)  // numpy's rot90: out[y][x] = in[x][W-1-y]
    for (Index x = 0; x < W; ++x) EXPECT_NEAR(at(out, H, W, 0, y, x), at(in, H, W, 0, x, W - 1 - y), 1e-4);
}

TEST(Augment, ScaleZoomsAboutTheCentreBilinearly) {
  const Index H = 5, W = 5;
  std::vector<float> in(25);
  for (Index y = 0; y < H; ++y)
    for (Index x = 0; x < W; ++x) in[y * W + x] = static_cast<float>(x);  // a horizontal ramp
  std::vector<float> out(in.size());
  AugmentDraw d;
  d.scale = 2;  // out(x) samples in(2 + (x - 2)/2)
  warp_image(in.data(), out.data(), 1, H, W, d);
  for (Index y = 0; y < H; ++y)
    for (Index x = 0; x < W; ++x) EXPECT_NEAR(out[y * W + x], 2.0 + (x - 2.0) / 2.0, 1e-6);
  d.scale = 0.5;  // shrinks: the border samples fall outside and take in zeros
  warp_image(in.data(), out.data(), 1, H, W, d);
  EXPECT_NEAR(out[2 * W + 2], 2.0f, 1e-6);
  EXPECT_EQ(out[0], 0.0f);
}

TEST(Augment, RotationAndScaleDrawsStayInRange) {
  Augmenter a(only([](AugmentConfig& c) {
                c.rotation = 15;
                c.scale = {0.9, 1.1};
              }),
              {1, 8, 8}, kNone);
  Rng rng(2);
  for (int i = 0; i < 1000; ++i) {
    const AugmentDraw d = a.draw(rng);
    EXPECT_LE(std::abs(d.angle), 15.0);
    EXPECT_GE(d.scale, 0.9);
    EXPECT_LT(d.scale, 1.1);
  }
}

TEST(Augment, CutoutZeroesExactlyASquareClippedAtTheBorders) {
  const Index C = 2, H = 8, W = 9;
  auto zeros_of = [&](Index cy, Index cx, Index size) {
    std::vector<float> x = ramp(C, H, W);
    cutout_image(x.data(), C, H, W, cy, cx, size);
    std::set<std::tuple<Index, Index, Index>> z;
    for (Index c = 0; c < C; ++c)
      for (Index y = 0; y < H; ++y)
        for (Index xx = 0; xx < W; ++xx)
          if (at(x, H, W, c, y, xx) == 0.0f) z.insert({c, y, xx});
    return z;
  };
  auto square = [&](Index y0, Index y1, Index x0, Index x1) {
    std::set<std::tuple<Index, Index, Index>> z;
    for (Index c = 0; c < C; ++c)
      for (Index y = y0; y < y1; ++y)
        for (Index x = x0; x < x1; ++x) z.insert({c, y, x});
    return z;
  };
  EXPECT_EQ(zeros_of(4, 4, 4), square(2, 6, 2, 6));  // inside: 4 x 4 in every channel
  EXPECT_EQ(zeros_of(4, 4, 3), square(3, 6, 3, 6));  // odd sides stay whole: 3 x 3
  EXPECT_EQ(zeros_of(0, 8, 4), square(0, 2, 6, 9));  // a corner: clipped to 2 x 3
  EXPECT_EQ(zeros_of(7, 0, 20).size(), static_cast<std::size_t>(C * H * W));  // larger than the image

  // Through the Augmenter: the square is centred at the drawn pixel.
  Augmenter a(only([](AugmentConfig& c) { c.cutout = 4; }), {C, H, W}, kNone);
  Rng rng(4);
  for (int i = 0; i < 50; ++i) {
    Rng r1(rng.next_u64());
    Rng r2 = r1;
    const AugmentDraw d = a.draw(r1);
    std::vector<float> x = ramp(C, H, W);
    a.apply_one(x.data(), r2);
    std::vector<float> want = ramp(C, H, W);
    cutout_image(want.data(), C, H, W, d.cutout_y, d.cutout_x, 4);
    ASSERT_EQ(x, want);
  }
}

TEST(Augment, FillNormalIsStandardNormal) {
  const Index n = 1000000;
  std::vector<float> z(n);
  Rng rng(42);
  fill_normal(z.data(), n, rng);
  double m = 0, m2 = 0, m4 = 0, beyond3 = 0;
  for (float v : z) m += v;
  m /= n;
  for (float v : z) {
    const double d = v - m;
    m2 += d * d;
    m4 += d * d * d * d;
    beyond3 += std::abs(v) > 3 ? 1 : 0;
  }
  m2 /= n;
  m4 /= n;
  EXPECT_NEAR(m, 0.0, 0.005);
  EXPECT_NEAR(std::sqrt(m2), 1.0, 0.005);
  EXPECT_NEAR(m4 / (m2 * m2), 3.0, 0.05);         // Gaussian kurtosis
  EXPECT_NEAR(beyond3 / n, 0.0026998, 0.0003);    // P(|z| > 3)
}

TEST(Augment, NoiseHasTheConfiguredStd) {
  const Index H = 32, W = 32, rows = 64;
  Augmenter a(only([](AugmentConfig& c) { c.noise_std = 0.25; }), {1, H, W}, kNone);
  std::vector<float> x(static_cast<std::size_t>(rows * H * W), 3.0f);
  Rng rng(8);
  a.apply(View<float>{x.data(), rows, H * W}, rng);
  double m = 0, v = 0;
  for (float e : x) m += e;
  m /= static_cast<double>(x.size());
  for (float e : x) v += (e - m) * (e - m);
  EXPECT_NEAR(m, 3.0, 0.005);
  EXPECT_NEAR(std::sqrt(v / static_cast<double>(x.size())), 0.25, 0.004);
}

// Normalized with standardize statistics of a random training set.
struct Standardized {
  Shape shape;
  Normalizer norm;
  std::vector<float> raw, z;
  Standardized(Index C, Index H, Index W) : shape{C, H, W} {
    Dataset train;
    train.shape = shape;
    train.x = Tensor<float>({4, C * H * W});
    train.x.assign(pixels(4 * C * H * W, 77));
    train.y.assign(4, 0);
    norm = fit_normalizer(NormalizeMethod::standardize, train);
    raw = pixels(C * H * W, 78);
    z = raw;
    norm.apply(z.data(), 1, C * H * W);
  }
  std::vector<float> pixels_of(const std::vector<float>& v) const {
    std::vector<float> p(v.size());
    for (std::size_t j = 0; j < v.size(); ++j) p[j] = v[j] * norm.std[j] + norm.mean[j];
    return p;
  }
};

TEST(Augment, ColourJitterOnNormalizedDataEqualsThePixelSpaceOperation) {
  const Index C = 3, H = 4, W = 5, plane = H * W;
  Standardized s(C, H, W);
  AugmentConfig c;
  c.brightness = c.contrast = c.saturation = 0.5;
  Augmenter a(c, s.shape, s.norm);
  Rng noise(1);
  auto run = [&](int op, double factor) {
    AugmentDraw d;
    d.colour_order[0] = op;
    d.colour_order[1] = d.colour_order[2] = -1;
    (op == 0 ? d.brightness : op == 1 ? d.contrast : d.saturation) = factor;
    std::vector<float> x = s.z;
    a.apply_draw(x.data(), d, noise);
    return s.pixels_of(x);
  };
  auto clamp = [](double v) { return std::min(255.0, std::max(0.0, v)); };
  const std::vector<float>& p = s.raw;
  const std::vector<float> bright = run(0, 1.3);
  for (Index j = 0; j < C * plane; ++j) EXPECT_NEAR(bright[j], clamp(1.3 * p[j]), 2e-3) << j;
  double grey = 0;
  for (Index k = 0; k < plane; ++k) grey += 0.299 * p[k] + 0.587 * p[plane + k] + 0.114 * p[2 * plane + k];
  grey /= plane;
  const std::vector<float> contrast = run(1, 0.6);
  for (Index j = 0; j < C * plane; ++j) EXPECT_NEAR(contrast[j], clamp(0.6 * p[j] + 0.4 * grey), 2e-3) << j;
  const std::vector<float> saturated = run(2, 1.4);
  for (Index k = 0; k < plane; ++k) {
    const double g = 0.299 * p[k] + 0.587 * p[plane + k] + 0.114 * p[2 * plane + k];
    for (Index ch = 0; ch < C; ++ch)
      EXPECT_NEAR(saturated[ch * plane + k], clamp(1.4 * p[ch * plane + k] - 0.4 * g), 2e-3);
  }
  const std::vector<float> grey_image = run(2, 0.0);  // saturation 0: every channel the grey value
  for (Index k = 0; k < plane; ++k) {
    EXPECT_NEAR(grey_image[k], grey_image[plane + k], 2e-3);
    EXPECT_NEAR(grey_image[k], grey_image[2 * plane + k], 2e-3);
  }
}

TEST(Augment, ColourFactorsFollowColorJitterRanges) {
  AugmentConfig c;
  c.brightness = 0.4;
  c.contrast = 1.5;  // max(0, 1 - 1.5) = 0
  Augmenter a(c, {1, 4, 4}, kNone);
  Rng rng(6);
  std::set<int> firsts;
  for (int i = 0; i < 2000; ++i) {
    const AugmentDraw d = a.draw(rng);
    EXPECT_GE(d.brightness, 0.6);
    EXPECT_LT(d.brightness, 1.4);
    EXPECT_GE(d.contrast, 0.0);
    EXPECT_LT(d.contrast, 2.5);
    EXPECT_EQ(d.saturation, 1.0);  // one channel: no saturation
    firsts.insert(d.colour_order[0]);
  }
  EXPECT_EQ(firsts.size(), 3u);  // a random order, as ColorJitter's
}

TEST(Augment, SameSeedSameBatchDifferentSeedDifferentBatch) {
  AugmentConfig c;
  c.hflip = 0.5;
  c.crop_padding = 2;
  c.rotation = 10;
  c.scale = {0.9, 1.1};
  c.brightness = c.contrast = c.saturation = 0.3;
  c.noise_std = 0.1;
  c.cutout = 3;
  Standardized s(3, 8, 8);
  Augmenter a(c, s.shape, s.norm);
  const Index rows = 6, F = 3 * 8 * 8;
  std::vector<float> batch;
  for (Index i = 0; i < rows; ++i) batch.insert(batch.end(), s.z.begin(), s.z.end());
  auto run = [&](std::uint64_t seed) {
    std::vector<float> x = batch;
    Rng rng = Rng::stream(seed, "augment");
    a.apply(View<float>{x.data(), rows, F}, rng);
    return x;
  };
  const std::vector<float> first = run(1);
  EXPECT_EQ(run(1), first);
  EXPECT_NE(run(2), first);
  EXPECT_NE(first, batch);
  // Rows of the same image differ: each row has its own seed.
  EXPECT_FALSE(std::equal(first.begin(), first.begin() + F, first.begin() + F));
}

TEST(Augment, SameBatchOnOneOrTwoThreads) {
  AugmentConfig c;
  c.hflip = 0.5;
  c.crop_padding = 4;
  c.rotation = 10;
  c.noise_std = 0.1;
  c.cutout = 8;
  set_threads(2);
  Augmenter a(c, {3, 32, 32}, kNone);
  const Index rows = 64, F = 3 * 32 * 32;  // big enough to run in parallel
  const std::vector<float> batch = pixels(rows * F, 5);
  auto run = [&](int threads) {
    set_threads(threads);
    std::vector<float> x = batch;
    Rng rng(12);
    a.apply(View<float>{x.data(), rows, F}, rng);
    return x;
  };
  const std::vector<float> two = run(2);
  EXPECT_EQ(run(1), two);
  EXPECT_NE(two, batch);
}

Config parse(const std::string& augment, const std::string& input = "[1, 28, 28]") {
  const std::string model = "[model]\ninput = " + input + "\nlayers = [{ type = \"linear\", out = 10 }]\n";
  return parse_config(model + "[augment]\n" + augment, "a.toml");
}

std::string config_error(const std::string& augment, const std::string& input = "[1, 28, 28]") {
  try {
    parse(augment, input);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << augment;
  return "";
}

TEST(AugmentConfig, DefaultsAreOffAndSettingsRoundTrip) {
  const Config plain = parse("");
  EXPECT_FALSE(augment_enabled(plain.augment));
  const Config c = parse("hflip = 0.5\ncrop_padding = 4\ntranslate = 0.1\nrotation = 10\nscale = [0.9, 1.1]\n"
                         "brightness = 0.2\ncontrast = 0.2\nnoise_std = 0.05\ncutout = 8\n");
  EXPECT_TRUE(augment_enabled(c.augment));
  EXPECT_EQ(c.augment.crop_padding, 4);
  EXPECT_EQ(c.augment.scale, (std::vector<double>{0.9, 1.1}));
  const Config back = parse_config(to_toml(c), "back.toml");
  EXPECT_EQ(to_toml(back), to_toml(c));
  EXPECT_NE(to_toml(c).find("[augment]\nhflip = 0.5\n"), std::string::npos) << to_toml(c);
}

TEST(AugmentConfig, BadValuesNameTheKey) {
  EXPECT_NE(config_error("hflip = 1.5").find("augment.hflip = 1.5: expected a number in [0, 1]"), std::string::npos);
  EXPECT_NE(config_error("crop_padding = -1").find("augment.crop_padding"), std::string::npos);
  EXPECT_NE(config_error("rotation = 200").find("augment.rotation"), std::string::npos);
  EXPECT_NE(config_error("scale = [1.2, 0.8]").find("augment.scale"), std::string::npos);
  EXPECT_NE(config_error("scale = [0, 1]").find("augment.scale"), std::string::npos);
  EXPECT_NE(config_error("noise_std = -0.1").find("augment.noise_std"), std::string::npos);
  EXPECT_NE(config_error("hfilp = 0.5").find("did you mean 'hflip'"), std::string::npos);
}

TEST(AugmentConfig, NeedsAnImageInput) {
  const std::string e = config_error("hflip = 0.5", "[784]");
  EXPECT_NE(e.find("a.toml: augment.hflip = 0.5"), std::string::npos) << e;
  EXPECT_NE(e.find("model.input = [784]"), std::string::npos) << e;
  EXPECT_NO_THROW(parse("", "[784]"));  // no augmentation: any shape
  const std::string sat = config_error("saturation = 0.2");
  EXPECT_NE(sat.find("augment.saturation"), std::string::npos) << sat;
  EXPECT_NE(sat.find("3 (RGB) channels"), std::string::npos) << sat;
  EXPECT_NO_THROW(parse("saturation = 0.2", "[3, 32, 32]"));
  EXPECT_THROW(Augmenter(only([](AugmentConfig& c) { c.cutout = 2; }), {10}, kNone), Error);
}

}  // namespace
}  // namespace gradnet
