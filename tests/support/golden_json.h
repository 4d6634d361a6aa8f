// Reading the committed PyTorch golden files (tests/golden/*.json, each written by a Python generator there).
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradnet::testing {

// The parsed tests/golden/<file>; throws when it cannot be opened.
inline nlohmann::json load_golden(const std::string& file) {
  const std::string path = std::string(GRADNET_SOURCE_DIR) + "/tests/golden/" + file;
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(f);
}

// Nested lists -> one flat row-major vector.
inline void flatten_into(const nlohmann::json& j, std::vector<double>& out) {
  if (j.is_array()) {
    for (const nlohmann::json& e : j) flatten_into(e, out);
  } else {
    out.push_back(j.get<double>());
  }
}

inline std::vector<double> flat(const nlohmann::json& j) {
  std::vector<double> v;
  flatten_into(j, v);
  return v;
}

}  // namespace gradnet::testing
