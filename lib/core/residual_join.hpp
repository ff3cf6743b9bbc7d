// The end of a bottleneck in training, fused on signsnet's own loops: the last batch norm, the
// shortcut's batch norm (convolutional blocks), the residual add and the ReLU.
//
// Forward, per channel block: the batch statistics of the main branch (and of the shortcut
// convolution's output), then out = relu(bn3(c3) + shortcut) in one pass, where the shortcut is
// the block's input or bn_s(cs). bn3's own output is never written.
// Backward, per channel block: g = relu'(out) * dout (the gradient of the sum, written to
// `sum_grad`, which an identity block's input gradient adds) with the sums both batch norms'
// gradients need, then dc3 (and dcs) in a second pass.
// oneDNN runs these as three to five primitives, each reading and writing whole activations; here
// a channel block's data stays in the core's cache between the two passes.
//
// AVX-512 machine, ResNet-50 at batch 32, two models stepping in turn (a throwaway program, one
// with the join and one without, 21 pairs in each build order): training step 1.033x and 1.025x.
// Profiled, the blocks' ends took 22.1 ms against 30.0 for the primitives (stage 2: forward 2.9
// against 5.4 ms, backward 5.2 against 6.7). The same loops for the blocks' other batch norms
// (BN + ReLU, nothing to fuse with) were slower than oneDNN's there (stage 2: 0.16 against 0.11
// ms forward, 0.32 against 0.22 backward) and the step 0.995x as fast: not used.
#pragma once

#include <string>

#include "core/batchnorm.hpp"
#include "core/channel_layout.hpp"

namespace signsnet::core {

class ResidualJoin {
 public:
  /// Why the join cannot run on these tensors ("" when it can): each must have the same layout,
  /// with channels blocked by 8 or 16 and no padded channels. `shortcut_bn` is null in an
  /// identity block, whose shortcut is `shortcut`; otherwise `shortcut` is ignored.
  static std::string unsupported(const BatchNorm& main_bn, const BatchNorm* shortcut_bn,
                                 const dnnl::memory& shortcut, const Act& out,
                                 const dnnl::memory& sum_grad);

  /// The caller checked unsupported() first. `out` is the block's output with its gradient.
  ResidualJoin(Build& b, const std::string& name, const BatchNorm& main_bn,
               const BatchNorm* shortcut_bn, const dnnl::memory& shortcut, const Act& out,
               const dnnl::memory& sum_grad);

  void forward(dnnl::stream& s) const { fwd_.run(s); }
  void backward(dnnl::stream& s) const { bwd_.run(s); }

 private:
  void run_forward() const;
  void run_backward() const;

  ChannelLayout layout_;
  BatchNorm::Tensors main_, short_;
  bool projection_ = false;
  dnnl::memory shortcut_, out_, out_grad_, sum_grad_;
  Op fwd_, bwd_;
};

}  // namespace signsnet::core
