// gradnet's layers as ONNX operators (opset 13). Each layer reads the current tensor, shaped
// [batch, ...gradnet's per-example shape], and leaves its output as the current tensor; the
// per-example shapes are the net's own (Net::layer_output_shape), so no shape inference is needed.
// The run's normalization comes first as Sub/Div nodes (per-feature methods) or Sub/MatMul (pca,
// whitening): the graph takes the raw pixels or features that `gradnet predict` takes.
#include "gradnet/export/onnx.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradnet/enum_names.h"
#include "gradnet/error.h"
#include "gradnet/layers/weight_norm.h"
#include "gradnet/version.h"
#include "onnx_graph.h"

namespace gradnet {

namespace {

using onnx_export::IntsAttr;
using onnx_export::OnnxGraph;
using Dims = std::vector<std::int64_t>;

Dims dims_of(const Shape& s) { return Dims(s.begin(), s.end()); }

// [batch, ...shape] as a Reshape target: -1 takes the batch.
Dims batched(const Shape& s) {
  Dims d{-1};
  d.insert(d.end(), s.begin(), s.end());
  return d;
}

struct LayerContext {
  OnnxGraph& g;
  const LayerSpec& spec;
  const Shape& in;
  const Shape& out;
  std::string prefix;                          // "layers.3"
  std::map<std::string, Tensor<float>*>& tensors;  // the net's state, by full name

