// Backward-weights of a 1x1 convolution on a small output map (ResNet-50's stage 5: 2x2 at 64x64
// input) as one oneDNN matrix product. With P = images x output positions, the weight gradient
// is dW[O][I] = dY^T[O][P] x X[P][I]; on a 2x2 map P is only 128, and oneDNN's 1x1
// backward-weights kernels, which block over P, run there at about a third of their rate on
// larger maps, while its matrix-product kernel does not mind a short P. X and dY are copied into
// position-major (NHWC) buffers first; X carries one more column of ones, so the same product
// gives the bias gradient (the sum of dY over P) as its last column. A planned reorder and a copy
// put the weight and bias gradients into the arena.
//
// AVX-512 machine (oneDNN's `brg:avx512_core` product), profiled steps: the 1024 -> 2048 shortcut's
// backward-weights took 5.68 ms as a convolution, 2.46 ms as the product plus 0.72 ms bringing
// the gradient into the arena; the step's backward-weights 66.5 ms before, 58.4 after; two models
// stepping in turn, 21 pairs each order: 1.010x and 1.022x. On AVX2 oneDNN's product is a GEMM
// (excluded by the kernel rule), so the convolution's own backward-weights stays. Since the
// seventeenth session signsnet's own loop (pointwise_weight_grad.hpp) takes stage 5's layers
// first; this product remains for small maps that loop declines (outputs not in pairs of 16).
#pragma once

#include <memory>
#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

class MatmulWeightGrad {
 public:
  /// True where the layer's shape is one this path is for: a 1x1 kernel without padding whose
  /// output map has at most kMaxPositions positions.
  static bool fits(const dnnl::memory::desc& out, int kernel, int pad);
  /// The gradients of `w` and `bias` from `src` (the layer's input, read every `stride`-th row
  /// and column) and `out_grad`, or null where oneDNN has no optimized matrix-product kernel for
  /// the shape or `src` is not a blocked map.
  static std::unique_ptr<MatmulWeightGrad> make(Build& b, const std::string& name,
                                                const dnnl::memory& src,
                                                const dnnl::memory& out_grad, int stride,
                                                const Slot& w, const Slot& bias);

  /// Writes the weight and bias gradients.
  void run(dnnl::stream& s) const;
  /// Planned copies run(): the two inputs in, the two gradients out.
  int reorders() const { return 4; }

 private:
  FloatBuffer x_;  // [P][I + 1]: the input by position, then a column of ones
  Op x_in_, dy_in_, product_, w_out_, b_out_;
};

}  // namespace signsnet::core
