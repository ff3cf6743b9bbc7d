// The ResNet of a Model as ONNX nodes: convolutions with batch norm folded in, ReLU, pooling, the
// residual adds, the dense layer and softmax, named with signsnet's dotted layer names.
#pragma once

#include <string>

#include "onnx/graph.hpp"
#include "signsnet/model.hpp"

namespace signsnet::onnx_export {

/// Adds `model`'s inference network to `g`: reads the NCHW float32 value `input` ([N, C, H, W]
/// of the model's input size) and writes the softmax probabilities [N, classes] as `output`.
/// Weights come from Model::read; batch norm uses the moving statistics and the config's epsilon.
void add_resnet(const Model& model, GraphBuilder& g, const std::string& input,
                const std::string& output);

}  // namespace signsnet::onnx_export
