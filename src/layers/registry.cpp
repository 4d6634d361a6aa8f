// The layer registry: one explicit table, one row per type. Self-registration from static
// initialisers would be dropped by the static linker (nothing references those objects in
// libgradnet.a), so every layer is listed here by hand. A new layer is one row here, its .h/.cpp
// pair, and one entry in tests/golden/layer_cases.py (its gradient-check and PyTorch cases; the
// tests fail for a registered type without them). docs/layers.md is generated from these rows
// (layers_reference.cpp) and docs/config.md from their doc lines and keys; the order of the rows is
// the order of both documents and of the "known:" list in unknown-type errors.
#include "gradnet/layer_registry.h"

#include "gradnet/layers/activation.h"
#include "gradnet/layers/batch_norm.h"
#include "gradnet/layers/conv2d.h"
#include "gradnet/layers/dropout.h"
#include "gradnet/layers/linear.h"
#include "gradnet/layers/norm.h"
#include "gradnet/layers/pool.h"
#include "gradnet/layers/softmax.h"
#include "registry_util.h"

// A row names only the fields it sets (designated initializers); the rest keep their defaults
// (no keys, no monitor statistics, "linear" for init's "auto"), which -Wextra would flag each time.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace gradnet {
namespace {

// Sections of docs/layers.md (their introductions are in layers_reference.cpp).
const char* const kFullyConnected = "Fully connected";
const char* const kActivations = "Activations";
const char* const kConvNet = "Conv-net layers";
const char* const kSmooth = "Smooth activations";
const char* const kSoftmax = "Softmax";
const char* const kPerExampleNorm = "Per-example normalisation";

const char* const kKinkAtZero =
    "Reports `has_kink()`: the gradient check skips (and counts) elements whose perturbation moves an "
    "input of the layer across 0.";

}  // namespace

