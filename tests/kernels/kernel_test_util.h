// Helpers for the kernel tests: seeded random inputs and elementwise comparison with a stated
// tolerance, |got - want| <= atol + rtol·|want| (NaN must meet NaN).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gradnet/tensor.h"

namespace gradnet::testing {

// n values uniform in [lo, hi), from a fixed seed per call site.
template <typename T>
std::vector<T> uniform_values(Index n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(u(gen));
  return v;
}

inline std::vector<std::int32_t> random_labels(Index n, Index classes, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int32_t> u(0, static_cast<std::int32_t>(classes - 1));
  std::vector<std::int32_t> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = u(gen);
  return v;
}

// Tolerances per type, named by what they cover.
template <typename T>
struct Tol;
template <>
struct Tol<double> {
  static constexpr double exact_math = 1e-12;  // the same formula, rounded differently (a few ulps)
  static constexpr double fast_exp = 1e-12;    // double has no fast paths: libm throughout
  static constexpr double sum = 1e-12;         // sums of O(100) terms, relative to Σ|terms|
};
template <>
struct Tol<float> {
  static constexpr double exact_math = 1e-6;  // a few float ops, each 6e-8
  static constexpr double fast_exp = 4e-7;    // the polynomial exp/tanh: ~2 ulp, plus the reference's rounding
  static constexpr double sum = 1e-5;         // float sums of O(100) terms and float-rounded coefficients
};

template <typename T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) || std::isnan(g)) {
      EXPECT_TRUE(std::isnan(w) && std::isnan(g)) << what << " [" << i << "]: got " << g << ", want " << w;
      continue;
    }
    if (g == w) continue;  // infinities included
    const double err = std::abs(g - w), bound = atol + rtol * std::abs(w);
    worst = std::max(worst, err / std::max(bound, 1e-300));
    if (!(err <= bound) && reported++ < 5)
      ADD_FAILURE() << what << " [" << i << "]: got " << g << ", want " << w << " (|diff| " << err << " > " << bound
                    << ")";
  }
  EXPECT_EQ(reported, 0) << what << ": " << reported << " value(s) out of tolerance (worst " << worst
                         << " x the bound)";
}

template <typename T>
void expect_equal(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
  expect_close(got, want, 0.0, 0.0, what);
}

}  // namespace gradnet::testing
