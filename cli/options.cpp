// The shared option declarations of cli/options.h.
#include "options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/threads.h"

namespace fs = std::filesystem;

namespace gradnet::cli {

namespace {
constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

bool parse_integer(const std::string& s, std::int64_t& v) {
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && p == end;
}

// What a value must be, in words: "a positive integer", "an integer from 1 to 1024".
std::string integer_words(std::int64_t lo, std::int64_t hi) {
  if (hi == kNoLimit) {
    if (lo == 1) return "a positive integer";
    if (lo == 0) return "a non-negative integer";
    return fmt::format("an integer >= {}", lo);
  }
  return fmt::format("an integer from {} to {}", lo, hi);
}
}  // namespace

CLI::Option* add_set_option(CLI::App* app, std::vector<std::string>& sets) {
  return app->add_option("--set", sets, "Override a config key, e.g. --set optimizer.lr=0.05 (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

CLI::Option* add_threads_override(CLI::App* app, std::vector<std::string>& sets) {
  return app
      ->add_option_function<std::int64_t>(
          "--threads", [&sets](const std::int64_t& n) { sets.push_back(fmt::format("train.threads={}", n)); },
          "Shorthand for --set train.threads=N: BLAS and OpenMP threads, 0 every core (default: the config's)")
      ->type_name("N")
      ->check(integer_in(0, kMaxThreads));
}

CLI::Option* add_threads_option(CLI::App* app, std::int64_t& threads) {
  return app
      ->add_option("--threads", threads, "BLAS and OpenMP threads, 0 every core (default: the run's train.threads)")
      ->type_name("N")
      ->check(integer_in(0, kMaxThreads));
}

CLI::Validator integer_in(std::int64_t lo, std::int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        std::int64_t v = 0;
        if (parse_integer(s, v) && v >= lo && v <= hi) return {};
        return fmt::format("must be {}, got {}", integer_words(lo, hi), s);
      },
      "");
}

CLI::Validator positive_integer() { return integer_in(1, kNoLimit); }
CLI::Validator non_negative_integer() { return integer_in(0, kNoLimit); }

CLI::Validator number_above(double lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
        if (end == s.c_str() + s.size() && std::isfinite(v) && v > lo) return {};
        return lo == 0 ? fmt::format("must be a positive number, got {}", s)
                       : fmt::format("must be a number greater than {:g}, got {}", lo, s);
      },
      "");
}

CLI::Validator positive_number() { return number_above(0); }

CLI::Validator one_of(std::vector<std::string> words) {
  return CLI::Validator(
      [words](std::string& s) -> std::string {
        for (const auto& w : words)
          if (s == w) return {};
        return fmt::format("must be one of {}, got {}", fmt::join(words, ", "), s);
      },
      "");
}

void set_examples(CLI::App* app, std::initializer_list<std::string> commands) {
  std::string text = "Examples:\n";
  for (const auto& c : commands) text += "  " + c + "\n";
  app->footer(text);
}

std::string default_out_dir(const std::string& stem) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string base = "runs/" + stem + "-" + stamp;
  std::string path = base;
  std::error_code ec;
  for (int k = 2; fs::exists(path, ec); ++k) path = fmt::format("{}-{}", base, k);
  return path;
}

std::string png_out_path(const std::string& out, const std::string& stem, const std::string& file) {
  const bool is_png = out.size() > 4 && out.compare(out.size() - 4, 4, ".png") == 0;
  const fs::path path = is_png ? fs::path(out) : fs::path(out.empty() ? default_out_dir(stem) : out) / file;
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  GRADNET_CHECK(!ec, usage, "--out {}: cannot create the directory {}: {}", out, path.parent_path().string(),
                ec.message());
  return path.string();
}

}  // namespace gradnet::cli
