// Weight initialisers with PyTorch's formulas (torch/nn/init.py) and our seeded Rng: the same
// seed gives the same weights on every platform. Formulas in init.h and docs/layers.md.
#include "gradnet/init.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace gradnet {

std::vector<std::string> init_methods() { return enum_words<InitMethod>(); }

double calculate_gain(Nonlinearity nonlinearity, double slope) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::identity:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  return 1.0;
}

double calculate_gain(const std::string& nonlinearity, double slope) {
  const std::optional<Nonlinearity> n = parse_enum<Nonlinearity>(nonlinearity);
  GRADNET_CHECK(n.has_value(), config,
                "init_nonlinearity '{}': expected one of linear, identity, sigmoid, tanh, relu, leaky_relu", nonlinearity);
  return calculate_gain(*n, slope);
}

template <typename T>
static void fill_uniform(Tensor<T>& t, double lo, double hi, Rng& rng) {
  for (Index i = 0; i < t.size(); ++i) t[i] = static_cast<T>(rng.uniform(lo, hi));
}

template <typename T>
static void fill_normal(Tensor<T>& t, double mean, double stddev, Rng& rng) {
  for (Index i = 0; i < t.size(); ++i) t[i] = static_cast<T>(rng.normal(mean, stddev));
}

template <typename T>
void init_tensor(Tensor<T>& t, const InitSpec& spec, Index fan_in, Index fan_out, Rng& rng) {
  const InitMethod m = spec.method;
  // Fans of 0 (an empty tensor) would divide by zero; PyTorch refuses them too.
  GRADNET_CHECK(fan_in > 0 && fan_out > 0, shape, "init {}: fan_in {} and fan_out {} must be > 0", m, fan_in,
                fan_out);
  switch (m) {
    case InitMethod::zeros: t.fill(T(0)); break;
    case InitMethod::constant: t.fill(static_cast<T>(spec.value)); break;
    case InitMethod::uniform: fill_uniform(t, spec.low, spec.high, rng); break;
    case InitMethod::normal: fill_normal(t, spec.mean, spec.std, rng); break;
    case InitMethod::xavier_uniform: {
      const double a = spec.gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
      fill_uniform(t, -a, a, rng);
      break;
    }
    case InitMethod::xavier_normal:
      fill_normal(t, 0.0, spec.gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), rng);
      break;
    case InitMethod::kaiming_uniform:
    case InitMethod::kaiming_normal: {
      const double fan = static_cast<double>(spec.mode == FanMode::fan_in ? fan_in : fan_out);
      const double gain = calculate_gain(spec.nonlinearity, spec.slope);
      if (m == InitMethod::kaiming_uniform) {
        const double b = gain * std::sqrt(3.0 / fan);
        fill_uniform(t, -b, b, rng);
      } else {
        fill_normal(t, 0.0, gain / std::sqrt(fan), rng);
      }
      break;
    }
  }
}

template void init_tensor<float>(Tensor<float>&, const InitSpec&, Index, Index, Rng&);
template void init_tensor<double>(Tensor<double>&, const InitSpec&, Index, Index, Rng&);

std::vector<KeySpec> init_keys(const std::string& default_method) {
  const InitSpec d;
  std::vector<KeySpec> keys;
  keys.push_back({"init", ValueKind::string, Value(default_method),
                  "weight initialiser (default " + default_method + ")", init_methods(), {}, {}});
  keys.push_back({"init_gain", ValueKind::number, Value(d.gain),
                  "xavier_*: scale factor on the bound/std (default 1.0)", {}, 1e-12, {}});
  keys.push_back({"init_mode", ValueKind::string, Value(std::string(name_of(d.mode))),
                  "kaiming_*: fan used for the variance, fan_in keeps forward variance (default fan_in)",
                  enum_words<FanMode>(), {}, {}});
  std::vector<std::string> nonlinearities = enum_words<Nonlinearity>();
  nonlinearities.push_back("auto");
  keys.push_back({"init_nonlinearity", ValueKind::string, Value(std::string("auto")),
                  "kaiming_*: the activation that follows, sets the gain; auto (default): the first activation "
                  "after this layer, looking through pooling, flatten, dropout and normalisation; linear (gain 1) "
                  "when a weighted layer or the end of the net comes first",
                  nonlinearities, {}, {}});
  keys.push_back({"init_slope", ValueKind::number, Value(d.slope),
                  "kaiming_* with leaky_relu: its negative slope (default 0.01)", {}, 0.0, {}});
  keys.push_back({"init_value", ValueKind::number, Value(d.value), "constant: the value (default 0)", {}, {}, {}});
  keys.push_back({"init_low", ValueKind::number, Value(d.low), "uniform: lower bound (default -0.05)", {}, {}, {}});
  keys.push_back({"init_high", ValueKind::number, Value(d.high), "uniform: upper bound (default 0.05)", {}, {}, {}});
  keys.push_back({"init_mean", ValueKind::number, Value(d.mean), "normal: mean (default 0)", {}, {}, {}});
  keys.push_back({"init_std", ValueKind::number, Value(d.std), "normal: standard deviation, > 0 (default 0.01)",
                  {}, 1e-12, {}});
  return keys;
}

namespace {

// A word of a layer spec as enum E; Error{config} naming the layer for one that is not E's.
template <typename E>
E word_of(const LayerSpec& spec, const char* key, const std::vector<std::string>& words) {
  const std::string& word = spec.get_string(key);
  if (const std::optional<E> e = parse_enum<E>(word)) return *e;
  if (std::string(key) == "init") {
    const auto hint = closest_match(word, words);
    fail(ErrorKind::config, "unknown init '{}'{}", word, hint ? " (did you mean '" + *hint + "'?)" : std::string());
  }
  fail(ErrorKind::config, "layers.{} ({}): {} = '{}': expected one of {}", spec.index, spec.type, key, word,
       fmt::join(words, ", "));
}

}  // namespace

InitSpec init_spec_from(const LayerSpec& spec) {
  // Keys the spec lacks keep InitSpec's defaults (a validated spec has them all).
  InitSpec s;
  if (spec.has("init")) s.method = word_of<InitMethod>(spec, "init", init_methods());
  if (spec.has("init_gain")) s.gain = spec.get_number("init_gain");
  if (spec.has("init_mode")) s.mode = word_of<FanMode>(spec, "init_mode", enum_words<FanMode>());
  // "auto" is resolved by the config reader from the layers that follow; a spec built in code has
  // no net to look at and keeps InitSpec's relu (PyTorch's kaiming default, leaky_relu with a = 0).
  if (spec.has("init_nonlinearity") && spec.get_string("init_nonlinearity") != "auto")
    s.nonlinearity = word_of<Nonlinearity>(spec, "init_nonlinearity", enum_words<Nonlinearity>());
  if (spec.has("init_slope")) s.slope = spec.get_number("init_slope");
  if (spec.has("init_value")) s.value = spec.get_number("init_value");
  if (spec.has("init_low")) s.low = spec.get_number("init_low");
  if (spec.has("init_high")) s.high = spec.get_number("init_high");
  if (spec.has("init_mean")) s.mean = spec.get_number("init_mean");
  if (spec.has("init_std")) s.std = spec.get_number("init_std");
  const std::string where = "layers." + std::to_string(spec.index) + " (" + spec.type + ")";
  GRADNET_CHECK(s.low < s.high || s.method != InitMethod::uniform, config, "{}: init_low {} must be below init_high {}", where,
                s.low, s.high);
  return s;
}

}  // namespace gradnet
