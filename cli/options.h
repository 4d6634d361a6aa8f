// Option declarations every subcommand shares, so the commands agree: --set and --threads, numeric
// checks with human messages, the "Examples:" footer, and where a command's files go by default.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace gradnet::cli {

// --set KEY=VALUE, repeatable, exactly one value per --set: `--set a=1 CONFIG` leaves CONFIG to
// the positional (a plain vector option would swallow every word that follows it).
CLI::Option* add_set_option(CLI::App* app, std::vector<std::string>& sets);

// --threads N for a command that reads a config: appends train.threads=N to `sets` (declare it
// after add_set_option: CLI11 runs callbacks in declaration order, so --threads wins over a --set).
CLI::Option* add_threads_override(CLI::App* app, std::vector<std::string>& sets);
// --threads N for a command that reads a run directory: `threads` stays -1 unless given.
CLI::Option* add_threads_option(CLI::App* app, std::int64_t& threads);
// The threads to use: the option's when given, else the config's.
inline std::int64_t threads_or(std::int64_t option, std::int64_t configured) {
  return option >= 0 ? option : configured;
}

// Checks whose failure reads "--epochs must be a positive integer, got -1" (main.cpp joins the
// option's name to the message), and that add nothing to the help's type name.
CLI::Validator integer_in(std::int64_t lo, std::int64_t hi);  // lo..hi inclusive
CLI::Validator positive_integer();
CLI::Validator non_negative_integer();
CLI::Validator number_above(double lo);  // a finite number > lo
CLI::Validator positive_number();
CLI::Validator one_of(std::vector<std::string> words);

// The help's footer: "Examples:" and one command per line.
void set_examples(CLI::App* app, std::initializer_list<std::string> commands);

// runs/<stem>-<UTC timestamp>/ (with -2, -3, ... if it exists): where a command writes when --out
// is not given, as `train` names a run directory.
std::string default_out_dir(const std::string& stem);
// The PNG a one-picture command writes: --out as given when it ends in .png, else DIR/<file> with
// DIR = --out or default_out_dir(stem); creates the directory.
std::string png_out_path(const std::string& out, const std::string& stem, const std::string& file);

}  // namespace gradnet::cli
