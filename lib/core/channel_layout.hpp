// Per-channel loops over a 4-D f32 tensor in the layout oneDNN chose for it, for the work no
// oneDNN primitive does (synchronized batch normalization).
#pragma once

#include <string>

#include "core/runtime.hpp"

namespace signsnet::core {

/// Where element (n, c, h, w) of a 4-D f32 tensor lives, for the plain layouts (nchw, nhwc, ...)
/// and those with the channels blocked once (nChw8c, nChw16c). Its offset, in floats, is
/// offset + n * n_stride + (c / block) * block_stride + h * h_stride + w * w_stride + c % block.
struct ChannelLayout {
  long n = 0, c = 0, h = 0, w = 0;
  long n_stride = 0, block_stride = 0, h_stride = 0, w_stride = 0, offset = 0;
  long block = 1;  ///< 1 for the plain layouts
  /// Empty when the layout is one of the above, else what it is instead.
  std::string error;

  static ChannelLayout of(const dnnl::memory::desc& md);
  /// The offset of (n, 0, h, w): channel c is `(c / block) * block_stride + c % block` past it.
  long pixel(long image, long y, long x) const {
    return offset + image * n_stride + y * h_stride + x * w_stride;
  }
  long blocks() const { return (c + block - 1) / block; }
  /// True where each channel block holds its positions one after another, row by row: a block
  /// of one image is then a [h * w][block] matrix.
  bool positions_contiguous() const { return w_stride == block && h_stride == w * block; }
  bool same_as(const ChannelLayout& o) const;
};

/// partial[(n * C + c) * 2 + {0, 1}] = sum and sum of squares of x[n, c, :, :] (in double).
/// One entry per image rather than one per thread: the result does not depend on the thread count.
void channel_sums(const ChannelLayout& l, const float* x, double* partial);

/// dx[n, c, h, w] += scale[c] * x[n, c, h, w] + offset[c]; x and dx share `l` and do not overlap.
void add_channel_affine(const ChannelLayout& l, const float* x, float* dx, const float* scale,
                        const float* offset);

}  // namespace signsnet::core
