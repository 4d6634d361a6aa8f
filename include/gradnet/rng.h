// Rng: a small, portable, seedable generator (xoshiro256**, seeded by splitmix64), with our own
// uniform/normal/shuffle so results do not depend on the standard library's distributions.
// One Rng per purpose (init, shuffle, dropout, augment), derived from the run seed by stream().
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace gradnet {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 1);

  // A generator for one purpose, independent of the others: Rng::stream(seed, "init").
  static Rng stream(std::uint64_t seed, const char* purpose);

  std::uint64_t next_u64();
  double uniform();                              // [0, 1)
  double uniform(double lo, double hi);          // [lo, hi)
  double normal();                               // N(0, 1), Box-Muller
  double normal(double mean, double stddev);
  std::uint64_t below(std::uint64_t n);          // uniform integer in [0, n), unbiased
  template <typename I>
  void shuffle(std::vector<I>& v) {              // Fisher-Yates
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  // The whole state, for checkpoints.
  std::array<std::uint64_t, 6> state() const;
  void set_state(const std::array<std::uint64_t, 6>& s);

 private:
  std::array<std::uint64_t, 4> s_{};
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace gradnet
