// Optimizers on small hand-made problems: every type decreases a quadratic, frozen params stay put,
// lr_mult / decay_mult / no_decay_bias scale as documented, clipping bounds the gradient, and
// state() -> load_state() gives identical later steps.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "gradnet/config.h"
#include "gradnet/error.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet {
namespace {

// The type with its defaults (the learning rate is step()'s argument, not an option).
OptimizerOptions options_of(const std::string& type) { return OptimizerOptions::of(*parse_enum<OptimizerType>(type)); }

double lr_for(const std::string& type) {
  if (type == "sgd") return 0.1;
  if (type == "rmsprop") return 0.01;
  if (type == "adagrad") return 0.5;
  if (type == "adadelta" || type == "lbfgs") return 1.0;
  return 0.05;  // adam, adamw
}

// f(w) = ½ Σ a_i (w_i - c_i)², a badly conditioned bowl over a (2, 3) param and a (3,) bias.
template <typename T>
struct Quadratic {
  Param<T> w, b;
  Quadratic() {
    w.name = "w";
    b.name = "b";
    w.resize({2, 3});
    b.resize({3});
    for (Index i = 0; i < 6; ++i) w.value[i] = static_cast<T>(0.5 * i - 1.0);
    for (Index i = 0; i < 3; ++i) b.value[i] = static_cast<T>(1.0 - 0.7 * i);
  }
  std::vector<Param<T>*> params() { return {&w, &b}; }
  static double a(Index i) { return 1.0 + 0.5 * static_cast<double>(i); }
  static double c(Index i) { return 0.25 * static_cast<double>(i % 3) - 0.3; }
  // The loss, and the gradient written into the grads (as a closure must).
  double eval() {
    double f = 0.0;
    Index k = 0;
    for (Param<T>* p : params())
      for (Index i = 0; i < p->value.size(); ++i, ++k) {
        const double r = static_cast<double>(p->value[i]) - c(k);
        f += 0.5 * a(k) * r * r;
        p->grad[i] = static_cast<T>(a(k) * r);
      }
    return f;
  }
};

template <typename T>
void expect_decreases(const std::string& type) {
  Quadratic<T> q;
  const double f0 = q.eval();
  auto opt = make_optimizer<T>(options_of(type), q.params());
  for (int s = 0; s < 100; ++s) opt->step_closure(lr_for(type), [&] { return q.eval(); });
  const double f1 = q.eval();
  EXPECT_TRUE(std::isfinite(f1)) << type;
  EXPECT_LT(f1, (type == "adadelta" ? 0.9 : 0.1) * f0) << type << ": " << f0 << " -> " << f1;
}

TEST(Optimizers, EveryTypeDecreasesAQuadratic) {
  for (const std::string& type : optimizer_types()) {
    expect_decreases<double>(type);
    expect_decreases<float>(type);
  }
}

TEST(Optimizers, FrozenParamsDoNotMove) {
  for (const std::string& type : optimizer_types()) {
    Quadratic<double> q;
    q.b.frozen = true;
    const std::vector<double> before = q.b.value.to_vector(), w_before = q.w.value.to_vector();
    OptimizerOptions c = options_of(type);
    if (type != "lbfgs") c.update.weight_decay = 0.1;
    auto opt = make_optimizer<double>(c, q.params());
    for (int s = 0; s < 5; ++s) opt->step_closure(lr_for(type), [&] { return q.eval(); });
    EXPECT_EQ(q.b.value.to_vector(), before) << type;
    EXPECT_NE(q.w.value.to_vector(), w_before) << type;
  }
}

// One plain SGD step from w = 1 with grad g: the move tells the rate and decay the param got.
double sgd_move(float lr_mult, float decay_mult, bool no_decay_bias, bool bias_shaped, double weight_decay,
                double grad, const std::string& type = "sgd") {
  Param<double> p;
  p.name = bias_shaped ? "layers.0.bias" : "layers.0.weight";
  p.resize(bias_shaped ? Shape{1} : Shape{1, 1});
  p.value[0] = 1.0;
  p.grad[0] = grad;
  p.lr_mult = lr_mult;
  p.decay_mult = decay_mult;
  OptimizerOptions c = options_of(type);
  c.update.weight_decay = weight_decay;
  c.update.no_decay_bias = no_decay_bias;
  auto opt = make_optimizer<double>(c, {&p});
  opt->step(0.1);
  return 1.0 - p.value[0];
}

TEST(Optimizers, LrMultAndDecayMultScale) {
  EXPECT_NEAR(sgd_move(1, 1, false, false, 0, 2.0), 0.2, 1e-15);
  EXPECT_NEAR(sgd_move(0.5f, 1, false, false, 0, 2.0), 0.1, 1e-15);
  EXPECT_NEAR(sgd_move(0, 1, false, false, 0, 2.0), 0.0, 1e-15);
  EXPECT_NEAR(sgd_move(1, 1, false, false, 0.5, 0.0), 0.05, 1e-15);   // lr · wd · w
  EXPECT_NEAR(sgd_move(1, 2, false, false, 0.5, 0.0), 0.1, 1e-15);    // decay_mult 2
  EXPECT_NEAR(sgd_move(1, 1, true, true, 0.5, 0.0), 0.0, 1e-15);      // no_decay_bias spares the bias
  EXPECT_NEAR(sgd_move(1, 1, true, false, 0.5, 0.0), 0.05, 1e-15);    // ... not the weight
  EXPECT_NEAR(sgd_move(1, 1, false, true, 0.5, 0.0), 0.05, 1e-15);    // the bias decays without it
  // adamw: decoupled, w *= 1 - lr·lr_mult·wd·decay_mult (zero grad: Adam's own move is 0)
  EXPECT_NEAR(sgd_move(1, 1, false, false, 0.5, 0.0, "adamw"), 0.05, 1e-15);
  EXPECT_NEAR(sgd_move(0.5f, 2, false, false, 0.5, 0.0, "adamw"), 0.05, 1e-15);
  EXPECT_NEAR(sgd_move(1, 1, true, true, 0.5, 0.0, "adamw"), 0.0, 1e-15);
}

TEST(Optimizers, ClipNormBoundsTheGlobalNorm) {
  Quadratic<double> q;
  for (Param<double>* p : q.params()) p->grad.fill(3.0);  // ‖g‖ = 3·3 = 9
  const std::vector<double> w0 = q.w.value.to_vector(), b0 = q.b.value.to_vector();
  OptimizerOptions c = options_of("sgd");
  c.update.clip_norm = 0.5;
  auto opt = make_optimizer<double>(c, q.params());
  opt->step(1.0);
  double sq = 0.0;
  for (Index i = 0; i < 6; ++i) sq += std::pow(q.w.value[i] - w0[i], 2);
  for (Index i = 0; i < 3; ++i) sq += std::pow(q.b.value[i] - b0[i], 2);
  EXPECT_NEAR(std::sqrt(sq), 0.5, 1e-6);
  EXPECT_LE(std::sqrt(sq), 0.5);
  // Below the bound nothing changes.
  for (Param<double>* p : q.params()) p->grad.fill(0.01);
  const std::vector<double> w1 = q.w.value.to_vector();
  opt->step(1.0);
  EXPECT_NEAR(w1[0] - q.w.value[0], 0.01, 1e-15);
}

TEST(Optimizers, ClipValueClampsEachElement) {
  Quadratic<double> q;
  q.w.grad.assign({-5, -0.01, 0, 0.02, 3, 100});
  q.b.grad.fill(0.0);
  const std::vector<double> w0 = q.w.value.to_vector();
  OptimizerOptions c = options_of("sgd");
  c.update.clip_value = 0.1;
  auto opt = make_optimizer<double>(c, q.params());
  opt->step(1.0);
  const std::vector<double> want = {-0.1, -0.01, 0, 0.02, 0.1, 0.1};
  for (Index i = 0; i < 6; ++i) EXPECT_NEAR(w0[i] - q.w.value[i], want[i], 1e-15) << i;
}

template <typename T>
void expect_state_round_trip(const std::string& type) {
  OptimizerOptions c = options_of(type);
  const double lr = lr_for(type);
  if (type == "sgd") c.sgd().momentum = 0.9;
  if (type == "rmsprop") c.rmsprop().momentum = 0.9, c.rmsprop().centered = true;
  if (type == "adam") c.adam().amsgrad = true;
  if (type == "lbfgs") c.lbfgs().history_size = 3, c.lbfgs().max_iter = 2, c.lbfgs().line_search = LineSearch::strong_wolfe;
  Quadratic<T> a;
  auto opt_a = make_optimizer<T>(c, a.params());
  for (int s = 0; s < 3; ++s) opt_a->step_closure(lr, [&] { return a.eval(); });
  std::map<std::string, Tensor<T>> saved;
  for (const auto& [name, tensor] : opt_a->state()) saved[name] = *tensor;
  ASSERT_TRUE(saved.count(type == "lbfgs" ? "lbfgs.scalars" : "step")) << type;
  if (type != "lbfgs") EXPECT_EQ(static_cast<double>(saved.at("step")[0]), 3.0) << type;

  Quadratic<T> b;  // same params, fresh optimizer, loaded state
  b.w.value = a.w.value;
  b.b.value = a.b.value;
  auto opt_b = make_optimizer<T>(c, b.params());
  opt_b->load_state(saved);
  for (int s = 0; s < 4; ++s) {
    opt_a->step_closure(lr, [&] { return a.eval(); });
    opt_b->step_closure(lr, [&] { return b.eval(); });
  }
  EXPECT_EQ(a.w.value.to_vector(), b.w.value.to_vector()) << type;
  EXPECT_EQ(a.b.value.to_vector(), b.b.value.to_vector()) << type;

  // A fresh optimizer does not continue the same way (the state matters).
  Quadratic<T> fresh;
  fresh.w.value = b.w.value;
  fresh.b.value = b.b.value;
  auto opt_c = make_optimizer<T>(c, fresh.params());
  opt_b->step_closure(lr, [&] { return b.eval(); });
  opt_c->step_closure(lr, [&] { return fresh.eval(); });
  EXPECT_NE(b.w.value.to_vector(), fresh.w.value.to_vector()) << type;
}

TEST(Optimizers, StateRoundTripGivesIdenticalSteps) {
  for (const std::string& type : optimizer_types()) {
    expect_state_round_trip<double>(type);
    expect_state_round_trip<float>(type);
  }
}

TEST(Optimizers, StateNamesFollowTheParams) {
  Quadratic<double> q;
  auto opt = make_optimizer<double>(options_of("adam"), q.params());
  std::vector<std::string> names;
  for (const auto& [name, tensor] : opt->state()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"step", "w.exp_avg", "b.exp_avg", "w.exp_avg_sq", "b.exp_avg_sq"}));
}

