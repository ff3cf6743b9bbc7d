// Inference only: a convolution with the batch norm that follows it folded into its weights and
// bias, and the ReLU (and the residual add) as post-ops. With moving statistics, BN is a
// per-channel affine map, so
//   W'[o] = W[o] * s[o],  b'[o] = (b[o] - mean[o]) * s[o] + beta[o],  s[o] = gamma[o] / sqrt(var[o]
//   + eps)
// give the same output in one primitive, without the BN's and the add's passes over memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/batchnorm.hpp"
#include "core/conv.hpp"
#include "core/subsample.hpp"
#include "core/winograd_conv.hpp"

namespace signsnet::core {

class FoldedConv {
 public:
  /// The convolution `conv` (its weights and bias registered by a training network of the same
  /// model) followed by the batch norm `bn`. `sum_into`, if given, holds the residual branch:
  /// the output is added to it in place (and is it). `relu` applies after BN (and the sum).
  FoldedConv(Build& b, const std::string& conv, const std::string& bn, const Act& in,
             const ConvOptions& o, float epsilon, bool relu, const dnnl::memory& sum_into = {});

  const Act& out() const { return out_; }
  /// Refolds when the parameters or statistics changed since the last forward, then runs.
  void forward(dnnl::stream& s) const;

 private:
  void fold() const;
  /// The product path (below) where it fits and oneDNN has a kernel of its own for it.
  bool build_product(Build& b, const std::string& conv, const Act& in, const ConvOptions& o,
                     const dnnl::memory::desc& dst, bool relu, bool sum);

  const ParamStore* params_ = nullptr;
  const Slot *weight_, *bias_, *gamma_, *beta_, *mean_, *variance_;
  float epsilon_ = 0;
  dnnl::memory weights_, folded_bias_;  // the folded copies the primitive reads
  Runtime* rt_ = nullptr;
  Act out_;
  Op fwd_;
  std::unique_ptr<WinogradConv> winograd_;  // a 3x3 convolution where it fits, instead of fwd_
  // Stages 4 and 5 at a few images (serving one image at a time): a handful of output pixels per
  // weight, so the layer is a pass over its weights, which oneDNN's direct kernels made at about
  // half the rate a plain stream reaches. Instead one matrix product over the P <= 16 output
  // positions, Y[P][O] = X[P][K] x W'[K][O] + b', K = (kh, kw, i), on signsnet's AVX-512 loop
  // (the folded weights in stripes of output channels, each streamed once), between a gather of
  // the input's taps (X) and a scatter of Y into the output's layout (adding the residual, then
  // the ReLU).
  bool product_ = false;
  dnnl::memory cols_, rows_;  // X and Y
  Op gather_, scatter_;
  mutable std::uint64_t folded_version_ = 0;
};

/// An inference bottleneck block with every convolution's BN folded (FoldedConv): conv1 and
/// conv2 carry their ReLU, the shortcut convolution (a convolutional block) its BN, and conv3 adds
/// into the shortcut and applies the block's ReLU. An identity block adds into its input in place,
/// which no later layer reads. A conv2 that runs over positions (positions_conv.hpp) keeps its
/// own BN layer.
class FoldedBottleneck {
 public:
  FoldedBottleneck(Build& b, const std::string& name, const Act& in, int mid, int out, int kernel,
                   int stride, bool projection, float epsilon);

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const;
  void for_each_bn(const std::function<void(const BatchNorm&)>& f) const;

 private:
  std::unique_ptr<Subsample> subsample_;
  std::unique_ptr<FoldedConv> conv1_, shortcut_, conv3_, folded2_;
  std::unique_ptr<Conv> conv2_;  // over positions, with bn2_
  std::unique_ptr<BatchNorm> bn2_;
  Act out_;
};

}  // namespace signsnet::core
