#include "core/channel_layout.hpp"

#include <algorithm>

namespace signsnet::core {
namespace {

// The widest channel block the loops keep in local accumulators (oneDNN uses 4, 8 and 16).
constexpr long kMaxBlock = 64;

std::string blocking_text(const dnnl_blocking_desc_t& bk) {
  std::string s = std::to_string(bk.inner_nblks) + " inner blocks";
  for (int i = 0; i < bk.inner_nblks; ++i)
    s += (i ? ", " : " (") + std::to_string(bk.inner_blks[i]) + " of dim " +
         std::to_string(bk.inner_idxs[i]) + (i + 1 == bk.inner_nblks ? ")" : "");
  return s;
}

}  // namespace

ChannelLayout ChannelLayout::of(const dnnl::memory::desc& md) {
  ChannelLayout l;
  const dnnl_memory_desc_t& d = md.data;
  if (d.ndims != 4) {
    l.error = "layout: expected 4 dims, got " + std::to_string(d.ndims);
    return l;
  }
  if (d.data_type != dnnl_f32 || d.format_kind != dnnl_blocked) {
    l.error = "layout: expected f32 in a blocked format";
    return l;
  }
  const dnnl_blocking_desc_t& bk = d.format_desc.blocking;
  if (bk.inner_nblks > 1 || (bk.inner_nblks == 1 && bk.inner_idxs[0] != 1) ||
      (bk.inner_nblks == 1 && bk.inner_blks[0] > kMaxBlock)) {
    l.error = "layout: expected a plain one or the channels blocked once by at most " +
              std::to_string(kMaxBlock) + ", got " + blocking_text(bk);
    return l;
  }
  l.n = d.dims[0], l.c = d.dims[1], l.h = d.dims[2], l.w = d.dims[3];
  l.n_stride = bk.strides[0], l.block_stride = bk.strides[1];
  l.h_stride = bk.strides[2], l.w_stride = bk.strides[3];
  l.offset = d.offset0;
  l.block = bk.inner_nblks == 1 ? bk.inner_blks[0] : 1;
  return l;
}

bool ChannelLayout::same_as(const ChannelLayout& o) const {
  return error.empty() && o.error.empty() && n == o.n && c == o.c && h == o.h && w == o.w &&
         n_stride == o.n_stride && block_stride == o.block_stride && h_stride == o.h_stride &&
         w_stride == o.w_stride && offset == o.offset && block == o.block;
}

namespace {

// The loops below take one image and one channel block per iteration; `width` channels of the
// block are real (fewer than `block` in the last block of a padded layout). A compile-time block
// keeps the block's accumulators in registers; B = 0 is the fallback for other block sizes.

template <long B>
void block_sums(const ChannelLayout& l, const float* __restrict base, long width, double* sum,
                double* sq) {
  const long lanes = B ? B : width;
  double s[B ? B : kMaxBlock] = {}, q[B ? B : kMaxBlock] = {};  // registers when B is fixed
  for (long h = 0; h < l.h; ++h)
    for (long w = 0; w < l.w; ++w) {
      const float* p = base + h * l.h_stride + w * l.w_stride;
      for (long j = 0; j < lanes; ++j) {
        const double v = p[j];
        s[j] += v;
        q[j] += v * v;
      }
    }
  for (long j = 0; j < lanes; ++j) sum[j] = s[j], sq[j] = q[j];
}

// Plain layouts: one channel, its values contiguous along w in nchw.
void plain_sums(const ChannelLayout& l, const float* __restrict base, double* sum, double* sq) {
  double s = 0, q = 0;
  for (long h = 0; h < l.h; ++h) {
    const float* p = base + h * l.h_stride;
#pragma omp simd reduction(+ : s, q)
    for (long w = 0; w < l.w; ++w) {
      const double v = p[w * l.w_stride];
      s += v;
      q += v * v;
    }
  }
  *sum = s, *sq = q;
}

template <long B>
void block_affine(const ChannelLayout& l, const float* __restrict x, float* __restrict dx,
                  long width, const float* __restrict scale, const float* __restrict offset) {
  const long lanes = B ? B : width;
  for (long h = 0; h < l.h; ++h)
    for (long w = 0; w < l.w; ++w) {
      const long o = h * l.h_stride + w * l.w_stride;
#pragma omp simd
      for (long j = 0; j < lanes; ++j) dx[o + j] += scale[j] * x[o + j] + offset[j];
    }
}

}  // namespace

void channel_sums(const ChannelLayout& l, const float* x, double* partial) {
  const long blocks = l.blocks();
#pragma omp parallel for collapse(2) schedule(static)
  for (long n = 0; n < l.n; ++n)
    for (long cb = 0; cb < blocks; ++cb) {
      const long c0 = cb * l.block, width = std::min(l.block, l.c - c0);
      const float* base = x + l.offset + n * l.n_stride + cb * l.block_stride;
      double sum[kMaxBlock], sq[kMaxBlock];
      if (l.block == 1)
        plain_sums(l, base, sum, sq);
      else if (l.block == 8 && width == 8)
        block_sums<8>(l, base, width, sum, sq);
      else if (l.block == 16 && width == 16)
        block_sums<16>(l, base, width, sum, sq);
      else
        block_sums<0>(l, base, width, sum, sq);
      double* out = partial + (n * l.c + c0) * 2;
      for (long j = 0; j < width; ++j) out[2 * j] = sum[j], out[2 * j + 1] = sq[j];
    }
}

void add_channel_affine(const ChannelLayout& l, const float* x, float* dx, const float* scale,
                        const float* offset) {
  const long blocks = l.blocks();
#pragma omp parallel for collapse(2) schedule(static)
  for (long n = 0; n < l.n; ++n)
    for (long cb = 0; cb < blocks; ++cb) {
      const long c0 = cb * l.block, width = std::min(l.block, l.c - c0);
      const long base = l.offset + n * l.n_stride + cb * l.block_stride;
      const float* k = scale + c0;
      const float* a = offset + c0;
      if (l.block == 8 && width == 8)
        block_affine<8>(l, x + base, dx + base, width, k, a);
      else if (l.block == 16 && width == 16)
        block_affine<16>(l, x + base, dx + base, width, k, a);
      else
        block_affine<0>(l, x + base, dx + base, width, k, a);
    }
}

}  // namespace signsnet::core
