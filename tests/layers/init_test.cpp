// Initialisers: each one's empirical mean/std/bounds on a 512x256 weight (fan_in 256, fan_out 512)
// against its formula, reproducibility, gains, and the key table round trip.
#include "gradnet/init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gradnet/error.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

constexpr Index kOut = 512, kIn = 256;  // weight (out, in): fan_in = 256, fan_out = 512
constexpr double kN = double(kOut * kIn);

struct Stats {
  double mean = 0, std = 0, lo = 0, hi = 0;
};

Stats stats_of(const InitSpec& spec, std::uint64_t seed = 42) {
  Tensor<double> t({kOut, kIn});
  Rng rng(seed);
  init_tensor(t, spec, kIn, kOut, rng);
  Stats s;
  s.lo = *std::ranges::min_element(t.values());
  s.hi = *std::ranges::max_element(t.values());
  for (double v : t.to_vector()) s.mean += v;
  s.mean /= kN;
  for (double v : t.to_vector()) s.std += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(s.std / kN);
  return s;
}

InitSpec spec_of(const std::string& method) {
  InitSpec s;
  s.method = *parse_enum<InitMethod>(method);
  return s;
}

// A uniform U(-a, a): bounds within a (and reached to 0.5%), std a/sqrt(3) within 3%, mean ~0.
void expect_uniform(const Stats& s, double a, const std::string& what) {
  EXPECT_GE(s.lo, -a) << what;
  EXPECT_LE(s.hi, a) << what;
  EXPECT_LT(s.lo, -0.995 * a) << what;
  EXPECT_GT(s.hi, 0.995 * a) << what;
  EXPECT_NEAR(s.std, a / std::sqrt(3.0), 0.03 * a / std::sqrt(3.0)) << what;
  EXPECT_NEAR(s.mean, 0.0, 5 * a / std::sqrt(3.0 * kN)) << what;  // 5 standard errors
}

void expect_normal(const Stats& s, double mean, double sd, const std::string& what) {
  EXPECT_NEAR(s.std, sd, 0.03 * sd) << what;
  EXPECT_NEAR(s.mean, mean, 5 * sd / std::sqrt(kN)) << what;
  EXPECT_GT(s.hi - mean, 3.5 * sd) << what;  // 131072 draws reach past 3.5 sd (not a uniform)
}

TEST(Init, XavierUniform) {
  expect_uniform(stats_of(spec_of("xavier_uniform")), std::sqrt(6.0 / (kIn + kOut)), "xavier_uniform");
  InitSpec g = spec_of("xavier_uniform");
  g.gain = 5.0 / 3;
  expect_uniform(stats_of(g), 5.0 / 3 * std::sqrt(6.0 / (kIn + kOut)), "xavier_uniform gain 5/3");
}

TEST(Init, XavierNormal) {
  expect_normal(stats_of(spec_of("xavier_normal")), 0.0, std::sqrt(2.0 / (kIn + kOut)), "xavier_normal");
}

TEST(Init, KaimingUniform) {
  expect_uniform(stats_of(spec_of("kaiming_uniform")), std::sqrt(2.0) * std::sqrt(3.0 / kIn), "kaiming_uniform");
  InitSpec s = spec_of("kaiming_uniform");
  s.mode = FanMode::fan_out;
  s.nonlinearity = Nonlinearity::tanh;
  expect_uniform(stats_of(s), 5.0 / 3 * std::sqrt(3.0 / kOut), "kaiming_uniform fan_out tanh");
}

TEST(Init, KaimingNormal) {
  expect_normal(stats_of(spec_of("kaiming_normal")), 0.0, std::sqrt(2.0) / std::sqrt(double(kIn)), "kaiming_normal");
  InitSpec s = spec_of("kaiming_normal");
  s.nonlinearity = Nonlinearity::leaky_relu;
  s.slope = 0.2;
  expect_normal(stats_of(s), 0.0, std::sqrt(2.0 / 1.04) / std::sqrt(double(kIn)), "kaiming_normal leaky 0.2");
}

