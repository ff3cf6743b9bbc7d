// Batch normalization with the following ReLU fused where one follows.
#pragma once

#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

class BatchNorm {
 public:
  /// Normalizes `in` in its own layout. Training networks use batch statistics; inference
  /// networks use the moving ones. `out_grad`, if given, is the output's gradient buffer.
  BatchNorm(Build& b, const std::string& name, const Act& in, bool relu, float epsilon,
            dnnl::memory out_grad = {});

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const { fwd_.run(s); }
  void backward(dnnl::stream& s) const { bwd_.run(s); }

  /// moving = m * moving + (1 - m) * batch, with the batch variance made unbiased (Keras).
  void update_moving(float momentum) const;
  /// Adds this batch's mean and E[x^2] (weighted by `weight`) to the recalibration sums.
  void accumulate(float weight, float* sums) const;
  /// Sets the moving statistics from the recalibration sums (total weight `total`).
  void finish_recalibration(const float* sums, float total) const;
  int channels() const { return channels_; }

 private:
  std::string name_;
  int channels_ = 0;
  long reduce_ = 0;  // N * H * W: the values each channel's statistics are taken over
  Act out_;
  dnnl::memory mean_, variance_, moving_mean_, moving_variance_;
  Op fwd_, bwd_;
};

}  // namespace signsnet::core
