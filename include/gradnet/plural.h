// "1 epoch", "2 epochs": counts in messages take the noun's right number.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace gradnet {

// n and the noun, singular for 1 (and -1); plural defaults to the noun plus "s".
inline std::string count_of(long long n, std::string_view noun, std::string_view plural = "") {
  if (n == 1 || n == -1) return fmt::format("{} {}", n, noun);
  return plural.empty() ? fmt::format("{} {}s", n, noun) : fmt::format("{} {}", n, plural);
}

}  // namespace gradnet