TEST(Init, PlainUniformNormalConstantZeros) {
  InitSpec u = spec_of("uniform");
  u.low = 0.1;
  u.high = 0.3;
  const Stats su = stats_of(u);
  EXPECT_GE(su.lo, 0.1);
  EXPECT_LT(su.hi, 0.3);
  EXPECT_NEAR(su.mean, 0.2, 0.001);
  EXPECT_NEAR(su.std, 0.2 / std::sqrt(12.0), 0.03 * 0.2 / std::sqrt(12.0));
  InitSpec n = spec_of("normal");
  n.mean = 1.0;
  n.std = 0.5;
  expect_normal(stats_of(n), 1.0, 0.5, "normal");
  expect_normal(stats_of(spec_of("normal")), 0.0, 0.01, "normal defaults");
  InitSpec c = spec_of("constant");
  c.value = -0.75;
  const Stats sc = stats_of(c);
  EXPECT_EQ(sc.lo, -0.75);
  EXPECT_EQ(sc.hi, -0.75);
  const Stats sz = stats_of(spec_of("zeros"));
  EXPECT_EQ(sz.lo, 0.0);
  EXPECT_EQ(sz.hi, 0.0);
}

TEST(Init, SameSeedSameValuesOtherSeedOthers) {
  for (const std::string& m : init_methods()) {
    Tensor<float> a({8, 8}), b({8, 8}), c({8, 8});
    Rng ra(7), rb(7), rc(8);
    init_tensor(a, spec_of(m), 8, 8, ra);
    init_tensor(b, spec_of(m), 8, 8, rb);
    init_tensor(c, spec_of(m), 8, 8, rc);
    EXPECT_EQ(a.to_vector(), b.to_vector()) << m;
    if (m != "zeros" && m != "constant") EXPECT_NE(a.to_vector(), c.to_vector()) << m;
  }
}

TEST(Init, CalculateGainAsPyTorch) {
  EXPECT_DOUBLE_EQ(calculate_gain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(calculate_gain("identity"), 1.0);
  EXPECT_DOUBLE_EQ(calculate_gain("sigmoid"), 1.0);
  EXPECT_DOUBLE_EQ(calculate_gain("tanh"), 5.0 / 3);
  EXPECT_DOUBLE_EQ(calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(calculate_gain("leaky_relu"), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(calculate_gain("leaky_relu", 0.5), std::sqrt(2.0 / 1.25));
  EXPECT_THROW(calculate_gain("softplus"), Error);
}

TEST(Init, UnknownMethodIsAConfigError) {
  Tensor<float> t({2, 2});
  Rng rng(1);
  try {
    LayerSpec spec = testing::layer_spec("linear", {{"init", std::string("xavier_unifrom")}});
    init_tensor(t, init_spec_from(spec), 2, 2, rng);  // the word is read (and refused) here
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("did you mean 'xavier_uniform'"), std::string::npos) << e.what();
  }
}

TEST(Init, KeysRoundTrip) {
  const std::vector<KeySpec> keys = init_keys("kaiming_normal");
  std::map<std::string, const KeySpec*> by_name;
  for (const KeySpec& k : keys) {
    by_name[k.name] = &k;
    EXPECT_TRUE(k.default_value.has_value()) << k.name;
    EXPECT_FALSE(k.doc.empty()) << k.name;
    EXPECT_EQ(k.doc.find('\n'), std::string::npos) << k.name;
  }
  ASSERT_EQ(by_name.size(), 10u);
  EXPECT_EQ(std::get<std::string>(*by_name["init"]->default_value), "kaiming_normal");
  EXPECT_EQ(by_name["init"]->choices, init_methods());
  // "auto": resolved by the config reader from the layers that follow (config_test's InitNonlinearityAuto).
  EXPECT_EQ(std::get<std::string>(*by_name["init_nonlinearity"]->default_value), "auto");
  EXPECT_EQ(by_name["init_mode"]->choices, (std::vector<std::string>{"fan_in", "fan_out"}));
  EXPECT_GT(*by_name["init_std"]->min, 0.0);
  EXPECT_GT(*by_name["init_gain"]->min, 0.0);

  // The defaults read back give InitSpec's defaults; set values come back as set.
  LayerSpec spec = testing::layer_spec("linear");
  for (const KeySpec& k : keys) spec.attrs[k.name] = *k.default_value;
  InitSpec s = init_spec_from(spec);
  EXPECT_EQ(name_of(s.method), "kaiming_normal");
  EXPECT_EQ(name_of(s.nonlinearity), "relu");  // an unresolved "auto" (a spec built in code): PyTorch's default
  EXPECT_EQ(s.std, 0.01);
  EXPECT_EQ(s.low, -0.05);
  spec.attrs["init_mode"] = std::string("fan_out");
  spec.attrs["init_gain"] = 2.5;
  spec.attrs["init_slope"] = std::int64_t{1};  // an integer where a number is expected is fine
  s = init_spec_from(spec);
  EXPECT_EQ(name_of(s.mode), "fan_out");
  EXPECT_EQ(s.gain, 2.5);
  EXPECT_EQ(s.slope, 1.0);
}

}  // namespace
}  // namespace gradnet
