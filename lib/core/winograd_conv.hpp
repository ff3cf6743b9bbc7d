// A 3x3 'same' convolution (stride 1) computed in the Winograd domain (Lavin and Gray, 2015),
// F(4x4, 3x3) on maps of 8x8 and more (stages 2 and 3 of ResNet-50), else F(2x2, 3x3): each
// (M+2)x(M+2) input tile (stride M) is transformed into (M+2)^2 values per channel, the
// convolution becomes that many independent channel products, one per transformed position, and
// each MxM output tile comes back from them. The products are oneDNN 1x1 convolutions over all
// tiles of the batch at once (the tiles laid out as one image N*T tall and one wide), so forward,
// backward-data and backward-weights all run on oneDNN's 1x1 kernels with 4 (M = 4) or 2.25
// (M = 2) times fewer multiplications than the direct convolution. The transforms are small
// matrix products over 8- or 16-channel vectors (the blocks of AVX2's and AVX-512's layouts) in
// this file's loops, each a pass over the layer's input or output.
//
// Backward is the exact adjoint of the forward pass: the output gradient goes through the
// transpose of the output transform, backward-data and backward-weights of the 1x1 products give
// the gradients of the transformed input and weights, and the transposes of the input and weight
// transforms bring them back (overlapping tiles add up).
//
// The 3x3 weights stay the parameter, in the direct convolution's layout (OIhw8i8o on AVX2,
// OIhw16i16o on AVX-512); the
// transformed weights are recomputed when the parameters changed. Each training layer keeps its
// transformed input for backward-weights; the layers of one geometry share the other
// transformed tensors. Inference networks use the forward pass with the batch norm folded into the
// weights and the ReLU applied as the output tiles are written (folded_conv.hpp), from 8 images
// on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace signsnet::core {

class WinogradConv {
 public:
  /// True where the kernel, padding and channel counts suit the layer in training (make() may
  /// still decline for layouts or kernels).
  static bool fits(const dnnl::memory::desc& in, dnnl::memory::dim out_channels, int kernel,
                   int pad);
  /// The output tile size M of F(M x M, 3x3) for an H x W map: 4 or 2.
  static int tile_size(dnnl::memory::dim h, dnnl::memory::dim w);
  /// Forward and backward of `in` -> `out` (3x3, pad 1, stride 1) for a training network, or
  /// null where the shape or the layouts do not fit.
  static std::unique_ptr<WinogradConv> make(Build& b, const std::string& name, const Act& in,
                                            const Act& out, const Slot& w, const Slot& bias,
                                            int kernel, int pad);

  /// The forward pass of an inference layer whose weights and bias (BN folded in) are `weights`
  /// and `bias`, writing `out` (then the ReLU where `relu`), or null where it does not fit.
  static std::unique_ptr<WinogradConv> make_folded(Build& b, const std::string& name, const Act& in,
                                                   const dnnl::memory& out,
                                                   const dnnl::memory& weights,
                                                   const dnnl::memory& bias, bool relu);

  /// Transforms the weights again where the parameters changed, then runs.
  void forward(dnnl::stream& s) const;
  /// Weight and bias gradients, then the input gradient (where the input has one).
  void backward(dnnl::stream& s) const;
  /// Planned reorders one training step runs here.
  int reorders() const;

  WinogradConv() = default;

 private:
  struct Shape {
    dnnl::memory::dim n, c, k, h, w, th, tw;  // images, in/out channels, map, tiles
    int m;                                    // output tile size: F(m x m, 3x3)
    int block;                                // channels per block of the layouts: 8 or 16
    dnnl::memory::dim tiles() const { return n * th * tw; }
    int positions() const { return (m + 2) * (m + 2); }  // transformed values per tile
    /// Floats from one transformed position's [tiles][channels] slab to the next: the slab and
    /// one cache line, so that a tile's values (one per slab) do not all fall into the same
    /// cache set (the slabs are multiples of 4 KiB). Two models in one process, 10 profiled
    /// steps each: the transforms took 25.5 ms a step against 27.0 without the line.
    dnnl::memory::dim step(dnnl::memory::dim channels) const { return channels * tiles() + pad; }
    dnnl::memory::dim pad = 16;
    /// 16-channel blocks on a CPU with AVX-512: the transforms' register paths.
    bool avx512 = false;
  };

