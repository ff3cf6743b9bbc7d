// Helpers for the ONNX tests: reading an exported file back with ONNX's classes, counting nodes,
// models with non-trivial batch norm statistics.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "signsnet/model.hpp"

namespace signsnet::test {

inline onnx::ModelProto read_onnx(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

/// Nodes per op_type.
inline std::map<std::string, int> op_counts(const onnx::ModelProto& m) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : m.graph().node()) ++counts[n.op_type()];
  return counts;
}

inline const onnx::TensorProto* find_initializer(const onnx::ModelProto& m,
                                                 const std::string& name) {
  for (const onnx::TensorProto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

inline std::vector<float> floats_of(const onnx::TensorProto& t) {
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
  return v;
}

/// "batch" for a dim_param, the number otherwise: e.g. {"batch", "6"}.
inline std::vector<std::string> dims_of(const onnx::ValueInfoProto& v) {
  std::vector<std::string> dims;
  for (const auto& d : v.type().tensor_type().shape().dim())
    dims.push_back(d.has_dim_param() ? d.dim_param() : std::to_string(d.dim_value()));
  return dims;
}

/// Gives every batch norm of `model` seeded random statistics, scales and shifts (a fresh model
/// has mean 0, variance 1, scale 1, shift 0, which folding would leave almost unchanged).
inline void randomize_batchnorm(Model& model, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (const TensorInfo& t : model.tensors()) {
    if (t.kind == TensorKind::weight || t.kind == TensorKind::bias) continue;
    std::vector<float> v(static_cast<std::size_t>(t.size()));
    for (float& x : v) {
      x = u(rng);
      if (t.kind == TensorKind::moving_variance || t.kind == TensorKind::gamma) x += 1.0f;
    }
    model.write(t.name, v.data());
  }
}

}  // namespace signsnet::test
