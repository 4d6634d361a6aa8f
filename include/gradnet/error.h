// gradnet::Error: the one exception type. Anything a user can cause (bad config, bad data,
// bad shape, a diverging run) throws it with context; only cli/main.cpp catches and exits.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace gradnet {

enum class ErrorKind {
  usage,       // bad command line                        -> exit 2
  config,      // bad TOML, unknown key, wrong type/range -> exit 2
  data,        // missing/truncated/mislabeled dataset    -> exit 2
  shape,       // shapes that do not fit                  -> exit 2
  checkpoint,  // unreadable model or run directory       -> exit 2
  runtime,     // failure while running (NaN loss, I/O)   -> exit 1
  internal,    // a bug in gradnet: please report         -> exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return kind_ == ErrorKind::runtime || kind_ == ErrorKind::internal ? 1 : 2; }

 private:
  ErrorKind kind_;
};

// A value from the user as a message quotes it: control characters escaped (\x1b), and at most
// `max` bytes of it, then "... (N bytes)": a 200 MB field is never echoed whole.
inline std::string clip(std::string_view s, std::size_t max = 80) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (s.size() > max) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace gradnet

// GRADNET_CHECK: for what a user can cause. GRADNET_ASSERT: for our own invariants.
#define GRADNET_CHECK(cond, kind, ...)                          \
  do {                                                          \
    if (!(cond)) ::gradnet::fail(::gradnet::ErrorKind::kind, __VA_ARGS__); \
  } while (0)

#define GRADNET_ASSERT(cond)                                                          \
  do {                                                                                \
    if (!(cond))                                                                      \
      ::gradnet::fail(::gradnet::ErrorKind::internal,                                 \
                      "internal error: {} failed at {}:{} (please report)", #cond,    \
                      __FILE__, __LINE__);                                            \
  } while (0)
