// Weight initialisers (PyTorch's formulas, our seeded Rng): zeros, constant, uniform, normal,
// xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal.
//   xavier_uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))
//   xavier_normal:  N(0, std), std = gain * sqrt(2 / (fan_in + fan_out))
//   kaiming_uniform: U(-b, b), b = gain * sqrt(3 / fan), fan = fan_in or fan_out (mode)
//   kaiming_normal:  N(0, std), std = gain / sqrt(fan)
// with gain = calculate_gain(nonlinearity) for kaiming (relu: sqrt 2, tanh: 5/3, ...).
#pragma once

#include <string>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/rng.h"
#include "gradnet/tensor.h"
#include "gradnet/value.h"

namespace gradnet {

enum class InitMethod {
  zeros, constant, uniform, normal, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal
};
enum class FanMode { fan_in, fan_out };
enum class Nonlinearity { linear, identity, sigmoid, tanh, relu, leaky_relu };

template <>
struct EnumNames<InitMethod> {
  static constexpr std::array<std::string_view, 8> words = {"zeros",          "constant",       "uniform",
                                                            "normal",         "xavier_uniform", "xavier_normal",
                                                            "kaiming_uniform", "kaiming_normal"};
};
template <>
struct EnumNames<FanMode> {
  static constexpr std::array<std::string_view, 2> words = {"fan_in", "fan_out"};
};
template <>
struct EnumNames<Nonlinearity> {
  static constexpr std::array<std::string_view, 6> words = {"linear", "identity", "sigmoid",
                                                            "tanh",   "relu",     "leaky_relu"};
};

struct InitSpec {
  InitMethod method = InitMethod::xavier_uniform;
  double gain = 1.0;                       // xavier: the gain; kaiming: derived from nonlinearity
  FanMode mode = FanMode::fan_in;          // kaiming
  Nonlinearity nonlinearity = Nonlinearity::relu;  // kaiming
  double slope = 0.01;                     // kaiming with leaky_relu: the negative slope
  double value = 0.0;                      // constant
  double low = -0.05, high = 0.05;         // uniform
  double mean = 0.0, std = 0.01;           // normal ("small random numbers", CS231n)
};

std::vector<std::string> init_methods();
// torch.nn.init.calculate_gain: linear/identity/sigmoid 1, tanh 5/3, relu sqrt(2),
// leaky_relu sqrt(2 / (1 + slope^2)).
double calculate_gain(Nonlinearity nonlinearity, double slope = 0.01);
double calculate_gain(const std::string& nonlinearity, double slope = 0.01);  // by name; Error{config} if unknown

// Fills t (any shape) from spec; fan_in/fan_out as PyTorch computes them for the weight.
template <typename T>
void init_tensor(Tensor<T>& t, const InitSpec& spec, Index fan_in, Index fan_out, Rng& rng);

// The init_* keys a layer with weights accepts (init, init_gain, init_mode, ...), and reading
// them back from a LayerSpec (Error{config} for a word that names no method, mode or
// nonlinearity: specs built in code are not validated by the config reader).
std::vector<KeySpec> init_keys(const std::string& default_method = "xavier_uniform");
InitSpec init_spec_from(const LayerSpec& spec);

}  // namespace gradnet
