// Bias broadcast and bias gradient of a fully connected layer (dense.h).
#include "dense.h"

#include <algorithm>

namespace gradnet::kernels {

template <typename T>
void bias_broadcast(const T* b, T* y, Index rows, Index d) {
  for (Index i = 0; i < rows; ++i) std::copy(b, b + d, y + i * d);
}

template <typename T>
void bias_grad(const T* dy, T* db, Index rows, Index d) {
  for (Index i = 0; i < rows; ++i) {
    const T* dyi = dy + i * d;
    for (Index j = 0; j < d; ++j) db[j] += dyi[j];
  }
}

template void bias_broadcast<float>(const float*, float*, Index, Index);
template void bias_broadcast<double>(const double*, double*, Index, Index);
template void bias_grad<float>(const float*, float*, Index, Index);
template void bias_grad<double>(const double*, double*, Index, Index);

}  // namespace gradnet::kernels
