// Tensor's two kinds of storage (include/gradnet/tensor.h): owning, and an alias of another
// tensor's values (the thread shards' nets read the trained net's weights that way).
#include <gtest/gtest.h>

#include "gradnet/tensor.h"

namespace gradnet {
namespace {

TEST(Tensor, AnAliasReadsAndWritesItsOwnersValues) {
  Tensor<float> owner({2, 3}, 1.0f);
  Tensor<float> alias({2, 3});
  alias.alias(owner);
  EXPECT_TRUE(alias.is_alias());
  EXPECT_FALSE(owner.is_alias());
  EXPECT_EQ(alias.data(), owner.data());
  EXPECT_EQ(alias.shape(), owner.shape());
  EXPECT_EQ(alias.size(), 6);
  owner[4] = 7.0f;
  EXPECT_EQ(alias[4], 7.0f);
  alias[1] = -2.0f;  // writes go to the owner
  EXPECT_EQ(owner[1], -2.0f);
  alias.set_values(std::vector<float>{1, 2, 3, 4, 5, 6});  // same count: into the owner's storage
  EXPECT_EQ(owner.to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(alias.is_alias());
  alias.fill(0.5f);
  EXPECT_EQ(owner[5], 0.5f);
  EXPECT_EQ(alias.view().rows, 2);
  EXPECT_EQ(alias.view().cols, 3);
}

TEST(Tensor, ACopyOfAnAliasOwnsItsValues) {
  Tensor<double> owner({4}, 3.0);
  Tensor<double> alias;
  alias.alias(owner);
  const Tensor<double> copy = alias;
  Tensor<double> assigned({1});
  assigned = alias;
  owner[0] = 9.0;
  for (const Tensor<double>* t : {&copy, static_cast<const Tensor<double>*>(&assigned)}) {
    EXPECT_FALSE(t->is_alias());
    EXPECT_NE(t->data(), owner.data());
    EXPECT_EQ(t->to_vector(), (std::vector<double>{3, 3, 3, 3}));
  }
  Tensor<double> moved = std::move(alias);  // a move keeps the window
  EXPECT_TRUE(moved.is_alias());
  EXPECT_EQ(moved[0], 9.0);
}

TEST(Tensor, ResizeAssignOrOtherCountsMakeAnAliasOwnAgain) {
  Tensor<float> owner({3}, 1.0f);
  Tensor<float> a, b, c;
  for (Tensor<float>* t : {&a, &b, &c}) t->alias(owner);
  a.resize({2}, 4.0f);
  b.assign({5.0f, 6.0f, 7.0f});
  c.set_values(std::vector<float>{8.0f, 9.0f});  // another count: storage of its own
  for (Tensor<float>* t : {&a, &b, &c}) {
    EXPECT_FALSE(t->is_alias());
    EXPECT_NE(t->data(), owner.data());
  }
  EXPECT_EQ(owner.to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(a.to_vector(), (std::vector<float>{4, 4}));
  EXPECT_EQ(b.to_vector(), (std::vector<float>{5, 6, 7}));
  EXPECT_EQ(c.size(), 2);
}

TEST(Tensor, TruncatingKeepsTheFirstRowsInPlace) {
  Tensor<float> owner({4, 2}, 1.0f);
  const float* before = owner.data();
  owner.truncate_rows(3);
  EXPECT_EQ(owner.data(), before);
  EXPECT_EQ(owner.size(), 6);
  Tensor<float> alias;
  alias.alias(owner);
  alias.truncate_rows(1);
  EXPECT_TRUE(alias.is_alias());
  EXPECT_EQ(alias.size(), 2);
  EXPECT_EQ(owner.size(), 6);
}

}  // namespace
}  // namespace gradnet