TEST(Optimizers, LoadStateRefusesAMismatch) {
  Quadratic<double> q;
  auto opt = make_optimizer<double>(options_of("adam"), q.params());
  std::map<std::string, Tensor<double>> saved;
  for (const auto& [name, tensor] : opt->state()) saved[name] = *tensor;
  auto missing = saved;
  missing.erase("w.exp_avg");
  try {
    opt->load_state(missing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::checkpoint);
    EXPECT_NE(std::string(e.what()).find("missing tensor 'w.exp_avg'"), std::string::npos) << e.what();
  }
  auto reshaped = saved;
  reshaped["b.exp_avg"] = Tensor<double>(Shape{4});
  EXPECT_THROW(opt->load_state(reshaped), Error);
  auto extra = saved;
  extra["b.momentum_buffer"] = Tensor<double>(Shape{3});
  EXPECT_THROW(opt->load_state(extra), Error);
}

TEST(Optimizers, LbfgsNeedsAClosure) {
  Quadratic<double> q;
  auto opt = make_optimizer<double>(options_of("lbfgs"), q.params());
  EXPECT_TRUE(opt->needs_closure());
  try {
    opt->step(1.0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("step_closure"), std::string::npos) << e.what();
  }
  auto sgd = make_optimizer<double>(options_of("sgd"), q.params());
  EXPECT_FALSE(sgd->needs_closure());
}

TEST(Optimizers, LbfgsSolvesTheQuadratic) {
  for (const char* search : {"none", "strong_wolfe"}) {
    Quadratic<double> q;
    OptimizerOptions c = options_of("lbfgs");
    c.lbfgs().line_search = *parse_enum<LineSearch>(search);
    auto opt = make_optimizer<double>(c, q.params());
    const double f0 = opt->step_closure(1.0, [&] { return q.eval(); });
    EXPECT_GT(f0, 1.0);
    opt->step_closure(1.0, [&] { return q.eval(); });
    EXPECT_LT(q.eval(), 1e-8) << search;
  }
}

// make_optimizer takes the type as an enum; an unknown word is refused where it is read.
TEST(Optimizers, UnknownTypeSuggestsTheClosest) {
  try {
    parse_config("[model]\ninput = [2]\nlayers = [{ type = \"linear\", out = 2 }]\n[optimizer]\ntype = \"adma\"\n",
                 "o.toml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("did you mean 'adam'?"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gradnet
