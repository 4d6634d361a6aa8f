// [optimizer] in the config schema. Its keys are staged (optimizer_section.h): each reads into a
// FlatOptimizer, resolved with the others once all are read; each writes back from the typed
// OptimizerConfig flattened (the type's own options, the type's defaults for the rest).
#include "schema.h"
#include "schema_builder.h"

namespace gradnet::config_schema {
namespace {

// A staged [optimizer] key: FlatOptimizer::member under `name`; its default is the sgd config's.
template <typename T>
Builder flat_field(T FlatOptimizer::*member, const char* name, ValueKind kind, std::string doc) {
  Builder b;
  b.key.section = "optimizer";
  b.key.spec.name = name;
  b.key.spec.kind = kind;
  b.key.spec.doc = std::move(doc);
  b.key.get = [member](const Config& c) { return to_value(flatten(c.optimizer).*member); };
  b.key.stage = [member](FlatOptimizer& f, const Value& v) { f.*member = from_value<T>(v); };
  b.key.spec.default_value = b.key.get(Config{});
  if constexpr (NamedEnum<T>) b.key.spec.choices = enum_words<T>();
  return b;
}

}  // namespace

void optimizer_keys(Section v) {
  using F = FlatOptimizer;
  {
    Builder b = flat_field(&F::type, "type", K::string,
                      "the optimizer (docs/optimizers.md): sgd, adagrad, rmsprop, adam, adamw (decoupled weight decay), "
                      "adadelta, lbfgs (full batch); setting it also sets the type's defaults of lr (adadelta, lbfgs: "
                      "1), eps (adagrad: 1e-10, adadelta: 1e-6) and weight_decay (adamw: 0.01), which keys below override");
    v.add(b);
  }
  v.add(flat_field(&F::lr, "lr", K::number,
            "the base learning rate (the schedule scales it); default 0.01, adadelta and lbfgs 1")
          .above(0));
  v.add(flat_field(&F::momentum, "momentum", K::number, "sgd, rmsprop: momentum factor (PyTorch's SGD: "
            "v = momentum·v + (1 - dampening)·g)")
          .at_least(0).below(1));
  v.add(flat_field(&F::dampening, "dampening", K::number, "sgd: dampening for momentum")
          .at_least(0).at_most(1));
  v.add(flat_field(&F::nesterov, "nesterov", K::boolean,
            "sgd: Nesterov momentum; needs momentum > 0 and dampening = 0 (PyTorch's rule)"));
  v.add(flat_field(&F::weight_decay, "weight_decay", K::number,
            "L2 penalty added to the gradient: g + weight_decay·w (adamw: decoupled, w -= lr·weight_decay·w; "
            "default 0, adamw 0.01); each param scales it by its layer's decay_mult")
          .at_least(0));
  v.add(flat_field(&F::betas, "betas", K::number_list,
            "adam, adamw: [beta1, beta2], the decay rates of the gradient's running mean and square")
          .at_least(0).below(1)
          .rule("two numbers", [](const Value& x) {
            return std::get<std::vector<double>>(x).size() == 2 ? "" : "two numbers [beta1, beta2], each in [0, 1)";
          }));
  v.add(flat_field(&F::eps, "eps", K::number,
            "adagrad, rmsprop, adam, adamw, adadelta: added to the denominator; default 1e-8, adagrad 1e-10, "
            "adadelta 1e-6")
          .above(0));
  v.add(flat_field(&F::amsgrad, "amsgrad", K::boolean,
            "adam, adamw: divide by the running maximum of the squared-gradient average (AMSGrad)"));
  v.add(flat_field(&F::bias_correction, "bias_correction", K::boolean,
            "adam, adamw: divide the moments by 1 - beta^t; false shows why it is there (tiny first steps)"));
  v.add(flat_field(&F::alpha, "alpha", K::number, "rmsprop: decay rate of the squared-gradient average")
          .at_least(0).at_most(1));
  v.add(flat_field(&F::centered, "centered", K::boolean,
            "rmsprop: divide by the estimated variance (subtract the squared mean gradient)"));
  v.add(flat_field(&F::rho, "rho", K::number, "adadelta: decay rate of the running averages")
          .at_least(0).at_most(1));
  v.add(flat_field(&F::lr_decay, "lr_decay", K::number,
            "adagrad: lr / (1 + (step - 1)·lr_decay), counted in steps")
          .at_least(0));
  v.add(flat_field(&F::initial_accumulator_value, "initial_accumulator_value", K::number,
            "adagrad: the starting value of the sum of squared gradients")
          .at_least(0));
  v.add(flat_field(&F::history_size, "history_size", K::integer,
            "lbfgs: how many (step, gradient change) pairs approximate the inverse Hessian")
          .at_least(1));
  v.add(flat_field(&F::max_iter, "max_iter", K::integer, "lbfgs: iterations per step (per batch)")
          .at_least(1));
  v.add(flat_field(&F::max_eval, "max_eval", K::integer,
            "lbfgs: loss evaluations per step; 0: max_iter·5/4 (PyTorch's default)")
          .at_least(0));
  v.add(flat_field(&F::tolerance_grad, "tolerance_grad", K::number,
            "lbfgs: a step stops once max |gradient| <= tolerance_grad")
          .at_least(0));
  v.add(flat_field(&F::tolerance_change, "tolerance_change", K::number,
            "lbfgs: a step stops once the loss or the params change by less")
          .at_least(0));
  v.add(flat_field(&F::line_search, "line_search", K::string,
            "lbfgs: none (fixed step lr) or strong_wolfe (PyTorch's strong-Wolfe line search)"));
  v.add(flat_field(&F::clip_norm, "clip_norm", K::number,
            "clip the gradient's global L2 norm (over every param) to this before the update "
            "(torch.nn.utils.clip_grad_norm_); 0: off")
          .at_least(0));
  v.add(flat_field(&F::clip_value, "clip_value", K::number,
            "clamp each gradient element to [-clip_value, clip_value] before the update (after clip_norm); 0: off")
          .at_least(0));
  v.add(flat_field(&F::no_decay_bias, "no_decay_bias", K::boolean,
            "no weight decay on biases and other 1-D params (normalization scales and shifts)"));
  v.add(flat_field(&F::lr_scaling, "lr_scaling", K::string,
            "when train.batch_sizes raises the batch from train.batch_size B0 to B: none, linear (lr·B/B0) or "
            "sqrt (lr·sqrt(B/B0))"));
}

}  // namespace gradnet::config_schema
