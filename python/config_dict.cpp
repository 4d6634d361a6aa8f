// A config dict as TOML: toml++ builds the table, so quoting and escaping are toml++'s.
#include <memory>
#include <sstream>

#include <toml++/toml.h>

#include "bindings.h"
#include "gradnet/error.h"

namespace gradnet::python {

namespace {

toml::table to_table(const py::dict& d, const std::string& where);

// One value; `where` is its dotted key for messages ("model.layers.0.out").
std::unique_ptr<toml::node> to_node(const py::handle& v, const std::string& where) {
  // bool before int: Python's bool is an int. NumPy scalars have __index__ / __float__.
  if (py::isinstance<py::bool_>(v) || py::isinstance(v, py::module_::import("numpy").attr("bool_")))
    return std::make_unique<toml::value<bool>>(v.cast<bool>());
  if (py::isinstance<py::str>(v)) return std::make_unique<toml::value<std::string>>(v.cast<std::string>());
  if (py::isinstance<py::int_>(v) || (py::hasattr(v, "__index__") && !py::isinstance<py::float_>(v)))
    return std::make_unique<toml::value<std::int64_t>>(py::int_(py::reinterpret_borrow<py::object>(v)).cast<std::int64_t>());
  if (py::isinstance<py::float_>(v) || py::hasattr(v, "__float__"))
    return std::make_unique<toml::value<double>>(py::float_(py::reinterpret_borrow<py::object>(v)).cast<double>());
  if (py::isinstance<py::dict>(v)) return std::make_unique<toml::table>(to_table(v.cast<py::dict>(), where + "."));
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    auto array = std::make_unique<toml::array>();
    std::size_t i = 0;
    for (const py::handle item : v) {
      std::unique_ptr<toml::node> node = to_node(item, fmt::format("{}.{}", where, i++));
      array->push_back(std::move(*node));
    }
    return array;
  }
  if (v.is_none())
    fail(ErrorKind::config, "config dict: {} is None; TOML has no null: leave the key out for its default", where);
  fail(ErrorKind::config, "config dict: {} is a {}; give a bool, int, float, str, list or dict", where,
       py::str(py::type::of(v).attr("__name__")).cast<std::string>());
}

toml::table to_table(const py::dict& d, const std::string& prefix) {
  toml::table table;
  for (const auto& [key, value] : d) {
    GRADNET_CHECK(py::isinstance<py::str>(key), config, "config dict: a key {} under '{}' is not a string",
                  py::repr(key).cast<std::string>(), prefix.empty() ? "the top level" : prefix);
    const std::string name = key.cast<std::string>();
    table.insert(name, std::move(*to_node(value, prefix + name)));
  }
  return table;
}

}  // namespace

std::string dict_to_toml(const py::dict& config) {
  std::ostringstream out;
  out << to_table(config, "");
  return out.str();
}

}  // namespace gradnet::python
