// Keeps every s-th row and column of a map: what a 1x1 convolution of stride s reads. A
// convolutional block puts one in front of its two strided 1x1 convolutions where oneDNN has no
// 1x1 kernel for the strided shape (stage 3's odd 15x15 map on AVX2), and in training where the
// kept map has at most 4 positions (stage 5's first block, whose strided backward-data is slow):
// both then run as stride-1 1x1 convolutions on the smaller map, and its backward scatters their
// summed gradient back.
#pragma once

#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

/// The same buffer seen as every `stride`-th row and column of a blocked 4-d map: oneDNN takes
/// any strides, so reorders copy through this view in whatever blocked layout `md` has.
dnnl::memory::desc strided_view(const dnnl::memory::desc& md, int stride);

class Subsample {
 public:
  /// True where a 1x1 convolution of `stride` to `out` channels on `in` gets no 1x1 kernel, or
  /// (training) keeps at most 4 positions.
  static bool wanted(Build& b, const dnnl::memory::desc& in, int out, int stride);

  /// `out`: the channels of the convolution that reads the kept map (it picks the layout).
  /// `in.grad` empty: no backward.
  Subsample(Build& b, const std::string& name, const Act& in, int out, int stride);

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const { gather_.run(s); }
  /// Writes the input's gradient: out().grad on the kept positions, zero elsewhere.
  void backward(dnnl::stream& s) const;

 private:
  dnnl::memory in_grad_;
  Act out_;
  Op gather_, scatter_;
};

}  // namespace signsnet::core
