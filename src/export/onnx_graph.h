// OnnxGraph: appends nodes and initializers to an onnx::GraphProto (the messages generated from
// proto/onnx/onnx.proto) with one running "current tensor", so the exporter reads as a list of
// operators. Tensors are NCHW float32, the batch dimension first, as gradnet's rows are.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proto/onnx/onnx.pb.h"

namespace gradnet::onnx_export {

struct IntsAttr {
  std::string name;
  std::vector<std::int64_t> values;
};

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto* graph) : graph_(graph) {}

  // A float32 initializer of the given shape (values row-major); returns its name.
  std::string constant(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values);
  std::string scalar(const std::string& name, float value) { return constant(name, {}, {value}); }
  // An int64 initializer (Reshape's shape input).
  std::string int64s(const std::string& name, const std::vector<std::int64_t>& values);

  // A node with the given inputs; returns its (fresh) output name. Attributes: ints, one float, one int.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& hint,
                   const std::vector<IntsAttr>& ints = {}, const std::vector<std::pair<std::string, float>>& floats = {},
                   const std::vector<std::pair<std::string, std::int64_t>>& ints1 = {});

  // The last node's output renamed to `name` (the graph output); an Identity node when the value
  // is not a node's output (a net that changes nothing in eval mode).
  void rename_last_output(const std::string& from, const std::string& to);

 private:
  onnx::GraphProto* graph_;
  int counter_ = 0;
};

// A value_info for a graph input or output: float32, first dim the symbolic "batch".
void set_batched_type(onnx::ValueInfoProto* info, const std::string& name, const std::vector<std::int64_t>& dims);

}  // namespace gradnet::onnx_export
