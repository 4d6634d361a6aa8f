#include "onnx_graph.h"

#include <fmt/format.h>

namespace gradnet::onnx_export {

std::string OnnxGraph::constant(const std::string& name, const std::vector<std::int64_t>& dims,
                                const std::vector<float>& values) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) t->add_dims(d);
  // raw_data: little-endian float32, as the ONNX spec stores it; x86 and ARM are little-endian.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return name;
}

std::string OnnxGraph::int64s(const std::string& name, const std::vector<std::int64_t>& values) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<std::int64_t>(values.size()));
  for (std::int64_t v : values) t->add_int64_data(v);
  return name;
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& hint,
                            const std::vector<IntsAttr>& ints, const std::vector<std::pair<std::string, float>>& floats,
                            const std::vector<std::pair<std::string, std::int64_t>>& ints1) {
  onnx::NodeProto* n = graph_->add_node();
  const std::string name = fmt::format("{}/{}_{}", hint, op, counter_++);
  n->set_name(name);
  n->set_op_type(op);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(name);
  for (const IntsAttr& a : ints) {
    onnx::AttributeProto* attr = n->add_attribute();
    attr->set_name(a.name);
    attr->set_type(onnx::AttributeProto::INTS);
    for (std::int64_t v : a.values) attr->add_ints(v);
  }
  for (const auto& [key, value] : floats) {
    onnx::AttributeProto* attr = n->add_attribute();
    attr->set_name(key);
    attr->set_type(onnx::AttributeProto::FLOAT);
    attr->set_f(value);
  }
  for (const auto& [key, value] : ints1) {
    onnx::AttributeProto* attr = n->add_attribute();
    attr->set_name(key);
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(value);
  }
  return name;
}

void OnnxGraph::rename_last_output(const std::string& from, const std::string& to) {
  const int n = graph_->node_size();
  if (n > 0 && graph_->node(n - 1).output(0) == from) {
    graph_->mutable_node(n - 1)->set_output(0, to);
    return;
  }
  onnx::NodeProto* id = graph_->add_node();
  id->set_name("output/Identity");
  id->set_op_type("Identity");
  id->add_input(from);
  id->add_output(to);
}

void set_batched_type(onnx::ValueInfoProto* info, const std::string& name, const std::vector<std::int64_t>& dims) {
  info->set_name(name);
  onnx::TypeProto_Tensor* t = info->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

}  // namespace gradnet::onnx_export
