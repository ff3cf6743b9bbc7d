// The classifier: a dense layer on the pooled features, then softmax and
// cross-entropy. With softmax and cross-entropy together, d loss / d logits = (p - y) / N.
#pragma once

#include <cstdint>
#include <string>

#include "core/layer.hpp"
#include "signsnet/model.hpp"

namespace signsnet::core {

class Dense {
 public:
  /// `in` is N x C x H x W, flattened without a copy.
  Dense(Build& b, const std::string& name, const Act& in, int out);

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const { fwd_.run(s); }
  void backward(dnnl::stream& s) const;
  int reorders() const { return weights_to_bwd_.valid() + grad_to_arena_.valid(); }

 private:
  void build_backward(Build& b, const Act& in, const dnnl::convolution_forward::primitive_desc& f,
                      const Slot& w, const Slot& bias);
  std::string name_;
  Act out_;
  Op fwd_, bwd_weights_, bwd_data_, weights_to_bwd_, grad_to_arena_;
};

class SoftmaxCrossEntropy {
 public:
  SoftmaxCrossEntropy(Build& b, const std::string& name, const Act& logits);

  void forward(dnnl::stream& s) const { fwd_.run(s); }
  /// Loss and accuracy against `labels`; in training also writes the logits' gradient.
  /// The logits' gradient is divided by `divisor` (0: the batch size).
  StepResult loss(const std::int32_t* labels, float label_smoothing, int divisor = 0) const;
  const float* probabilities() const;
  int classes() const { return classes_; }

 private:
  int batch_ = 0, classes_ = 0;
  dnnl::memory probs_, logits_grad_;
  Op fwd_;
};

}  // namespace signsnet::core
