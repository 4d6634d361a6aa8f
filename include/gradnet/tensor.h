// Tensor<T>: contiguous, row-major storage with a shape; owning, or an explicit alias of another
// tensor's values (alias()).
// View<T>/ConstView<T>: a non-owning (rows x cols) window; a batch is rows = N examples,
// cols = the per-example size (layers that need C, H, W keep their own shape from setup()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
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
  explicit Tensor(Shape shape, T fill = T(0)) : shape_(std::move(shape)), data_(numel(shape_), fill) { own(); }
  // A copy always owns its values, even a copy of an alias.
  Tensor(const Tensor& o) : shape_(o.shape_), data_(o.ptr_, o.ptr_ + o.size_) { own(); }
  Tensor& operator=(const Tensor& o) {
    if (this != &o) {
      std::vector<T> values(o.ptr_, o.ptr_ + o.size_);
      shape_ = o.shape_;
      data_ = std::move(values);
      own();
    }
    return *this;
  }
  Tensor(Tensor&& o) noexcept { take(std::move(o)); }
  Tensor& operator=(Tensor&& o) noexcept {
    if (this != &o) take(std::move(o));
    return *this;
  }

  void resize(Shape shape, T fill = T(0)) {
    shape_ = std::move(shape);
    data_.assign(numel(shape_), fill);
    own();
  }
  // Takes `values` as this tensor's storage; their count must be the shape's (the caller checks).
  void assign(std::vector<T> values) {
    data_ = std::move(values);
    own();
  }
  // Copies `values` in: into this tensor's storage (an alias's owner's) where the count is the
  // same, else into storage of its own.
  void set_values(std::span<const T> values) {
    if (static_cast<Index>(values.size()) == size_) {
      std::copy(values.begin(), values.end(), ptr_);
    } else {
      data_.assign(values.begin(), values.end());
      own();
    }
  }
  void fill(T value) { std::fill(ptr_, ptr_ + size_, value); }
  // Keeps the first `rows` rows (dim 0) in place: no copy, no new allocation.
  void truncate_rows(Index rows) {
    const Index row_size = shape_.empty() || shape_[0] == 0 ? 0 : size() / shape_[0];
    shape_[0] = rows;
    if (alias_) {
      size_ = rows * row_size;
      return;
    }
    data_.resize(static_cast<std::size_t>(rows * row_size));
    own();
  }
  // Makes this tensor a window on `owner`'s values (same shape): no copy, reads and writes go to
  // owner's storage, which must outlive this alias and not be resized while it is one. The thread
  // shards' nets read the trained net's weights this way (step_shards.cpp). resize() or assign()
  // make the tensor own its values again.
  void alias(Tensor& owner) {
    shape_ = owner.shape_;
    data_ = std::vector<T>();
    ptr_ = owner.ptr_;
    size_ = owner.size_;
    alias_ = true;
  }
  bool is_alias() const { return alias_; }

  const Shape& shape() const { return shape_; }
  Index dim(int i) const { return shape_[i]; }
  Index size() const { return size_; }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  T& operator[](Index i) { return ptr_[i]; }
  const T& operator[](Index i) const { return ptr_[i]; }
  std::span<T> values() { return {ptr_, static_cast<std::size_t>(size_)}; }
  std::span<const T> values() const { return {ptr_, static_cast<std::size_t>(size_)}; }
  std::vector<T> to_vector() const { return std::vector<T>(ptr_, ptr_ + size_); }

  // The tensor as rows x cols with rows = dim 0 (a matrix or a batch).
  View<T> view() { return {data(), shape_.empty() ? 1 : shape_[0], shape_.empty() ? 1 : size() / std::max<Index>(shape_[0], 1)}; }
  ConstView<T> view() const { return {data(), shape_.empty() ? 1 : shape_[0], shape_.empty() ? 1 : size() / std::max<Index>(shape_[0], 1)}; }

 private:
  void own() {
    ptr_ = data_.data();
    size_ = static_cast<Index>(data_.size());
    alias_ = false;
  }
  void take(Tensor&& o) {
    shape_ = std::move(o.shape_);
    data_ = std::move(o.data_);
    if (o.alias_) {
      ptr_ = o.ptr_;
      size_ = o.size_;
      alias_ = true;
    } else {
      own();
    }
    o.data_.clear();
    o.own();
  }

  Shape shape_;
  std::vector<T> data_;
  T* ptr_ = nullptr;   // data_.data(), or the owner's values when an alias
  Index size_ = 0;
  bool alias_ = false;
};

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace gradnet