  const Tensor<float>& tensor(const std::string& local) const {
    auto it = tensors.find(prefix + "." + local);
    GRADNET_ASSERT(it != tensors.end());
    return *it->second;
  }
  bool has(const std::string& local) const { return tensors.count(prefix + "." + local) != 0; }
  std::string param(const std::string& local, const Dims& dims) const {
    return g.constant(prefix + "." + local, dims, tensor(local).to_vector());
  }
};

// The weight a layer multiplies by: its plain weight, or W = g·v/‖v‖ per output row computed by
// the same helper the layer uses (weight norm folded in).
std::vector<float> weight_values(const LayerContext& c) {
  if (!c.has("weight_v")) return c.tensor("weight").to_vector();
  const Tensor<float>& v = c.tensor("weight_v");
  const Index rows = v.shape()[0];
  WeightNorm<float> wn;
  wn.setup(rows, v.size() / rows);
  wn.forward(c.tensor("weight_g").data(), v.data());
  return std::vector<float>(wn.w(), wn.w() + v.size());
}

Shape weight_shape(const LayerContext& c) {
  return c.has("weight_v") ? c.tensor("weight_v").shape() : c.tensor("weight").shape();
}

std::string linear(const LayerContext& c, std::string x) {
  if (c.in.size() > 1) x = c.g.node("Flatten", {x}, c.prefix, {}, {}, {{"axis", 1}});
  if (c.spec.has("tied_to") && !c.spec.get_string("tied_to").empty()) {
    // A tied decoder multiplies by the transpose of layer j's weight (in, out): Gemm without transB,
    // reading the initializer layer j already wrote, so the weight is stored once in the file too.
    std::vector<std::string> inputs = {x, c.spec.get_string("tied_to") + ".weight"};
    if (c.has("bias")) inputs.push_back(c.param("bias", dims_of(c.tensor("bias").shape())));
    return c.g.node("Gemm", inputs, c.prefix);
  }
  std::vector<std::string> inputs = {x, c.g.constant(c.prefix + ".weight", dims_of(weight_shape(c)), weight_values(c))};
  if (c.has("bias")) inputs.push_back(c.param("bias", dims_of(c.tensor("bias").shape())));
  return c.g.node("Gemm", inputs, c.prefix, {}, {}, {{"transB", 1}});
}

std::string conv2d(const LayerContext& c, const std::string& x) {
  const std::int64_t k = c.spec.get_int("kernel"), s = c.spec.get_int("stride"), p = c.spec.get_int("padding");
  const std::int64_t d = c.spec.get_int("dilation");
  std::vector<std::string> inputs = {x, c.g.constant(c.prefix + ".weight", dims_of(weight_shape(c)), weight_values(c))};
  if (c.has("bias")) inputs.push_back(c.param("bias", dims_of(c.tensor("bias").shape())));
  return c.g.node("Conv", inputs, c.prefix,
                  {{"kernel_shape", {k, k}}, {"strides", {s, s}}, {"pads", {p, p, p, p}}, {"dilations", {d, d}}}, {},
                  {{"group", c.spec.get_int("groups")}});
}

std::string pool(const LayerContext& c, const std::string& x, bool max) {
  const std::int64_t k = c.spec.get_int("kernel"), p = c.spec.get_int("padding");
  const std::int64_t s = c.spec.get_int("stride") == 0 ? k : c.spec.get_int("stride");
  const std::vector<IntsAttr> window = {{"kernel_shape", {k, k}}, {"strides", {s, s}}, {"pads", {p, p, p, p}}};
  if (max) return c.g.node("MaxPool", {x}, c.prefix, window);
  return c.g.node("AveragePool", {x}, c.prefix, window, {},
                  {{"count_include_pad", c.spec.get_bool("count_include_pad") ? 1 : 0}});
}

// (x − mean)/√(var + eps) with the mean and biased variance over `axes` (kept as size-1 dims): the
// norm layers and batch norm without running statistics, which normalise with the batch's own.
std::string normalise_over(const LayerContext& c, const std::string& x, const Dims& axes, double eps) {
  OnnxGraph& g = c.g;
  const std::string mean = g.node("ReduceMean", {x}, c.prefix, {{"axes", axes}}, {}, {{"keepdims", 1}});
  const std::string centred = g.node("Sub", {x, mean}, c.prefix);
  const std::string square = g.node("Mul", {centred, centred}, c.prefix);
  const std::string var = g.node("ReduceMean", {square}, c.prefix, {{"axes", axes}}, {}, {{"keepdims", 1}});
  const std::string eps_name = g.scalar(c.prefix + ".eps", static_cast<float>(eps));
  const std::string stddev = g.node("Sqrt", {g.node("Add", {var, eps_name}, c.prefix)}, c.prefix);
  return g.node("Div", {centred, stddev}, c.prefix);
}

// weight·x + bias with weight and bias of `param_dims`, which broadcast against [batch, ...in].
std::string affine(const LayerContext& c, const std::string& x, const Dims& param_dims) {
  if (!c.has("weight")) return x;
  const std::string scaled = c.g.node("Mul", {x, c.param("weight", param_dims)}, c.prefix);
  return c.g.node("Add", {scaled, c.param("bias", param_dims)}, c.prefix);
}

// A per-channel parameter's dims for broadcasting over [C, ...spatial]: (C, 1, ..., 1).
Dims channel_dims(const Shape& in) {
  Dims d(in.size(), 1);
  d[0] = in[0];
  return d;
}

std::string batch_norm(const LayerContext& c, const std::string& x) {
  const double eps = c.spec.get_number("eps");
  if (!c.has("running_mean")) {  // eval with the batch's own statistics, as the layer does
    const Dims axes = c.in.size() == 3 ? Dims{0, 2, 3} : Dims{0};
    return affine(c, normalise_over(c, x, axes, eps), channel_dims(c.in));
  }
  const Dims dims = {c.in[0]};
  const std::vector<float> ones(static_cast<std::size_t>(c.in[0]), 1.0f), zeros(ones.size(), 0.0f);
  const std::string scale = c.has("weight") ? c.param("weight", dims) : c.g.constant(c.prefix + ".weight", dims, ones);
  const std::string bias = c.has("bias") ? c.param("bias", dims) : c.g.constant(c.prefix + ".bias", dims, zeros);
  return c.g.node("BatchNormalization",
                  {x, scale, bias, c.param("running_mean", dims), c.param("running_var", dims)}, c.prefix, {},
                  {{"epsilon", static_cast<float>(eps)}});
}

// group_norm and instance_norm: [batch, G, rest] normalised over rest, reshaped back; per-channel affine.
std::string group_norm(const LayerContext& c, const std::string& x, std::int64_t groups) {
  const std::string grouped =
      c.g.node("Reshape", {x, c.g.int64s(c.prefix + ".grouped_shape", {0, groups, -1})}, c.prefix);
  const std::string normed = normalise_over(c, grouped, {2}, c.spec.get_number("eps"));
  const std::string back = c.g.node("Reshape", {normed, c.g.int64s(c.prefix + ".shape", batched(c.in))}, c.prefix);
  return affine(c, back, channel_dims(c.in));
}

std::string layer_norm(const LayerContext& c, const std::string& x) {
  Dims axes;
  for (std::size_t i = 1; i <= c.in.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  return affine(c, normalise_over(c, x, axes, c.spec.get_number("eps")), dims_of(c.in));
}

// softmax/log_softmax: over axis 1 (the channels, or every feature of a vector); dim = "all": over
// every feature of the example, through a flattened view.
std::string softmax(const LayerContext& c, const std::string& x, const std::string& op) {
  if (c.spec.get_string("dim") != "all" || c.in.size() == 1) return c.g.node(op, {x}, c.prefix, {}, {}, {{"axis", 1}});
  const std::string flat = c.g.node("Flatten", {x}, c.prefix, {}, {}, {{"axis", 1}});
  const std::string y = c.g.node(op, {flat}, c.prefix, {}, {}, {{"axis", 1}});
  return c.g.node("Reshape", {y, c.g.int64s(c.prefix + ".shape", batched(c.in))}, c.prefix);
}

// x·Φ(x) = x/2·(1 + erf(x/√2)); approximate = "tanh": x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
std::string gelu(const LayerContext& c, const std::string& x) {
  OnnxGraph& g = c.g;
  const std::string one = g.scalar(c.prefix + ".one", 1.0f), half = g.scalar(c.prefix + ".half", 0.5f);
  std::string inner;
  if (c.spec.get_string("approximate") == "tanh") {
    const std::string cube = g.node("Mul", {g.node("Mul", {x, x}, c.prefix), x}, c.prefix);
    const std::string poly =
        g.node("Add", {x, g.node("Mul", {cube, g.scalar(c.prefix + ".cubic", 0.044715f)}, c.prefix)}, c.prefix);
    const std::string u = g.node("Mul", {poly, g.scalar(c.prefix + ".sqrt_2_over_pi", 0.7978845608028654f)}, c.prefix);
    inner = g.node("Tanh", {u}, c.prefix);
  } else {
    inner = g.node("Erf", {g.node("Div", {x, g.scalar(c.prefix + ".sqrt2", 1.4142135623730951f)}, c.prefix)}, c.prefix);
  }
  const std::string factor = g.node("Mul", {g.node("Add", {inner, one}, c.prefix), half}, c.prefix);
  return g.node("Mul", {x, factor}, c.prefix);
}

std::string export_layer(const LayerContext& c, const std::string& x) {
  const std::string& t = c.spec.type;
  OnnxGraph& g = c.g;
  if (t == "linear") return linear(c, x);
  if (t == "conv2d") return conv2d(c, x);
  if (t == "sigmoid") return g.node("Sigmoid", {x}, c.prefix);
  if (t == "tanh") return g.node("Tanh", {x}, c.prefix);
  if (t == "relu") return g.node("Relu", {x}, c.prefix);
  if (t == "leaky_relu")
    return g.node("LeakyRelu", {x}, c.prefix, {}, {{"alpha", static_cast<float>(c.spec.get_number("slope"))}});
  if (t == "elu") return g.node("Elu", {x}, c.prefix, {}, {{"alpha", static_cast<float>(c.spec.get_number("alpha"))}});
  if (t == "silu") return g.node("Mul", {x, g.node("Sigmoid", {x}, c.prefix)}, c.prefix);
  if (t == "gelu") return gelu(c, x);
  if (t == "identity" || t == "dropout") return x;  // eval mode: dropout passes its input through
  if (t == "max_pool2d" || t == "avg_pool2d") return pool(c, x, t == "max_pool2d");
  if (t == "global_avg_pool")
    return g.node("Flatten", {g.node("GlobalAveragePool", {x}, c.prefix)}, c.prefix, {}, {}, {{"axis", 1}});
  if (t == "flatten") return c.in.size() > 1 ? g.node("Flatten", {x}, c.prefix, {}, {}, {{"axis", 1}}) : x;
  if (t == "batch_norm") return batch_norm(c, x);
  if (t == "softmax") return softmax(c, x, "Softmax");
  if (t == "log_softmax") return softmax(c, x, "LogSoftmax");
  if (t == "layer_norm") return layer_norm(c, x);
  if (t == "group_norm") return group_norm(c, x, c.spec.get_int("groups"));
  if (t == "instance_norm") return group_norm(c, x, c.in[0]);
  fail(ErrorKind::usage, "{} ({}): no ONNX mapping for this layer type (please report)", c.prefix, t);
}

// The normalization's nodes; returns the tensor the first layer reads.
std::string export_normalizer(OnnxGraph& g, const Normalizer& n, const Shape& net_input, const std::string& x) {
  if (n.mean.empty()) return x;
  if (!n.rotation()) {
    const Dims d = dims_of(net_input);
    const std::string centred = g.node("Sub", {x, g.constant("normalization.mean", d, n.mean)}, "normalization");
    return g.node("Div", {centred, g.constant("normalization.std", d, n.std)}, "normalization");
  }
  const std::int64_t features = n.input_features(), outputs = n.output_features();
  const std::string centred =
      g.node("Sub", {x, g.constant("normalization.mean", {features}, n.mean)}, "normalization");
  const std::string rotated =
      g.node("MatMul", {centred, g.constant("normalization.matrix", {features, outputs}, n.matrix)}, "normalization");
  if (net_input.size() == 1) return rotated;
  return g.node("Reshape", {rotated, g.int64s("normalization.shape", batched(net_input))}, "normalization");
}

}  // namespace

OnnxExport export_onnx(LoadedModel& model, const OnnxExportOptions& options) {
  Net<float>& net = *model.net;
  const Normalizer& n = model.normalizer;
  OnnxExport result;
  result.input_name = kOnnxInputName;
  result.output_name = options.softmax ? "probabilities" : "logits";
  result.opset = kOnnxOpset;
  // A rotation reads flat feature rows ([batch, features]); the per-feature methods the net's input shape.
  result.input = n.rotation() ? Dims{n.input_features()} : dims_of(net.input_shape());
  result.output = dims_of(net.output_shape());
  if (options.softmax) {
    GRADNET_CHECK(model.config.model.loss == LossType::softmax_cross_entropy && net.output_shape().size() == 1, usage,
                  "--softmax: the model's outputs are not class logits (loss = {}, output shape {}); export without it",
                  name_of(model.config.model.loss), shape_str(net.output_shape()));
  }

  onnx::ModelProto proto;
  proto.set_ir_version(7);  // the IR of opset 13
  proto.set_producer_name("gradnet");
  proto.set_producer_version(kVersion);
  proto.set_doc_string(fmt::format("gradnet model from {} ({}); input: raw {} values, normalization ({}) included",
                                   model.run_dir, model.model_path, shape_str(Shape(result.input.begin(),
                                                                                    result.input.end())),
                                   name_of(n.method)));
  proto.add_opset_import()->set_version(kOnnxOpset);  // the default domain ""
  onnx::StringStringEntryProto* meta = proto.add_metadata_props();
  meta->set_key("gradnet.normalization");
  meta->set_value(std::string(name_of(n.method)));
  if (!model.info.class_names.empty()) {  // one name per line, in class order (dataset.json's)
    meta = proto.add_metadata_props();
    meta->set_key("gradnet.class_names");
    meta->set_value(fmt::format("{}", fmt::join(model.info.class_names, "\n")));
  }
  onnx::GraphProto* graph = proto.mutable_graph();
  graph->set_name(model.config.name.empty() ? "gradnet" : model.config.name);
  onnx_export::set_batched_type(graph->add_input(), result.input_name, result.input);
  onnx_export::set_batched_type(graph->add_output(), result.output_name, result.output);

  OnnxGraph g(graph);
  std::map<std::string, Tensor<float>*> tensors;
  for (auto& [name, t] : net.state_tensors()) tensors[name] = t;
  std::string x = export_normalizer(g, n, net.input_shape(), result.input_name);
  for (Index i = 0; i < net.num_layers(); ++i) {
    const Shape& in = i == 0 ? net.input_shape() : net.layer_output_shape(i - 1);
    const LayerContext c{g, model.config.model.layers[static_cast<std::size_t>(i)], in, net.layer_output_shape(i),
                         fmt::format("layers.{}", i), tensors};
    x = export_layer(c, x);
  }
  if (options.softmax) x = g.node("Softmax", {x}, "output", {}, {}, {{"axis", 1}});
  g.rename_last_output(x, result.output_name);
  result.nodes = graph->node_size();
  GRADNET_CHECK(proto.SerializeToString(&result.bytes), internal, "could not serialize the ONNX model");
  return result;
}

}  // namespace gradnet
