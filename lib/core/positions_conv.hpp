// A k x k 'same' convolution (stride 1) on a map so small that every output position reads
// every input position through one of the taps: ResNet-50's stage 5, a 3x3 on a 2x2 map at 64x64
// input. It runs as one 1x1 convolution whose channels are (position, channel) pairs and whose
// spatial axis is the batch, [N, P*I] x [P*I, P*O]: the taps that would read the zero border
// (20 of 36 on a 2x2 map) are skipped, and oneDNN's 1x1 kernels, which block over the spatial
// axis, run at full speed where the direct 3x3 kernels do not (on AVX2 the direct backward
// kernels reach about a third of the 1x1 kernels' rate on this shape).
//
// The k x k weights stay the parameter, in the layout the direct convolution would use. Planned
// reorders assemble the big weights from its taps before the forward pass and fold the big
// weights' gradient back into the taps after backward-weights; two more move the activations
// and their gradients between the network's layout and the batch-as-spatial one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/layer.hpp"

namespace signsnet::core {

class PositionsConv {
 public:
  /// True where the map and the batch suit the layer (make() may still decline for layouts or
  /// kernels).
  static bool fits(const dnnl::memory::desc& in, int kernel, int pad);
  /// The layer for `in` -> `out` with the given weights and bias slots (k x k, pad k/2, stride
  /// 1), or null where the shape does not fit (a map too large, fewer than 8 images, channels
  /// not a multiple of the block size, or no 1x1 kernel for it). `out.grad` and `in.grad` empty: no backward.
  static std::unique_ptr<PositionsConv> make(Build& b, const std::string& name, const Act& in,
                                             const Act& out, const Slot& w, const Slot& bias,
                                             int kernel, int pad);

  void forward(dnnl::stream& s) const;
  /// Weight and bias gradients, then the input gradient (if wanted).
  void backward(dnnl::stream& s) const;
  /// Planned reorders one training step runs (forward and backward).
  int reorders() const;

  PositionsConv() = default;

 private:
  static void run_all(const std::vector<Op>& ops, dnnl::stream& s);
  /// Points the views of the weights, the bias and their gradients at the arenas.
  void bind() const;

  std::vector<std::pair<dnnl::memory, dnnl::memory>> views_;  // (view, the slot memory it is in)

  // Taps into the big weights, and the bias once per position: on the first forward pass after
  // the parameters changed (every step in training; once per recalibration's many passes).
  std::vector<Op> assemble_;
  const ParamStore* params_ = nullptr;
  mutable std::uint64_t assembled_version_ = 0;
  dnnl::memory bias_, big_bias_, bias_grad_, big_bias_grad_;  // the bias once per position
  dnnl::memory::dim out_channels_ = 0, positions_ = 0;
  Op in_, fwd_, out_;         // input into the batch-as-spatial layout, 1x1 forward, output back
  Op grad_in_, bwd_weights_;  // output gradient in, 1x1 backward-weights
  std::vector<Op> fold_;      // the big gradients back into the taps' and the bias' gradients
  Op weights_to_bwd_, bwd_data_, grad_out_;  // backward-data, its result to the input gradient
};

}  // namespace signsnet::core
