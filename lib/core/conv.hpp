// Convolution with bias: forward, backward-data and backward-weights as oneDNN primitives.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/im2col_conv.hpp"
#include "core/layer.hpp"
#include "core/matmul_grad.hpp"
#include "core/pointwise_weight_grad.hpp"
#include "core/positions_conv.hpp"
#include "core/tap_products.hpp"
#include "core/winograd_conv.hpp"

namespace signsnet::core {

struct ConvOptions {
  int out = 64;
  int kernel = 1;
  int stride = 1;
  int pad = 0;
  Init init = Init::glorot_uniform;
};

/// Backward-data of a convolution (strides, symmetric padding), reading the slot's weights: where
/// oneDNN wants them in another layout, `weights_reorder` becomes the planned reorder into it, to
/// run before the returned primitive.
Op conv_backward_data(Build& b, const std::string& name, const dnnl::memory& diff_src,
                      const Slot& w, const dnnl::memory& diff_dst,
                      const dnnl::memory::dims& strides, const dnnl::memory::dims& pad,
                      const dnnl::convolution_forward::primitive_desc& hint, Op& weights_reorder);

class Conv {
 public:
  /// `in.value` empty: this is the network's first layer, and the convolution picks the input
  /// layout and owns the input memory (src_dims gives its shape). `in.grad` empty: no
  /// backward-data. `out_grad`, if given, is the gradient buffer to use for the output.
  Conv(Build& b, const std::string& name, const Act& in, const ConvOptions& o,
       const dnnl::memory::dims& src_dims = {}, dnnl::memory out_grad = {});

  const Act& out() const { return out_; }
  const dnnl::memory& src() const { return src_; }
  void forward(dnnl::stream& s) const;
  /// Weight gradients, then the input gradient (if wanted).
  void backward(dnnl::stream& s) const;
  /// Planned reorders and copies one backward pass runs.
  int reorders() const;
  /// True where the convolution runs as a 1x1 over (position, channel) pairs (positions_conv.hpp).
  bool over_positions() const { return positions_ != nullptr; }
  /// True where it runs as matrix products per tap over the positions (tap_products.hpp).
  bool over_tap_products() const { return taps_ != nullptr; }
  /// True where training runs it as a 1x1 convolution over copied taps (im2col_conv.hpp).
  bool over_taps() const { return im2col_ != nullptr; }
  /// True where backward-weights runs as one matrix product (matmul_grad.hpp).
  bool weight_grad_by_product() const { return matmul_grad_ != nullptr; }
  /// True where backward-weights runs on signsnet's 1x1 loop (pointwise_weight_grad.hpp).
  bool weight_grad_pointwise() const { return pointwise_grad_ != nullptr; }
  /// True where training runs it in the Winograd domain (winograd_conv.hpp).
  bool winograd() const { return winograd_ != nullptr; }

 private:
  using fwd_pd = dnnl::convolution_forward::primitive_desc;
  void build_backward(Build& b, const Act& in, const fwd_pd& f, const Slot& w, const Slot& bias,
                      dnnl::memory out_grad);
  void build_backward_weights(Build& b, const fwd_pd& f, const Slot& w, const Slot& bias,
                              dnnl::memory out_grad);
  void build_backward_data(Build& b, const Act& in, const fwd_pd& f, const Slot& w,
                           dnnl::memory out_grad);

  bool has_direct_backward_weights(Build& b, const fwd_pd& f) const;

  std::string name_;
  ConvOptions opt_;
  dnnl::memory src_;
  Act out_;
  bool explicit_pad_ = false;  // backward-weights reads a zero-bordered copy of the input
  Op fwd_, bwd_weights_, bwd_data_, weights_to_bwd_, grad_to_arena_;
  std::vector<Op> to_bwd_weights_;
  std::unique_ptr<TapProducts> taps_;
  std::unique_ptr<PositionsConv> positions_;
  std::unique_ptr<Im2colConv> im2col_;
  std::unique_ptr<WinogradConv> winograd_;
  std::unique_ptr<MatmulWeightGrad> matmul_grad_;        // backward-weights as a matrix product
  std::unique_ptr<PointwiseWeightGrad> pointwise_grad_;  // backward-weights on signsnet's loop
};

}  // namespace signsnet::core
