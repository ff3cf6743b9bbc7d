// Batch norm folded into the convolution before it, for inference with fixed statistics.
#pragma once

#include <vector>

namespace signsnet::onnx_export {

/// One convolution (weights OIHW, bias [O]) followed by batch norm with moving statistics.
struct ConvBn {
  std::vector<float> weight;                       ///< O x (I*H*W), row-major
  std::vector<float> bias;                         ///< O
  std::vector<float> gamma, beta, mean, variance;  ///< O each
  float epsilon = 1e-3f;
};

/// The convolution that computes bn(conv(x)) in one: with s = gamma / sqrt(variance + epsilon),
/// W'[o] = W[o] * s[o] and b'[o] = (b[o] - mean[o]) * s[o] + beta[o]. Computed in double, then
/// rounded once to float. Replaces `c.weight` and `c.bias`.
void fold_batchnorm(ConvBn& c);

}  // namespace signsnet::onnx_export
