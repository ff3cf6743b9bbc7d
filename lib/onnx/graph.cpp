#include "onnx/graph.hpp"

#include "signsnet/onnx.hpp"

namespace signsnet::onnx_export {
namespace {

void set_type(onnx::ValueInfoProto& value, const std::string& name, const std::vector<Dim>& shape) {
  value.set_name(name);
  onnx::TypeProto_Tensor* tensor = value.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* s = tensor->mutable_shape();
  for (const Dim& d : shape) {
    onnx::TensorShapeProto_Dimension* dim = s->add_dim();
    if (d.param.empty())
      dim->set_dim_value(d.value);
    else
      dim->set_dim_param(d.param);
  }
}

}  // namespace

void fail(const std::string& where, const std::string& field, const std::string& expected,
          const std::string& got) {
  throw OnnxExportError(where + ": " + field + ": expected " + expected + ", got " + got);
}

void GraphBuilder::initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                               const std::vector<float>& values) {
  onnx::TensorProto* t = graph_.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian float32, the compact form ONNX Runtime reads without conversion
  // (x86-64 is little-endian).
  t->set_raw_data(values.data(), values.size() * sizeof(float));
}

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::string& name,
                                    const std::vector<std::string>& inputs,
                                    const std::string& output) {
  onnx::NodeProto* n = graph_.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(output);
  return *n;
}

void GraphBuilder::input(const std::string& name, const std::vector<Dim>& shape) {
  set_type(*graph_.add_input(), name, shape);
}

void GraphBuilder::output(const std::string& name, const std::vector<Dim>& shape) {
  set_type(*graph_.add_output(), name, shape);
}

void set_ints(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& v) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a->add_ints(x);
}

void set_int(onnx::NodeProto& node, const std::string& name, std::int64_t v) {
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

}  // namespace signsnet::onnx_export
