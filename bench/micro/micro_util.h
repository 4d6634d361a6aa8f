// Shared by the kernel microbenchmarks: random buffers and the workloads' shapes.
//   W1 784-64-16-10 MLP, W2 784-512-256-10 MLP, W3 conv32-pool-conv64-pool-fc128-fc10 on 28x28,
//   every one at batch 128 (the benchmark workloads, docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "gradnet/rng.h"
#include "gradnet/tensor.h"

namespace gradnet::micro {

constexpr Index kBatch = 128;

inline std::vector<float> random_floats(Index n, std::uint64_t seed = 1, double scale = 1.0) {
  Rng rng(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.normal(0.0, scale));
  return v;
}

inline std::vector<std::int32_t> random_labels(Index n, Index classes, std::uint64_t seed = 2) {
  Rng rng(seed);
  std::vector<std::int32_t> v(static_cast<std::size_t>(n));
  for (auto& y : v) y = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(classes)));
  return v;
}

// Items (values touched) and FLOPs per iteration, so Google Benchmark prints rates.
inline void set_rates(benchmark::State& state, Index items, double flops = 0) {
  state.SetItemsProcessed(state.iterations() * items);
  if (flops > 0) state.counters["GFLOP/s"] = benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9,
                                                                  benchmark::Counter::kIsRate);
}

}  // namespace gradnet::micro
