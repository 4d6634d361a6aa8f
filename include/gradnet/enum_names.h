// Enums that a config key (or a file) spells out as a word. Each such enum E specialises
// EnumNames<E> with one word per enumerator, in declaration order:
//   enum class Policy { fixed, step };
//   template <> struct EnumNames<Policy> { static constexpr std::array<std::string_view, 2> words = {"fixed", "step"}; };
// The config reads the word once into the enum (parse_enum); code dispatches on the enum; the
// word comes back for config.toml, messages and the docs (name_of, enum_words), so they cannot
// disagree.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

namespace gradnet {

template <typename E>
struct EnumNames;  // specialised next to each enum

template <typename E>
concept NamedEnum = std::is_enum_v<E> && requires { EnumNames<E>::words; };

template <NamedEnum E>
constexpr std::string_view name_of(E value) {
  return EnumNames<E>::words[static_cast<std::size_t>(value)];
}

template <NamedEnum E>
std::optional<E> parse_enum(std::string_view word) {
  const auto& words = EnumNames<E>::words;
  for (std::size_t i = 0; i < words.size(); ++i)
    if (words[i] == word) return static_cast<E>(i);
  return std::nullopt;
}

// Streams print the word too (test messages).
template <NamedEnum E>
std::ostream& operator<<(std::ostream& os, E value) {
  return os << name_of(value);
}

// Every word, in declaration order (the choices a config key offers).
template <NamedEnum E>
std::vector<std::string> enum_words() {
  const auto& words = EnumNames<E>::words;
  return std::vector<std::string>(words.begin(), words.end());
}

}  // namespace gradnet

// fmt prints a named enum as its word: fmt::format("{}", Policy::cosine) == "cosine".
template <gradnet::NamedEnum E>
struct fmt::formatter<E> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(E value, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(gradnet::name_of(value), ctx);
  }
};
