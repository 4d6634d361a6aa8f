// Reading SEARCH.toml's tables: each key checked for type and range, unknown keys refused with a
// did-you-mean. Every message names the file and the dotted key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "gradnet/search/search.h"

namespace gradnet::search {

class TableReader {
 public:
  TableReader(const toml::table& table, std::string file, std::string prefix)
      : table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}
  // Error naming the first key not in `known`.
  void only(const std::vector<std::string>& known) const;
  bool has(const std::string& key) const { return table_.contains(key); }
  std::string key(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "." + name; }
  [[noreturn]] void fail_at(const std::string& name, const std::string& message) const;

  std::string string(const std::string& name, const std::string& fallback) const;
  std::string word(const std::string& name, const std::string& fallback, const std::vector<std::string>& words) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) const;
  double number(const std::string& name, double fallback, double lo, double hi) const;
  std::vector<std::string> strings(const std::string& name) const;
  const toml::table* table(const std::string& name) const;
  const toml::array* array(const std::string& name) const;
  const std::string& file() const { return file_; }

 private:
  const toml::table& table_;
  std::string file_, prefix_;
};

// A TOML value as a --set literal: "adam" -> adam, 64 -> 64, 0.5 -> 0.5, 1.0 -> 1.0, true -> true.
std::string literal_of(const toml::node& node);
std::string float_literal(double value);

// [search.space]: the dims in file order; each validated against the base config.
std::vector<SpaceDim> read_space(const toml::table& space, const std::string& file);
void check_space_against_base(const SearchSpec& spec);

}  // namespace gradnet::search
