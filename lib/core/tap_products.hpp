// A k x k 'same' convolution (stride 1) on a map so small that every output position reads every
// input position through one of the taps (ResNet-50's stage 5: a 3x3 on a 2x2 map at 64x64
// input), run as oneDNN matrix products over position-major copies of the activations. With the
// activations as [position][image][channel] and the weights tap-major, each tap a plain [in][out]
// matrix (`hwio`), a tap that joins the output positions p .. p + r - 1 to the input positions
// q .. q + r - 1 is one product over r * N rows: Y[p..] += X[q..] x W[tap]; backward-data the
// same with W[tap] read through transposed strides (not copied), and the tap's weight gradient
// dW[tap] += X[q..]^T x dY[p..]. A tap whose pairs do not follow each other (on a 2x2 map the
// left and right neighbours: output 0 and 2 from input 1 and 3) takes one product per run: 11
// per direction on a 2x2 map, the centre tap's first (it covers every position and overwrites).
// oneDNN's own product kernel takes no other step between the matrices of a batch (a batched
// product over every other position fell back to its GEMM).
//
// The taps that would read the zero border are skipped, as in the convolution over positions
// (positions_conv.hpp), but the weights are read and their gradients written where they live:
// no big weights assembled from the taps, no gradient folded back, no transposed copy for
// backward-data. Only the activations and their gradients are copied, between the network's
// blocked layout and the position-major one. Stage 5's three 3x3 layers, one training step of
// 32 images (`signsnet-bench --breakdown`): 4.5 ms a layer against 8.9 for the convolution over
// positions with its copies.
//
// The weights' layout is the parameter's: a layer on this path registers its weights as `hwio`
// (weights_md()), and every network of the model then takes this path for the layer (it has no
// condition on the batch size). It needs oneDNN's own matrix-product kernel (`brg:avx512_core`);
// where oneDNN has only a GEMM (AVX2), the convolution over positions stays.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace signsnet::core {

class TapProducts {
 public:
  /// True where every output position of a `kernel` x `kernel` convolution with padding `pad`
  /// (k = 2 * pad + 1, stride 1) reads every input position of the map `in` through a tap.
  static bool fits(const dnnl::memory::desc& in, int kernel, int pad);
  /// The weights' layout this path reads and writes: OIHW dims, tap-major, each tap [I][O].
  static dnnl::memory::desc weights_md(const dnnl::memory::dims& oihw);
  /// True where oneDNN has a matrix-product kernel of its own for the layer's products.
  static bool available(Build& b, const dnnl::memory::desc& in, dnnl::memory::dim out_channels,
                        int kernel, int pad);
  /// The layer for `in` -> `out`, reading `w` (in weights_md()) and `bias`. `out.grad` empty:
  /// inference; `in.grad` empty: no backward-data. Throws where a product has no kernel of
  /// oneDNN's own (available() said otherwise).
  static std::unique_ptr<TapProducts> make(Build& b, const std::string& name, const Act& in,
                                           const Act& out, const Slot& w, const Slot& bias,
                                           int kernel, int pad);

  void forward(dnnl::stream& s) const;
  /// Weight and bias gradients, then the input gradient (if wanted).
  void backward(dnnl::stream& s) const;
  /// Planned copies one training step runs: the input and the output gradient in, the output
  /// and the input gradient out.
  int reorders() const;

 private:
  TapProducts() = default;
  /// Points the views of the weights, the bias and the weight gradient at the arenas.
  void bind() const;

  struct View {
    dnnl::memory view, base;
    std::size_t offset;  // floats into `base`
  };
  std::vector<View> views_;
  Op in_, out_, grad_in_, grad_out_;  // activations and gradients between the two layouts
  std::vector<Op> fwd_, bwd_data_, bwd_weights_;
  std::vector<std::size_t> idle_taps_;  // offsets of taps that join no pair: zero gradient
  Op bias_and_idle_;                    // the bias gradient, and the idle taps' zeros
};

}  // namespace signsnet::core
