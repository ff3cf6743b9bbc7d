// Helpers that add nodes, initializers and typed values to an ONNX GraphProto. Only lib/onnx
// includes this (and with it the generated ONNX classes).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet::onnx_export {

/// Throws OnnxExportError "<where>: <field>: expected <expected>, got <got>".
[[noreturn]] void fail(const std::string& where, const std::string& field,
                       const std::string& expected, const std::string& got);

/// One dimension of a value's shape: a fixed size, or a named dynamic one (dim_param).
struct Dim {
  std::int64_t value = 0;
  std::string param;  ///< not empty: a dynamic dimension of that name
};

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  /// A float32 initializer `name` of shape `dims` holding `values` (row-major).
  void initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                   const std::vector<float>& values);
  /// A node `name` of type `op` reading `inputs`; its single output value is named `output`.
  onnx::NodeProto& node(const std::string& op, const std::string& name,
                        const std::vector<std::string>& inputs, const std::string& output);

  /// A float32 tensor value of the given shape, as a graph input or output.
  void input(const std::string& name, const std::vector<Dim>& shape);
  void output(const std::string& name, const std::vector<Dim>& shape);

  int initializers() const { return graph_.initializer_size(); }

 private:
  onnx::GraphProto& graph_;
};

/// Attributes of a node.
void set_ints(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& v);
void set_int(onnx::NodeProto& node, const std::string& name, std::int64_t v);

}  // namespace signsnet::onnx_export
