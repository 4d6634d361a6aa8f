// The gradnet Python module (python/*.cpp, built as build/python/gradnet/_gradnet.<abi>.so beside
// python/gradnet/__init__.py, which imports it): the pieces
// module.cpp puts together. docs/python.md describes what Python sees.
#pragma once

#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace gradnet::python {

namespace py = pybind11;

// A config given as a dict, as TOML text for parse_config. Keys are strings; values are bools,
// ints, floats, strings, lists and dicts (NumPy scalars too); None is refused: TOML has no null.
// Error{config} naming the key for anything else.
std::string dict_to_toml(const py::dict& config);

// gradnet.train(...): see module.cpp.
void bind_train(py::module_& m);
// gradnet.Model and gradnet.load(...): see model.cpp.
void bind_model(py::module_& m);

}  // namespace gradnet::python
