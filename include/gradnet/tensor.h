// Tensor<T>: owning, contiguous, row-major storage with a shape.
// View<T>/ConstView<T>: a non-owning (rows x cols) window; a batch is rows = N examples,
// cols = the per-example size (layers that need C, H, W keep their own shape from setup()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradnet {

using Index = std::int64_t;
using Shape = std::vector<Index>;  // per-example shape, e.g. {784} or {C, H, W}

Index numel(const Shape& shape);          // product of dims (1 for {})
std::string shape_str(const Shape& shape);  // "[1, 28, 28]"

template <typename T>
struct View {
  T* data = nullptr;
  Index rows = 0;
  Index cols = 0;
  T* row(Index i) const { return data + i * cols; }
  T& operator()(Index i, Index j) const { return data[i * cols + j]; }
  Index size() const { return rows * cols; }
};

template <typename T>
struct ConstView {
  const T* data = nullptr;
  Index rows = 0;
  Index cols = 0;
  ConstView() = default;
  ConstView(const T* d, Index r, Index c) : data(d), rows(r), cols(c) {}
  ConstView(View<T> v) : data(v.data), rows(v.rows), cols(v.cols) {}  // NOLINT: implicit on purpose
  const T* row(Index i) const { return data + i * cols; }
  const T& operator()(Index i, Index j) const { return data[i * cols + j]; }
  Index size() const { return rows * cols; }
};

template <typename T>
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, T fill = T(0)) : shape_(std::move(shape)), data_(numel(shape_), fill) {}

  void resize(Shape shape, T fill = T(0)) {
    shape_ = std::move(shape);
    data_.assign(numel(shape_), fill);
  }
  void fill(T value) { data_.assign(data_.size(), value); }
  // Keeps the first `rows` rows (dim 0) in place: no copy, no new allocation.
  void truncate_rows(Index rows) {
    const Index row_size = shape_.empty() || shape_[0] == 0 ? 0 : size() / shape_[0];
    shape_[0] = rows;
    data_.resize(static_cast<std::size_t>(rows * row_size));
  }

  const Shape& shape() const { return shape_; }
  Index dim(int i) const { return shape_[i]; }
  Index size() const { return static_cast<Index>(data_.size()); }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  T& operator[](Index i) { return data_[i]; }
  const T& operator[](Index i) const { return data_[i]; }
  std::vector<T>& vec() { return data_; }
  const std::vector<T>& vec() const { return data_; }

  // The tensor as rows x cols with rows = dim 0 (a matrix or a batch).
  View<T> view() { return {data(), shape_.empty() ? 1 : shape_[0], shape_.empty() ? 1 : size() / std::max<Index>(shape_[0], 1)}; }
  ConstView<T> view() const { return {data(), shape_.empty() ? 1 : shape_[0], shape_.empty() ? 1 : size() / std::max<Index>(shape_[0], 1)}; }

 private:
  Shape shape_;
  std::vector<T> data_;
};

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace gradnet