  struct Weights {
    dnnl::memory::desc md;
    dnnl::memory value, grad, bias, bias_grad;  // grads empty for inference
  };
  static std::unique_ptr<WinogradConv> build(Build& b, const std::string& name, const Act& in,
                                             const Act& out, const Weights& w, bool relu);

  // The transforms: parallel loops over planes or blocks of channels, whose bodies are the
  // static functions below for the layer's tile size M.
  void transform_weights() const;
  void transform_weights16() const;
  void transform_weights_any() const;
  void input_to_tiles(const float* x, float* v) const;
  void input_to_tiles16(const float* x, float* v) const;
  void input_to_tiles_any(const float* x, float* v) const;

  void tiles_to_output(const float* m, const float* bias, float* y) const;
  void tiles_to_output16(const float* m, const float* bias, float* y) const;
  void tiles_to_output_any(const float* m, const float* bias, float* y) const;
  void output_grad_to_tiles(const float* dy, float* dm, float* dbias) const;
  void output_grad_to_tiles16(const float* dy, float* dm, float* dbias) const;
  void output_grad_to_tiles_any(const float* dy, float* dm, float* dbias) const;
  void tiles_to_input_grad(const float* dv, float* dx) const;
  void tiles_to_input_grad16(const float* dv, float* dx) const;
  void tiles_to_input_grad_any(const float* dv, float* dx) const;
  /// Maps up to this many pixels sum their input gradient on the stack (64 KiB per thread).
  static constexpr dnnl::memory::dim kMaxStackPixels = 1024;
  void weight_grad_from_tiles(const float* du, float* dw) const;
  void weight_grad_from_tiles16(const float* du, float* dw) const;
  void weight_grad_from_tiles_any(const float* du, float* dw) const;
  template <int M, int B>
  [[gnu::always_inline]] static void weights_block(const float* g, float* u, std::ptrdiff_t blk,
                                                   std::ptrdiff_t step);
  template <int M, int B>
  [[gnu::always_inline]] static void input_plane(const Shape& sh, const float* x, float* v,
                                                 std::ptrdiff_t n, std::ptrdiff_t cb);
  template <int M, int B>
  [[gnu::always_inline]] static void output_plane(const Shape& sh, bool relu, const float* m,
                                                  const float* bias, float* y, std::ptrdiff_t n,
                                                  std::ptrdiff_t kb);
  template <int M, int B>
  [[gnu::always_inline]] static void output_grad_block(const Shape& sh, const float* dy, float* dm,
                                                       float* dbias, std::ptrdiff_t kb);
  template <int M, int B>
  [[gnu::always_inline]] static void input_grad_plane(const Shape& sh, const float* dv, float* dx,
                                                      std::ptrdiff_t n, std::ptrdiff_t cb);
  template <int M, int B>
  [[gnu::always_inline]] static void weight_grad_block(const float* du, float* dw,
                                                       std::ptrdiff_t blk, std::ptrdiff_t step);

  std::vector<std::string> names_;  // of the transforms, for the profiler
  Shape sh_{};
  bool relu_ = false;
  Profiler* profiler_ = nullptr;
  const ParamStore* params_ = nullptr;
  mutable std::uint64_t transformed_version_ = 0;
  dnnl::memory x_, y_, dx_, dy_;  // the layer's input, output and their gradients
  dnnl::memory w_, dw_, b_, db_;  // weights, bias, gradients (handles read at each call)
  dnnl::memory u_, u_bwd_, du_;   // transformed weights (forward, backward-data layouts), grad
  dnnl::memory in_tiles_;         // transformed input: this layer's in training, else shared
  dnnl::memory in_grad_tiles_;    // shared: its gradient
  dnnl::memory out_tiles_;        // shared: transformed output, or its gradient
  Op to_bwd_;                     // the transformed weights into backward-data's blocking
  std::vector<Op> fwd_, bwd_data_, bwd_weights_;  // one per transformed position
};

}  // namespace signsnet::core
