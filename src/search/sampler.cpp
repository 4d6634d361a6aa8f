#include "sampler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "spec_reader.h"

namespace gradnet::search {
namespace {

// SplitMix64: a fixed, platform-independent stream, so a study's trials are the same everywhere.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform [0, 1) for (seed, stage, trial, dim).
double unit(std::uint64_t seed, int stage, std::int64_t k, std::size_t dim) {
  std::uint64_t h = mix(seed);
  h = mix(h ^ static_cast<std::uint64_t>(stage));
  h = mix(h ^ static_cast<std::uint64_t>(k));
  h = mix(h ^ static_cast<std::uint64_t>(dim));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

ParamValue param(const SpaceDim& dim, const std::string& literal) {
  ParamValue p{dim.key, literal, std::nullopt};
  try {
    std::size_t used = 0;
    const double v = std::stod(literal, &used);
    if (used == literal.size()) p.number = v;
  } catch (const std::exception&) {
  }
  return p;
}

double from_unit(const SpaceDim& d, double u) {
  if (d.distribution == "log_uniform") return std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low)));
  if (d.distribution == "uniform") return d.low + u * (d.high - d.low);
  if (d.distribution == "int") return std::min(d.high, std::floor(d.low + u * (d.high - d.low + 1)));
  // int_log: log-uniform over [low, high + 1), floored: each integer with its log-width's share
  return std::min(d.high, std::floor(std::exp(std::log(d.low) + u * (std::log(d.high + 1) - std::log(d.low)))));
}

}  // namespace

std::string value_literal(const SpaceDim& dim, double value) {
  if (dim.distribution == "int" || dim.distribution == "int_log")
    return std::to_string(static_cast<std::int64_t>(std::llround(value)));
  return float_literal(value);
}

std::vector<std::string> step_points(const SpaceDim& dim, std::int64_t steps) {
  std::vector<std::string> points;
  for (std::int64_t i = 0; i < steps; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(steps - 1);
    const double v = dim.log_scale() ? std::exp(std::log(dim.low) + t * (std::log(dim.high) - std::log(dim.low)))
                                     : dim.low + t * (dim.high - dim.low);
    // 12 significant digits: a log grid's 0.010000000000000004 is written 0.01
    const double rounded = i == 0 ? dim.low : i == steps - 1 ? dim.high : std::stod(fmt::format("{:.12g}", v));
    const std::string literal = value_literal(dim, rounded);
    if (std::find(points.begin(), points.end(), literal) == points.end()) points.push_back(literal);
  }
  return points;
}

std::vector<ParamValue> sample_random(const std::vector<SpaceDim>& space, std::uint64_t seed, int stage,
                                      std::int64_t k) {
  std::vector<ParamValue> params;
  for (std::size_t i = 0; i < space.size(); ++i) {
    const SpaceDim& d = space[i];
    const double u = unit(seed, stage, k, i);
    if (is_discrete(d)) {
      const auto n = d.choices.size();
      params.push_back(param(d, d.choices[std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)))]));
    } else {
      params.push_back(param(d, value_literal(d, from_unit(d, u))));
    }
  }
  return params;
}

std::int64_t grid_size(const std::vector<SpaceDim>& space) {
  std::int64_t n = 1;
  for (const auto& d : space) {
    GRADNET_ASSERT(is_discrete(d));
    n *= static_cast<std::int64_t>(d.choices.size());
    GRADNET_CHECK(n <= 1000000, config, "the grid has over a million combinations: narrow it");
  }
  return n;
}

std::vector<ParamValue> grid_point(const std::vector<SpaceDim>& space, std::int64_t k) {
  std::vector<ParamValue> params(space.size());
  for (std::size_t i = space.size(); i-- > 0;) {
    const auto n = static_cast<std::int64_t>(space[i].choices.size());
    params[i] = param(space[i], space[i].choices[static_cast<std::size_t>(k % n)]);
    k /= n;
  }
  return params;
}

std::vector<SpaceDim> narrow_space(const std::vector<SpaceDim>& previous, const std::vector<SpaceDim>& original,
                                   const std::vector<ParamValue>& best, double narrow) {
  std::vector<SpaceDim> out = previous;
  for (std::size_t i = 0; i < out.size(); ++i) {
    SpaceDim& d = out[i];
    if (d.distribution == "choice" || d.distribution == "grid") continue;
    const auto it = std::find_if(best.begin(), best.end(), [&](const ParamValue& p) { return p.key == d.key; });
    if (it == best.end() || !it->number) continue;
    const bool log = d.log_scale();
    const auto to = [&](double v) { return log ? std::log(v) : v; };
    const auto from = [&](double v) { return log ? std::exp(v) : v; };
    const double width = narrow * (to(d.high) - to(d.low));
    double low = std::max(to(original[i].low), to(*it->number) - width / 2);
    double high = std::min(to(original[i].high), to(*it->number) + width / 2);
    low = from(low);
    high = from(high);
    if (d.distribution == "int" || d.distribution == "int_log") {
      low = std::floor(low + 1e-9);
      high = std::ceil(high - 1e-9);
      if (low >= high) high = std::min(original[i].high, low + 1), low = high - 1;
    }
    if (low < high) d.low = low, d.high = high;
    if (!original[i].choices.empty())
      d.choices = step_points(d, static_cast<std::int64_t>(original[i].choices.size()));
  }
  return out;
}

}  // namespace gradnet::search
