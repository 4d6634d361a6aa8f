// Optimizer::begin_step + step_part (include/gradnet/optim/optimizer.h): the update done slice by
// slice, as the thread shards do it, gives step()'s bits for every first-order optimizer and every
// option that changes the rule (momentum, Nesterov, centered, amsgrad, decay, clipping, lr_mult).
#include <cstring>

#include <gtest/gtest.h>

#include "gradnet/optim/optimizer.h"
#include "gradnet/rng.h"

namespace gradnet {
namespace {

std::vector<Param<float>> make_params() {
  std::vector<Param<float>> ps(3);
  const Shape shapes[] = {{37, 29}, {37}, {5, 3}};  // sizes that 3 parts split unevenly; a bias
  const char* names[] = {"layers.0.weight", "layers.0.bias", "layers.2.weight"};
  Rng rng(11);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    ps[i].name = names[i];
    ps[i].resize(shapes[i]);
    for (Index j = 0; j < ps[i].value.size(); ++j) ps[i].value[j] = static_cast<float>(rng.normal());
  }
  ps[2].lr_mult = 0.5f;
  return ps;
}

void fill_grads(std::vector<Param<float>>& ps, int step) {
  Rng rng(100 + static_cast<std::uint64_t>(step));
  for (Param<float>& p : ps)
    for (Index j = 0; j < p.grad.size(); ++j) p.grad[j] = static_cast<float>(rng.normal());
}

std::vector<Param<float>*> pointers(std::vector<Param<float>>& ps) {
  std::vector<Param<float>*> out;
  for (Param<float>& p : ps) out.push_back(&p);
  return out;
}

// Five steps whole and five in `parts` parts (taken last part first): the params must be equal bit for bit.
void expect_parts_equal_whole(const OptimizerOptions& o, int parts) {
  std::vector<Param<float>> whole = make_params(), split = make_params();
  auto a = make_optimizer(o, pointers(whole));
  auto b = make_optimizer(o, pointers(split));
  ASSERT_TRUE(b->steps_in_parts());
  for (int step = 0; step < 5; ++step) {
    fill_grads(whole, step);
    fill_grads(split, step);
    a->step(0.05);
    b->begin_step(0.05);
    for (int part = parts - 1; part >= 0; --part) b->step_part(0.05, part, parts);
  }
  for (std::size_t i = 0; i < whole.size(); ++i)
    EXPECT_EQ(std::memcmp(whole[i].value.data(), split[i].value.data(), sizeof(float) * whole[i].value.size()), 0)
        << whole[i].name << " differs after 5 steps in " << parts << " parts";
}

TEST(OptimizerParts, EveryRuleGivesStepsBits) {
  std::vector<std::pair<std::string, OptimizerOptions>> cases;
  OptimizerOptions o = OptimizerOptions::of(OptimizerType::sgd);
  cases.emplace_back("sgd", o);
  o.sgd().momentum = 0.9, o.sgd().nesterov = true, o.update.weight_decay = 1e-3, o.update.clip_norm = 0.5;
  cases.emplace_back("sgd nesterov decay clip_norm", o);
  o = OptimizerOptions::of(OptimizerType::adam);
  o.adam().amsgrad = true, o.update.clip_value = 0.7;
  cases.emplace_back("adam amsgrad clip_value", o);
  cases.emplace_back("adamw", OptimizerOptions::of(OptimizerType::adamw));
  o = OptimizerOptions::of(OptimizerType::rmsprop);
  o.rmsprop().centered = true, o.rmsprop().momentum = 0.5;
  cases.emplace_back("rmsprop centered momentum", o);
  cases.emplace_back("adagrad", OptimizerOptions::of(OptimizerType::adagrad));
  cases.emplace_back("adadelta", OptimizerOptions::of(OptimizerType::adadelta));
  for (const auto& [name, options] : cases) {
    SCOPED_TRACE(name);
    expect_parts_equal_whole(options, 2);
    expect_parts_equal_whole(options, 3);
  }
}

TEST(OptimizerParts, LbfgsSaysItCannot) {
  std::vector<Param<float>> ps = make_params();
  EXPECT_FALSE(make_optimizer(OptimizerOptions::of(OptimizerType::lbfgs), pointers(ps))->steps_in_parts());
}

}  // namespace
}  // namespace gradnet
