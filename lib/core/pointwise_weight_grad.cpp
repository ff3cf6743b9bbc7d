#include "core/pointwise_weight_grad.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>

namespace signsnet::core {
namespace {

// Positions a chunk of images should hold at least: stage 5's 2x2 maps take 32 images at a time,
// stage 2's 15x15 maps one.
constexpr long kChunkPositions = 128;

struct Job {
  const float* x;   // the input, at its layout's offset
  const float* dy;  // the output gradient, at its layout's offset
  float* dw;        // [O / 16][I / 16][16 inputs][16 outputs]
  float* db;        // [O]
  long in_blocks, positions;
  long x_image, x_block, dy_image, dy_block;  // strides in floats
};

// Adds (or, for the first chunk, writes) the sums over images [n0, n1) of output blocks ob and
// ob + 1 by input channels ib * 16 + half * 8 ... + 7; `bias`: also the output blocks' sums.
__attribute__((target("avx512f"))) void accumulate(const Job& j, long ob, long ib, long half,
                                                   long n0, long n1, bool bias) {
  float* t0 = j.dw + (ob * j.in_blocks + ib) * 256 + half * 128;
  float* t1 = t0 + j.in_blocks * 256;
  const bool first = n0 == 0;
  __m512 a0[8], a1[8];
  for (int k = 0; k < 8; ++k) {
    a0[k] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(t0 + 16 * k);
    a1[k] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(t1 + 16 * k);
  }
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  const long end = j.positions * 16;
  for (long n = n0; n < n1; ++n) {
    const float* x = j.x + n * j.x_image + ib * j.x_block + half * 8;
    const float* d0 = j.dy + n * j.dy_image + ob * j.dy_block;
    const float* d1 = d0 + j.dy_block;
    for (long p = 0; p < end; p += 16) {
      const __m512 v0 = _mm512_loadu_ps(d0 + p), v1 = _mm512_loadu_ps(d1 + p);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const __m512 xv = _mm512_set1_ps(x[p + k]);
        a0[k] = _mm512_fmadd_ps(v0, xv, a0[k]);
        a1[k] = _mm512_fmadd_ps(v1, xv, a1[k]);
      }
      if (bias) {
        s0 = _mm512_add_ps(s0, v0);
        s1 = _mm512_add_ps(s1, v1);
      }
    }
  }
  for (int k = 0; k < 8; ++k) {
    _mm512_storeu_ps(t0 + 16 * k, a0[k]);
    _mm512_storeu_ps(t1 + 16 * k, a1[k]);
  }
  if (!bias) return;
  float* b = j.db + ob * 16;
  if (!first) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(b));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(b + 16));
  }
  _mm512_storeu_ps(b, s0);
  _mm512_storeu_ps(b + 16, s1);
}

// One thread's share: output block pairs [p0, p1) by input blocks [i0, i1), chunk by chunk.
void share(const Job& j, long images, long chunk, long p0, long p1, long i0, long i1) {
  for (long n0 = 0; n0 < images; n0 += chunk) {
    const long n1 = std::min(images, n0 + chunk);
    for (long p = p0; p < p1; ++p)
      for (long ib = i0; ib < i1; ++ib)
        for (long half = 0; half < 2; ++half)
          accumulate(j, 2 * p, ib, half, n0, n1, ib == 0 && half == 0);
  }
}

bool blocked16(const ChannelLayout& l) {
  return l.error.empty() && l.block == 16 && l.c % 16 == 0 && l.positions_contiguous();
}

}  // namespace

std::unique_ptr<PointwiseWeightGrad> PointwiseWeightGrad::make(Build& b, const std::string& name,
                                                               const dnnl::memory& src,
                                                               const dnnl::memory& out_grad,
                                                               const Slot& w, const Slot& bias) {
  const ChannelLayout x = ChannelLayout::of(src.get_desc()),
                      dy = ChannelLayout::of(out_grad.get_desc());
  if (!__builtin_cpu_supports("avx512f") || !blocked16(x) || !blocked16(dy) || dy.c % 32 != 0 ||
      x.n != dy.n || x.h != dy.h || x.w != dy.w)
    return nullptr;
  const dnnl::memory::desc blocked({dy.c, x.c, 1, 1}, dt::f32, tag::ABcd16b16a);
  if (w.md != blocked) return nullptr;
  const long positions = dy.h * dy.w;
  if (x.c > dy.c && positions > 16) return nullptr;  // oneDNN's kernel is as fast there

  auto g = std::unique_ptr<PointwiseWeightGrad>(new PointwiseWeightGrad());
  const long images = x.n, chunk = std::max(1L, kChunkPositions / positions);
  const long pairs = dy.c / 32, in_blocks = x.c / 16;
  const bool by_input = x.c > dy.c;  // each thread then reads all of dY, the smaller tensor
  const dnnl::memory in = src, grad = out_grad, w_grad = w.grad, b_grad = bias.grad;
  g->op_ = b.rt.custom(name + " bwd_w", "signsnet:pointwise_weight_grad:avx512", [=] {
    const Job j{floats(in) + x.offset,
                floats(grad) + dy.offset,
                floats(w_grad),
                floats(b_grad),
                in_blocks,
                positions,
                x.n_stride,
                x.block_stride,
                dy.n_stride,
                dy.block_stride};
    const long units = by_input ? in_blocks : pairs;
#pragma omp parallel
    {
      const long t = omp_get_thread_num(), threads = omp_get_num_threads();
      const long u0 = units * t / threads, u1 = units * (t + 1) / threads;
      if (by_input)
        share(j, images, chunk, 0, pairs, u0, u1);
      else
        share(j, images, chunk, u0, u1, 0, in_blocks);
    }
  });
  return g;
}

}  // namespace signsnet::core
