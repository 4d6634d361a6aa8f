// Tiny search studies on iris for the search tests: a SEARCH.toml around configs/iris-mlp.toml.
#pragma once

#include <string>

#include "test_support.h"

namespace gradnet::testing {

// base = configs/iris-mlp.toml with the monitors off; `search` is the [search...] part.
inline std::string iris_spec(const std::string& search) {
  return "base = \"" + source_dir() + "/configs/iris-mlp.toml\"\nset = [\"monitor.enabled=false\"]\n" + search;
}

}  // namespace gradnet::testing
