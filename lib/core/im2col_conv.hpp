// A k x k 'same' convolution (stride 1) on a small map, trained as a 1x1 convolution over the
// taps: each tap's shifted input is copied into its own block of channels once per forward pass
// ([N, k*k*C, H, W], zero where the tap reads the border), and oneDNN's 1x1 kernels run the
// forward pass and the weight gradient on it. It was written for ResNet-50's stage 4 at 64x64
// input (3x3 on a 4x4 map, 256 channels), which the Winograd path (winograd_conv.hpp) now takes
// first where its layouts fit (AVX2); this path keeps other 'same' kernels and layouts. There the
// direct AVX2 kernels reach about 110 GFLOP/s forward and 95 backward-weights, the 1x1 kernels on
// the copied taps about 160 and 125, so the copy (9 sub-memory reorders) pays for itself.
// Backward-data stays with the direct kernel, which is as fast as the 1x1 one there and needs no
// copy.
//
// The k x k weights stay the parameter, in the direct convolution's layout. Planned reorders
// assemble the 1x1 weights from its taps (when the parameters changed) and move the 1x1 weight
// gradient back into the taps. The layers of one geometry share one copy buffer and copy their
// taps in again before backward-weights: with a buffer per layer (28 MB for stage 4) stage 4 was
// faster but the whole step was not, the copies crowding the other stages out of the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/layer.hpp"

namespace signsnet::core {

class Im2colConv {
 public:
  /// True where the map, the channels and the batch suit the layer in training (make() may still
  /// decline for layouts or kernels).
  static bool fits(const dnnl::memory::desc& in, int kernel, int pad);
  /// The forward pass and weight gradient of `in` -> `out` (k x k, pad k/2, stride 1) for a
  /// training network, or null where the shape does not fit.
  static std::unique_ptr<Im2colConv> make(Build& b, const std::string& name, const Act& in,
                                          const Act& out, const Slot& w, const Slot& bias,
                                          int kernel, int pad);

  void forward(dnnl::stream& s) const;
  /// Weight and bias gradients (the input gradient is the caller's).
  void backward_weights(dnnl::stream& s) const;
  /// Planned reorders one training step runs here.
  int reorders() const;

  Im2colConv() = default;

 private:
  /// Points the views of the weights and their gradient at the arenas.
  void bind() const;

  std::vector<std::pair<dnnl::memory, dnnl::memory>> views_;  // (view, the slot memory it is in)
  std::vector<Op> assemble_;  // taps into the 1x1 weights, when the parameters changed
  const ParamStore* params_ = nullptr;
  mutable std::uint64_t assembled_version_ = 0;
  std::vector<Op> copy_taps_;  // each tap's shifted input into its channel block
  Op fwd_, bwd_weights_;
  std::vector<Op> fold_;  // the 1x1 weight gradient back into the taps' gradients
};

}  // namespace signsnet::core