// The table, built on first use (the key tables come from functions in the layers' own files).
const std::vector<LayerInfo>& layer_infos() {
  static const std::vector<LayerInfo> infos = {
      layer<LinearLayer>({
          .type = "linear",
          .doc = "fully connected: y = x·Wᵀ + b, W (out, in); flattens its input",
          .keys = with_param_keys(linear_keys()),
          .reference = {.section = kFullyConnected,
                        .forward = "`y = b` broadcast, then `y += x·Wᵀ` (one sgemm/dgemm, beta 1); x (N, in), y (N, "
                                   "out), in = numel(input shape)",
                        .backward = "`dW += dyᵀ·x` (gemm, beta 1), `db += Σ_n dy[n]`, `dx = dy·W` (gemm, beta 0)",
                        .notes = R"(Weight `W` (out, in) and bias `b` (out), PyTorch's layout. Params:
`layers.<i>.weight`, `layers.<i>.bias`. Fans for init: fan_in = in, fan_out = out. `bias_init =
"fan_in_uniform"` is PyTorch's `nn.Linear` default U(−1/√in, 1/√in).

#### Weight normalisation (`weight_norm = true`)

Salimans & Kingma (2016), as `torch.nn.utils.weight_norm(linear, dim=0)`: the weight is
reparameterised per output row r as `W[r] = g[r] · v[r] / ‖v[r]‖`, so its direction (v) and length
(g) are learned separately. Params: `layers.<i>.weight_g` (out, 1), `layers.<i>.weight_v` (out, in),
`layers.<i>.bias`: PyTorch's state_dict names and shapes. `init` fills v (the same draws as the
plain layer's W) and sets `g = ‖v‖` per row, so the initial W equals the plain init, as PyTorch's
wrapper leaves it.

| | |
|---|---|
| forward | `s_r = ‖v_r‖`, `W_r = (g_r/s_r)·v_r` into a buffer planned at setup, then the plain forward with W |
| backward | `dW = dyᵀ·x` into a planned scratch (beta 0), then `c_r = (dW_r·v_r)/s_r`, `dg_r += c_r`, `dv_r += (g_r/s_r)·(dW_r − (c_r/s_r)·v_r)`; `dx = dy·W` |

The reparameterisation is the helper `WeightNorm<T>` (`include/gradnet/layers/weight_norm.h`), shape
agnostic: rows = output units or channels, cols = numel of the rest of v (a conv2d weight (out, C,
k, k) is rows = out, cols = C·k·k). `setup(rows, cols)` sizes W, dW and the norms; `forward(g, v)`,
`dw()`, `backward(g, v, dg, dv)` (accumulates), `init_g(v, g)`. A row of v that is all zeros gives
NaN, as in PyTorch. The optimizer sees g and v as two ordinary params (`lr_mult`/`decay_mult` apply
to both, as PyTorch's optimizers treat a weight-normed module).)"}}),
      layer<SigmoidLayer>({
          .type = "sigmoid",
          .doc = "y = 1 / (1 + e^-x), elementwise",
          .monitor = MonitorRule::saturating(0.05f, 0.95f),
          .init_nonlinearity = "sigmoid",
          .reference = {.section = kActivations,
                        .forward = "`y = 1/(1+e^−x)`, computed as `(x≥0 ? 1 : e)/(1+e)`, `e = e^−|x|` (no overflow)",
                        .backward = "`dx = dy·y(1−y)`",
                        .notes = R"(Float path (sigmoid and tanh): an inlined Cephes-style `exp` (degree-6 polynomial,
scaling by the exponent bits) and bitwise selects, so the loops vectorise (several times faster than
libm loops; timings in `bench/RESULTS.md`). Agreement with double libm: within 4e-7 relative across
[−100, 100] (`activation_test.cpp`); for x < −87.3, float sigmoid returns about 1.2e-38 instead of a
denormal. Double uses libm (`std::exp`, `std::tanh`).)"}}),
      layer<TanhLayer>({
          .type = "tanh",
          .doc = "y = tanh(x), elementwise",
          .monitor = MonitorRule::saturating(-0.95f, 0.95f),
          .init_nonlinearity = "tanh",
          .reference = {.section = kActivations,
                        .forward = "`y = tanh x`",
                        .backward = "`dx = dy·(1−y²)`",
                        .notes = "Float path: the vectorised `exp` of sigmoid (above)."}}),
      layer<ReluLayer>({
          .type = "relu",
          .doc = "y = max(x, 0), elementwise",
          .monitor = MonitorRule::rectifier(),
          .init_nonlinearity = "relu",
          .reference = {.section = kActivations,
                        .forward = "`y = max(x, 0)`",
                        .backward = "`dx = dy·[x > 0]` (0 at x = 0, as PyTorch)",
                        .notes = kKinkAtZero}}),
      layer<LeakyReluLayer>({
          .type = "leaky_relu",
          .doc = "y = x for x > 0, slope·x otherwise, elementwise",
          .keys = leaky_relu_keys(),
          .init_nonlinearity = "leaky_relu",
          .reference = {.section = kActivations,
                        .forward = "`y = x > 0 ? x : slope·x`",
                        .backward = "`dx = dy·(x > 0 ? 1 : slope)`",
                        .notes = std::string(kKinkAtZero) +
                                 " `init_nonlinearity = \"auto\"` also takes its `slope` into `init_slope` unless "
                                 "that is given."}}),
      layer<IdentityLayer>({
          .type = "identity",
          .doc = "y = x (no-op placeholder)",
          .init_nonlinearity = "identity",
          .reference = {.section = kActivations, .forward = "`y = x`", .backward = "`dx = dy`"}}),
      layer<Conv2dLayer>({
          .type = "conv2d",
          .doc = "2-D convolution over [C, H, W] (PyTorch's Conv2d): weight (out, C/groups, k, k), bias (out); output "
                 "[out, Ho, Wo]",
          .keys = with_param_keys(conv2d_keys()),
          .reference = {.section = kConvNet,
                        .forward = "`y[o] = b[o] + Σ W[o, c, i, j] · x[c, oh·s − p + i·d, ow·s − p + j·d]` over the "
                                   "input channels c of o's group; `Ho = (H + 2p − d(k−1) − 1)/s + 1`, Wo likewise",
                        .backward = "`dW += dy·colᵀ`, `db += Σ dy` (over the batch and positions), `dcol = Wᵀ·dy`, "
                                    "then col2im into dx",
                        .notes = R"(Params: `layers.<i>.weight` (out, C/groups, k, k) and `layers.<i>.bias` (out); with
`weight_norm = true`, `weight_g` (out, 1, 1, 1) and `weight_v` instead, learning `W = g·v/‖v‖` per
output channel as linear's weight norm does. `groups` must divide both C and `out`. Kaiming-normal
(fan_in = C/groups·k·k, ReLU gain) is the default init, with zero bias. im2col + GEMM in chunks of
examples: [convnets.md](convnets.md#how-conv2d-is-computed).)"}}),
      layer<MaxPool2dLayer>({
          .type = "max_pool2d",
          .doc = "max over each k×k window of every channel: [C, H, W] -> [C, Ho, Wo]",
          .keys = max_pool_keys(),
          .init_looks_through = true,
          .reference = {.section = kConvNet,
                        .forward = "max of each k×k window (stride 0 = k), padding counts as −∞",
                        .backward = "dy goes to the argmax of its window (NaN wins, as in PyTorch); an input that is "
                                    "the max of several overlapping windows gets the sum of their dy",
                        .notes = "Reports `has_kink()` with `kink_state()` = the argmax of every window: the gradient "
                                 "check skips perturbations that change a window's winner."}}),
      layer<AvgPool2dLayer>({
          .type = "avg_pool2d",
          .doc = "mean over each k×k window of every channel: [C, H, W] -> [C, Ho, Wo]",
          .keys = avg_pool_keys(),
          .init_looks_through = true,
          .reference = {.section = kConvNet,
                        .forward = "mean of each window, with PyTorch's divisor: the whole window including padding "
                                   "(`count_include_pad = true`) or only the input values it covers (false)",
                        .backward = "each input of a window gets dy/divisor, summed over the windows it is in"}}),
      layer<GlobalAvgPoolLayer>({
          .type = "global_avg_pool",
          .doc = "mean of each channel: [C, H, W] -> [C]",
          .init_looks_through = true,
          .reference = {.section = kConvNet,
                        .forward = "`y[c] = mean over h, w of x[c, h, w]`",
                        .backward = "`dx[c, h, w] = dy[c] / (H·W)`"}}),
      layer<FlattenLayer>({
          .type = "flatten",
          .doc = "[C, H, W] -> [C·H·W] (linear flattens by itself; this makes it explicit)",
          .init_looks_through = true,
          .reference = {.section = kConvNet, .forward = "`y = x`, read as [C·H·W]", .backward = "`dx = dy`"}}),
      layer<DropoutLayer>({
          .type = "dropout",
          .doc = "inverted dropout: zero each element with probability rate in training, scale the rest by 1/(1-rate); "
                 "identity in eval",
          .keys = dropout_keys(),
          .init_looks_through = true,
          .reference = {.section = kConvNet,
                        .forward = "training: `y = x·m/(1 − rate)`, m[i] = 1 with probability 1 − rate, else 0; eval: "
                                   "`y = x`",
                        .backward = "training: `dx = dy·m/(1 − rate)` with the forward's mask; eval: `dx = dy`",
                        .notes = R"(The mask comes from the training step's own random stream (`train.seed`, advanced
once per step), so a run is reproducible, a resumed run draws the same masks, and every
re-evaluation of one step (gradient checks, L-BFGS line searches) sees the same mask
([convnets.md](convnets.md#dropout)).)"}}),
      layer<BatchNormLayer>({
          .type = "batch_norm",
          .doc = "batch normalization over [C] (BatchNorm1d) or [C, H, W] (BatchNorm2d); running statistics for eval",
          .keys = with_param_keys(batch_norm_keys()),
          .init_looks_through = true,
          .reference = {.section = kConvNet,
                        .forward = "training: per channel, the mean μ_B and biased variance σ²_B over the batch ([C]) "
                                   "or the batch and H·W ([C, H, W]); `x̂ = (x − μ_B)/√(σ²_B + eps)`, `y = γ·x̂ + β`; "
                                   "`running_mean ← (1 − momentum)·running_mean + momentum·μ_B`, `running_var` "
                                   "likewise with the unbiased `σ²_B·M/(M − 1)` (M values per channel). Eval: the same "
                                   "with `running_mean` and `running_var` (without running statistics: the batch's own)",
                        .backward = "training: `dx = γ·r/M · (M·dy − Σdy − x̂·Σ(dy·x̂))`, `r = 1/√(σ²_B + eps)`; `dγ "
                                    "+= Σ dy·x̂`, `dβ += Σ dy`; eval with running statistics: `dx = γ·r·dy`",
                        .notes = R"(Params: `layers.<i>.weight` (γ) and `layers.<i>.bias` (β), (C) each, when `affine`.
Buffers: `layers.<i>.running_mean` and `layers.<i>.running_var` (C) when `track_running_stats`,
saved in `model.safetensors` and every checkpoint under PyTorch's names, never touched by the
optimizer. Train and eval in detail: [convnets.md](convnets.md#batch-norm-train-and-eval).)"}}),
      layer<EluLayer>({
          .type = "elu",
          .doc = "y = x for x > 0, alpha·(e^x − 1) otherwise, elementwise",
          .keys = elu_keys(),
          .reference = {.section = kSmooth,
                        .forward = "`y = x > 0 ? x : α·(e^x − 1)` (with `expm1`)",
                        .backward = "`dx = dy·(x > 0 ? 1 : α·e^x)` (α at 0, as PyTorch; from x, since `y + α` cancels "
                                    "for x ≪ 0)",
                        .notes = "Reports `has_kink()` (its derivative jumps at 0 unless α = 1)."}}),
      layer<GeluLayer>({
          .type = "gelu",
          .doc = "y = x·Φ(x) (Φ the normal CDF, via erf; approximate = \"tanh\" for the tanh form), elementwise",
          .keys = gelu_keys(),
          .reference = {.section = kSmooth,
                        .forward = "`y = x·Φ(x) = x/2·(1 + erf(x/√2))`; `approximate = \"tanh\"`: `y = x/2·(1 + tanh "
                                   "u)`, `u = √(2/π)(x + 0.044715x³)`",
                        .backward = "`dx = dy·(Φ(x) + x·φ(x))`, `φ(x) = e^(−x²/2)/√(2π)`; tanh form: `dx = dy·((1 + "
                                    "tanh u)/2 + x/2·(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²))`",
                        .notes = R"(gelu keeps PyTorch's `1 + erf(x/√2)`, which cancels in the left tail (y is exactly 0
below x ≈ −8.4 in double, where x·Φ(x) < 1e-15; float loses relative accuracy below x ≈ −3, absolute
error < 1e-6): this keeps the values equal to PyTorch's.)"}}),
      layer<SiluLayer>({
          .type = "silu",
          .doc = "y = x·σ(x) (swish), elementwise",
          .reference = {.section = kSmooth,
                        .forward = "`y = x·σ(x)`",
                        .backward = "`dx = dy·σ(x)(1 + x(1 − σ(x)))`",
                        .notes = "Uses sigmoid's overflow-free form (and, in float, its vectorised exp)."}}),
      layer<SoftmaxLayer>({
          .type = "softmax",
          .doc = "softmax over the channels at each position (PyTorch dim=1; over all features of a 1-D input); dim = "
                 "\"all\": over every feature",
          .keys = softmax_keys(),
          .reference = {.section = kSoftmax,
                        .forward = "`y = e^(x−m) / Σ e^(x−m)`",
                        .backward = "`dx = y ⊙ (dy − Σ dy·y)`"}}),
      layer<LogSoftmaxLayer>({
          .type = "log_softmax",
          .doc = "log of softmax, computed stably as x − max − log Σ e^(x − max)",
          .keys = softmax_keys(),
          .reference = {.section = kSoftmax,
                        .forward = "`y = x − m − log Σ e^(x−m)`",
                        .backward = "`dx = dy − e^y · Σ dy`",
                        .notes = "When one logit leads by ~20 or more, its log-probability ≈ −e^−20 keeps only ~1e-16 "
                                 "absolute accuracy (as in PyTorch)."}}),
      layer<LayerNormLayer>({
          .type = "layer_norm",
          .doc = "normalises each example over all its features, then weight·x̂ + bias shaped like the input "
                 "(nn.LayerNorm)",
          .keys = with_param_keys(layer_norm_keys()),
          .init_looks_through = true,
          .reference = {.section = kPerExampleNorm,
                        .forward = "the formulas above over one group per example: all D = numel(in) features; weight "
                                   "and bias shaped like the input (per feature), as `nn.LayerNorm(normalized_shape = "
                                   "in)`; any input shape"}}),
      layer<GroupNormLayer>({
          .type = "group_norm",
          .doc = "normalises each example over groups of channels × spatial, then per-channel weight·x̂ + bias "
                 "(nn.GroupNorm); input [C, ...]",
          .keys = with_param_keys(group_norm_keys()),
          .init_looks_through = true,
          .reference = {.section = kPerExampleNorm,
                        .forward = "the formulas above over groups of C/groups channels × spatial; weight and bias "
                                   "(C), per channel, as `nn.GroupNorm(groups, C)`; input [C], [C, L] or [C, H, W]",
                        .notes = R"(- `groups = C` is instance_norm (with affine); `groups = 1` is layer_norm over (C,
  H, W) with per-channel instead of per-element affine (both checked in `norm_test.cpp`).
- Shape errors (`Error{shape}`, exit 2) name the layer: `layers.5 (group_norm): input shape [6, 2,
  2] has 6 channels, which groups = 4 does not divide`; `layers.2 (group_norm): input shape [6, 2,
  2] has 6 channels, expected channels = 8`.)"}}),
      layer<InstanceNormLayer>({
          .type = "instance_norm",
          .doc = "normalises each channel of each example over its spatial values (nn.InstanceNorm2d, no running "
                 "stats); input [C, H, W] or [C, L]",
          .keys = with_param_keys(instance_norm_keys()),
          .init_looks_through = true,
          .reference = {.section = kPerExampleNorm,
                        .forward = "the formulas above over one group per channel: its spatial values; weight and bias "
                                   "(C), per channel, when `affine` (off by default, as PyTorch's); as "
                                   "`nn.InstanceNorm1d/2d`; input [C, L] or [C, H, W]",
                        .notes = R"(- No `track_running_stats`/`momentum`: it always normalises with the example's own
  statistics, i.e. PyTorch's default `track_running_stats = False` in train and eval alike.
  PyTorch's option to keep running statistics for eval is not implemented.
- `layers.3 (instance_norm): input shape [8] has 1 spatial value(s) per channel; expected [C, H, W]
  or [C, L] with more than 1` (a single value normalises to 0; PyTorch refuses it in training too).)"}})
  };
  return infos;
}

}  // namespace gradnet
