// Batch normalization with the following ReLU fused where one follows.
#pragma once

#include <memory>
#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

class BatchNorm {
 public:
  /// Normalizes `in` in its own layout. Training networks use batch statistics; inference
  /// networks use the moving ones. `out_grad`, if given, is the output's gradient buffer.
  /// A training network normalizes with the global batch of all ranks when the runtime's
  /// collectives are active with sync_batchnorm (read on every forward).
  BatchNorm(Build& b, const std::string& name, const Act& in, bool relu, float epsilon,
            dnnl::memory out_grad = {});
  ~BatchNorm();

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const;
  /// Uses the statistics of the last forward: local or global as that forward did.
  void backward(dnnl::stream& s) const;

  /// moving = m * moving + (1 - m) * batch, with the batch variance made unbiased (Keras) by the
  /// count of the batch it was taken over (the global one after a synchronized forward).
  void update_moving(float momentum) const;
  /// Adds this batch's mean and E[x^2] (weighted by `weight`) to the recalibration sums.
  void accumulate(float weight, float* sums) const;
  /// Sets the moving statistics from the recalibration sums (total weight `total`).
  void finish_recalibration(const float* sums, float total) const;
  int channels() const { return channels_; }
  /// True when the next forward normalizes with the statistics of all ranks' batches.
  bool sync_wanted() const;

  /// What a fused kernel that does this layer's work needs (residual_join.hpp). Training only.
  struct Tensors {
    dnnl::memory src, diff_src, gamma, beta, gamma_grad, beta_grad, mean, variance;
    float epsilon = 0;
  };
  Tensors tensors() const;
  /// Records that a fused kernel ran this layer's forward with local batch statistics (written
  /// into tensors().mean and .variance), so update_moving reads them as this forward's.
  void forward_ran_elsewhere() const;
  /// Planned reorders one training step runs here (gradients in another layout than the input).
  int reorders() const { return grad_in_.valid() + grad_out_.valid(); }

 private:
  struct Sync;  // what the synchronized forward and backward use (training networks only)
  void forward_sync(dnnl::stream& s) const;
  void backward_sync(dnnl::stream& s) const;

  std::string name_;
  Runtime* rt_ = nullptr;
  int channels_ = 0;
  float epsilon_ = 0;
  long reduce_ = 0;  // N * H * W: the values each channel's statistics are taken over
  Act in_, out_;
  dnnl::memory mean_, variance_, moving_mean_, moving_variance_;
  dnnl::memory gamma_, beta_, gamma_grad_, beta_grad_;
  Op fwd_, bwd_;
  // Where the output's gradient (shared with a residual add) or the input's is in another layout
  // than the input: oneDNN's backward takes one layout for both, the input's.
  Op grad_in_, grad_out_;
  std::unique_ptr<Sync> sync_;
};

}  // namespace signsnet::core
