#include "gradnet/tensor.h"

#include <fmt/format.h>

namespace gradnet {

Index numel(const Shape& shape) {
  Index n = 1;
  for (Index d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

template class Tensor<float>;
template class Tensor<double>;

}  // namespace gradnet
