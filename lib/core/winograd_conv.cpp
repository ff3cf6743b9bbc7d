#include "core/winograd_conv.hpp"

#include <immintrin.h>

#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "core/positions_conv.hpp"
#include "core/vector_clones.hpp"

// The transforms are additions of 8- or 16-float vectors (the channel blocks of AVX2's and
// AVX-512's layouts), built in vector clones (vector_clones.hpp: AVX2's 1.5 to 2 times faster
// than the baseline on the AVX2 machine).

namespace signsnet::core {
namespace {

// Measured on the AVX2 machine (2 threads, 32 images, a throwaway program timing the
// primitives, milliseconds for forward + backward-data + backward-weights): direct 3x3 against
// the 16 1x1 products over all tiles, before the transforms: 64 channels on 15x15 9.3 / 5.3,
// 128 on 8x8 13.2 / 4.9, 256 on 4x4 12.0 / 4.8; the transforms took 0.15 to 0.7 ms each.
// Narrower layers keep the direct kernel (the tiny test models among them, whose tests'
// tolerances were measured on it).
constexpr dnnl::memory::dim kMinChannels = 64;
// Inference at fewer images keeps the direct kernel: too few tiles for the 1x1 kernels' blocking.
constexpr dnnl::memory::dim kMinInferenceImages = 8;
// Maps at least this large on both sides take the larger tiles, F(4x4, 3x3): 36 products per 16
// outputs instead of 16 per 4. Measured on the AVX2 machine (2 threads, 32 images, two
// models in one process stepping in turn, median of 20 ratios): stages 2 and 3 on 4x4 tiles made
// the training step 1.035 to 1.040 times faster (three runs) and inference 1.00 to 1.04. On stage
// 4's 4x4 maps the products ran 1.2 to 1.4 times faster but the transformed weights, 2.25 times
// larger, cost more than that saved (stage 4 0.94 and 0.79 times as fast in two profiled steps).
constexpr dnnl::memory::dim kLargeTilesFrom = 8;
// The channel blocks these loops read: nChw8c and OIhw8i8o (AVX2) or nChw16c and OIhw16i16o
// (AVX-512).
constexpr dnnl::memory::dim kMinBlock = 8;
tag act_tag(int block) {
  return block == 16 ? tag::nChw16c : tag::nChw8c;
}
tag weights_tag(int block) {
  return block == 16 ? tag::OIhw16i16o : tag::OIhw8i8o;
}
// Backward-data's blocking of the transformed weights: each block transposed (AVX2), or the
// blocks' order as well (AVX-512).
tag weights_bwd_tag(int block) {
  return block == 16 ? tag::IOhw16o16i : tag::OIhw8o8i;
}
// The same per transformed position, as groups: each position's weights stay contiguous.
tag grouped_weights_tag(int block) {
  return block == 16 ? tag::gOIhw16i16o : tag::gOIhw8i8o;
}
tag grouped_weights_bwd_tag(int block) {
  return block == 16 ? tag::gIOhw16o16i : tag::gOIhw8o8i;
}
constexpr int kTaps = 9;

using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

// A coefficient matrix known at compile time, read as given (Rows) or transposed (Cols).
template <const auto& kMatrix>
struct Rows {
  static constexpr float at(int r, int k) { return kMatrix[r][k]; }
};
template <const auto& kMatrix>
struct Cols {
  static constexpr float at(int r, int k) { return kMatrix[k][r]; }
};

// out[r][x] = sum over k of C(r, k) * in[k][x], for rows of X floats. The loops over r and k
// unroll, so every coefficient is a constant (zero terms vanish, ones become additions), and the
// loop over x vectorizes.
template <int R, int K, int X, class C>
[[gnu::always_inline]] inline void combine(const float* in, float* out) {
  for (int x = 0; x < X; ++x) {
    float v[K];
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) v[k] = in[k * X + x];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float s = 0.0f;
      bool first = true;
#pragma GCC unroll 8
      for (int k = 0; k < K; ++k) {
        const float c = C::at(r, k);
        if (c == 0.0f) continue;
        s = first ? c * v[k] : s + c * v[k];
        first = false;
      }
      out[r * X + x] = s;
    }
  }
}

// The matrices of F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray, 2015): input tiles of alpha x
// alpha, alpha = M + 2, become V = B^T d B; weights U = G g G^T; output tiles Y = A^T (U . V) A.
constexpr float kBT2[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr float kG2[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
constexpr float kAT2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
constexpr float kBT4[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                              {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr float kG4[6][3] = {{1.0f / 4, 0, 0},
                             {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                             {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                             {1.0f / 24, 1.0f / 12, 1.0f / 6},
                             {1.0f / 24, -1.0f / 12, 1.0f / 6},
                             {0, 0, 1}};
constexpr float kAT4[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

template <int M>
struct Tile;
template <>
struct Tile<2> {
  static constexpr int kAlpha = 4;
  using BT = Rows<kBT2>;
  using B = Cols<kBT2>;
  using G = Rows<kG2>;
  using GT = Cols<kG2>;
  using AT = Rows<kAT2>;
  using A = Cols<kAT2>;
};
template <>
struct Tile<4> {
  static constexpr int kAlpha = 6;
  using BT = Rows<kBT4>;
  using B = Cols<kBT4>;
  using G = Rows<kG4>;
  using GT = Cols<kG4>;
  using AT = Rows<kAT4>;
  using A = Cols<kAT4>;
};

}  // namespace

// AVX-512 with 16-channel blocks: every transform holds a tile's values as whole registers and
// writes its result with streaming stores. Each layer's transformed tiles (2 to 5 MB), its
// output and input gradient and its weight gradient were last touched a step ago; ordinary stores
// first read every line from memory. The input gradient's overlapping tiles add up in a buffer on
// the stack before they are streamed out. The compiler-built loops below stay for other CPUs.
// Two models in one process, 10 profiled steps each, against those loops: the input transforms
// 7.7 -> 5.5 ms a step with registers alone, 2.1 ms with streaming stores as well, the output
// gradient's 2.9 -> 1.8; then the other four (weights 3.2 -> 2.3, weight gradient 3.5 -> 1.5,
// output 4.4 -> 2.6, input gradient 5.6 -> 3.3), all six 21.1 -> 14.1 ms.
template <int R, int K, class C>
__attribute__((target("avx512f"), always_inline)) inline void combine16(const __m512* in, int step,
                                                                        __m512* out, int out_step) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    __m512 s = _mm512_setzero_ps();
    bool first = true;
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const float c = C::at(r, k);
      if (c == 0.0f) continue;
      const __m512 v = in[k * step];
      if (first)
        s = c == 1.0f ? v : _mm512_mul_ps(_mm512_set1_ps(c), v);
      else if (c == 1.0f)
        s = _mm512_add_ps(s, v);
      else if (c == -1.0f)
        s = _mm512_sub_ps(s, v);
      else
        s = _mm512_fmadd_ps(_mm512_set1_ps(c), v, s);
      first = false;
    }
    out[r * out_step] = s;
  }
}

// V = B^T d B for the tiles of one image and channel block (the map `plane`, h x w), written
// `next` floats apart per transformed position, tile q at q * 16 within channel block `cb`.
struct Plane16 {
  std::ptrdiff_t h, w, th, tw, tiles, next;
};

// f(tile size M as a type, image, channel block) for every image and 16-channel block, in
// parallel.
template <class F>
inline void each_plane16(std::ptrdiff_t images, std::ptrdiff_t blocks, int m, const F& f) {
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < images; ++n) {
    for (std::ptrdiff_t b = 0; b < blocks; ++b) {
      if (m == 4)
        f(std::integral_constant<int, 4>{}, n, b);
      else
        f(std::integral_constant<int, 2>{}, n, b);
    }
  }
}

template <int M>
__attribute__((target("avx512f"))) inline void input_plane16(const Plane16& g, const float* plane,
                                                             float* v, std::ptrdiff_t n,
                                                             std::ptrdiff_t cb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, B = 16;
  const std::ptrdiff_t next = g.next, tiles = g.tiles;
  for (std::ptrdiff_t ty = 0; ty < g.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < g.tw; ++tx) {
      __m512 d[a][a], r[a][a], row[a];
      for (int i = 0; i < a; ++i) {
        const std::ptrdiff_t yy = M * ty - 1 + i;
        for (int j = 0; j < a; ++j) {
          const std::ptrdiff_t xx = M * tx - 1 + j;
          d[i][j] = yy >= 0 && yy < g.h && xx >= 0 && xx < g.w
                        ? _mm512_loadu_ps(plane + (yy * g.w + xx) * B)
                        : _mm512_setzero_ps();
        }
      }
      for (int j = 0; j < a; ++j)
        combine16<a, a, typename T::BT>(&d[0][j], a, &r[0][j], a);  // B^T d
      const std::ptrdiff_t q = (n * g.th + ty) * g.tw + tx;
      for (int i = 0; i < a; ++i) {
        combine16<a, a, typename T::BT>(&r[i][0], 1, row, 1);  // row i of B^T d B
        float* o = v + i * a * next + (cb * tiles + q) * B;
        for (int j = 0; j < a; ++j) _mm512_stream_ps(o + j * next, row[j]);
      }
    }
  }
  _mm_sfence();  // this thread's streaming stores, before the products read the tiles
}

// dm = A dy A^T for the tiles of one channel block over every image (`dy` the first image's
// plane of it, `image` floats from one image's to the next), and that block's bias gradient.
template <int M>
__attribute__((target("avx512f"))) inline void output_grad_block16(
    const Plane16& g, std::ptrdiff_t images, std::ptrdiff_t image, const float* dy, float* dm,
    std::ptrdiff_t kb, float* dbias) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, B = 16;
  const std::ptrdiff_t next = g.next, tiles = g.tiles;
  __m512 sum = _mm512_setzero_ps();
  for (std::ptrdiff_t n = 0; n < images; ++n) {
    const float* plane = dy + n * image;
    for (std::ptrdiff_t ty = 0; ty < g.th; ++ty) {
      for (std::ptrdiff_t tx = 0; tx < g.tw; ++tx) {
        __m512 d[M][M], r[a][M], row[a];
        for (int i = 0; i < M; ++i) {
          const std::ptrdiff_t yy = M * ty + i;
          for (int j = 0; j < M; ++j) {
            const std::ptrdiff_t xx = M * tx + j;
            d[i][j] = yy < g.h && xx < g.w ? _mm512_loadu_ps(plane + (yy * g.w + xx) * B)
                                           : _mm512_setzero_ps();
            sum = _mm512_add_ps(sum, d[i][j]);
          }
        }
        for (int j = 0; j < M; ++j)
          combine16<a, M, typename T::A>(&d[0][j], M, &r[0][j], M);  // A dy
        const std::ptrdiff_t q = (n * g.th + ty) * g.tw + tx;
        for (int i = 0; i < a; ++i) {
          combine16<a, M, typename T::A>(&r[i][0], 1, row, 1);  // row i of A dy A^T
          float* o = dm + i * a * next + (kb * tiles + q) * B;
          for (int j = 0; j < a; ++j) _mm512_stream_ps(o + j * next, row[j]);
        }
      }
    }
  }
  _mm512_storeu_ps(dbias + kb * B, sum);
  _mm_sfence();  // this thread's streaming stores, before the products read the tiles
}

// U = G g G^T for one block of 16 x 16 (output, input) channel pairs, 16 lanes at a time, written
// `step` floats apart per transformed position.
template <int M>
__attribute__((target("avx512f"))) inline void weights_block16(const float* g, float* u,
                                                               std::ptrdiff_t step) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, lanes = 256;
  for (int ch = 0; ch < lanes; ch += 16) {
    __m512 w[3][3], r[a][3], row[a];
    for (int t = 0; t < 9; ++t) w[t / 3][t % 3] = _mm512_loadu_ps(g + t * lanes + ch);
    for (int kw = 0; kw < 3; ++kw)
      combine16<a, 3, typename T::G>(&w[0][kw], 3, &r[0][kw], 3);  // G g
    for (int i = 0; i < a; ++i) {
      combine16<a, 3, typename T::G>(&r[i][0], 1, row, 1);  // row i of G g G^T
      for (int j = 0; j < a; ++j) _mm512_stream_ps(u + (i * a + j) * step + ch, row[j]);
    }
  }
}

// dg = G^T du G for one block of channel pairs, 16 lanes at a time.
template <int M>
__attribute__((target("avx512f"))) inline void weight_grad_block16(const float* du, float* dw,
                                                                   std::ptrdiff_t step) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, lanes = 256;
  for (int ch = 0; ch < lanes; ch += 16) {
    __m512 t[a][a], r[3][a], row[3];
    for (int i = 0; i < a * a; ++i) t[i / a][i % a] = _mm512_loadu_ps(du + i * step + ch);
    for (int j = 0; j < a; ++j)
      combine16<3, a, typename T::GT>(&t[0][j], a, &r[0][j], a);  // G^T du
    for (int kh = 0; kh < 3; ++kh) {
      combine16<3, a, typename T::GT>(&r[kh][0], 1, row, 1);  // row kh of G^T du G
      for (int kw = 0; kw < 3; ++kw) _mm512_stream_ps(dw + (kh * 3 + kw) * lanes + ch, row[kw]);
    }
  }
}

// y = A^T m A + bias (then the ReLU) for the tiles of one image and channel block, `plane` its
// output map; outputs past the map's edge are dropped.
template <int M>
__attribute__((target("avx512f"))) inline void output_plane16(const Plane16& g, bool relu,
                                                              const float* m, const float* bias,
                                                              float* plane, std::ptrdiff_t n,
                                                              std::ptrdiff_t kb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, B = 16;
  const std::ptrdiff_t next = g.next, tiles = g.tiles;
  const __m512 b = _mm512_loadu_ps(bias + kb * B), zero = _mm512_setzero_ps();
  for (std::ptrdiff_t ty = 0; ty < g.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < g.tw; ++tx) {
      const std::ptrdiff_t q = (n * g.th + ty) * g.tw + tx;
      const float* p = m + (kb * tiles + q) * B;
      __m512 t[a][a], r[M][a], row[M];
      for (int i = 0; i < a * a; ++i) t[i / a][i % a] = _mm512_loadu_ps(p + i * next);
      for (int j = 0; j < a; ++j)
        combine16<M, a, typename T::AT>(&t[0][j], a, &r[0][j], a);  // A^T m
      for (int i = 0; i < M; ++i) {
        const std::ptrdiff_t yy = M * ty + i;
        if (yy >= g.h) break;
        combine16<M, a, typename T::AT>(&r[i][0], 1, row, 1);  // row i of A^T m A
        for (int j = 0; j < M; ++j) {
          const std::ptrdiff_t xx = M * tx + j;
          if (xx >= g.w) break;
          __m512 v = _mm512_add_ps(row[j], b);
          if (relu) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), v);
          _mm512_stream_ps(plane + (yy * g.w + xx) * B, v);
        }
      }
    }
  }
  _mm_sfence();
}

// dx = sum over the tiles of one image and channel block of B dv B^T (neighbouring tiles overlap),
// summed in `acc` (h * w * 16 floats), then streamed into `plane`.
template <int M>
__attribute__((target("avx512f"))) inline void input_grad_plane16(const Plane16& g, const float* dv,
                                                                  float* acc, float* plane,
                                                                  std::ptrdiff_t n,
                                                                  std::ptrdiff_t cb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, B = 16;
  const std::ptrdiff_t next = g.next, tiles = g.tiles, pixels = g.h * g.w;
  for (std::ptrdiff_t k = 0; k < pixels; ++k) _mm512_store_ps(acc + k * B, _mm512_setzero_ps());
  for (std::ptrdiff_t ty = 0; ty < g.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < g.tw; ++tx) {
      const std::ptrdiff_t q = (n * g.th + ty) * g.tw + tx;
      const float* p = dv + (cb * tiles + q) * B;
      __m512 t[a][a], r[a][a], row[a];
      for (int i = 0; i < a * a; ++i) t[i / a][i % a] = _mm512_loadu_ps(p + i * next);
      for (int j = 0; j < a; ++j) combine16<a, a, typename T::B>(&t[0][j], a, &r[0][j], a);  // B dv
      for (int i = 0; i < a; ++i) {
        const std::ptrdiff_t yy = M * ty - 1 + i;
        if (yy < 0 || yy >= g.h) continue;
        combine16<a, a, typename T::B>(&r[i][0], 1, row, 1);  // row i of B dv B^T
        for (int j = 0; j < a; ++j) {
          const std::ptrdiff_t xx = M * tx - 1 + j;
          if (xx < 0 || xx >= g.w) continue;
          float* o = acc + (yy * g.w + xx) * B;
          _mm512_store_ps(o, _mm512_add_ps(_mm512_load_ps(o), row[j]));
        }
      }
    }
  }
  for (std::ptrdiff_t k = 0; k < pixels; ++k)
    _mm512_stream_ps(plane + k * B, _mm512_load_ps(acc + k * B));
  _mm_sfence();
}

// F(4x4, 3x3) where the map has room for its tiles; F(2x2, 3x3) on smaller maps, where 4x4 tiles
// would be mostly padding.
int WinogradConv::tile_size(dnnl::memory::dim h, dnnl::memory::dim w) {
  return h >= kLargeTilesFrom && w >= kLargeTilesFrom ? 4 : 2;
}

bool WinogradConv::fits(const dnnl::memory::desc& in, dnnl::memory::dim out_channels, int kernel,
                        int pad) {
  const dnnl::memory::dims d = in.dims();
  return kernel == 3 && pad == 1 && d[1] >= kMinChannels && d[1] % kMinBlock == 0 &&
         out_channels % kMinBlock == 0 && d[2] >= 2 && d[3] >= 2 &&
         !PositionsConv::fits(in, kernel, pad);
}

std::unique_ptr<WinogradConv> WinogradConv::make(Build& b, const std::string& name, const Act& in,
                                                 const Act& out, const Slot& w, const Slot& bias,
                                                 int kernel, int pad) {
  const dnnl::memory::dim co = w.md.dims()[0];
  if (!b.training || !in.value || !out.grad || !fits(in.desc(), co, kernel, pad) ||
      bias.md != dnnl::memory::desc({co}, dt::f32, tag::x))
    return nullptr;
  return build(b, name, in, out, {w.md, w.value, w.grad, bias.value, bias.grad}, false);
}

std::unique_ptr<WinogradConv> WinogradConv::make_folded(Build& b, const std::string& name,
                                                        const Act& in, const dnnl::memory& out,
                                                        const dnnl::memory& weights,
                                                        const dnnl::memory& bias, bool relu) {
  const dnnl::memory::dim co = weights.get_desc().dims()[0];
  if (b.training || !fits(in.desc(), co, 3, 1) || in.desc().dims()[0] < kMinInferenceImages)
    return nullptr;
  return build(b, name, in, Act{out, {}}, {weights.get_desc(), weights, {}, bias, {}}, relu);
}

std::unique_ptr<WinogradConv> WinogradConv::build(Build& b, const std::string& name, const Act& in,
                                                  const Act& out, const Weights& wt, bool relu) {
  const bool training = static_cast<bool>(wt.grad);
  const dnnl::memory::dims d = in.desc().dims();
  const int m = tile_size(d[2], d[3]);
  const int block = channel_block(in.desc());
  if (block == 0) return nullptr;
  Shape sh{d[0], d[1], out.desc().dims()[1], d[2], d[3], (d[2] + m - 1) / m, (d[3] + m - 1) / m,
           m,    block};
  sh.avx512 = block == 16 && __builtin_cpu_supports("avx512f");
  // The loops below read and write these layouts; elsewhere the direct kernel stays.
  const tag act = act_tag(block);
  const dnnl::memory::desc in_md({sh.n, sh.c, sh.h, sh.w}, dt::f32, act);
  const dnnl::memory::desc out_md({sh.n, sh.k, sh.h, sh.w}, dt::f32, act);
  if (sh.c % block != 0 || sh.k % block != 0 || in.desc() != in_md || out.desc() != out_md ||
      (training && out.grad.get_desc() != out_md) || (in.grad && in.grad.get_desc() != in_md) ||
      wt.md != dnnl::memory::desc({sh.k, sh.c, 3, 3}, dt::f32, weights_tag(block)))
    return nullptr;

  // One transformed position: all tiles of the batch as one image N*T tall.
  const dnnl::memory::desc src_md({1, sh.c, sh.tiles(), 1}, dt::f32, act);
  const dnnl::memory::desc dst_md({1, sh.k, sh.tiles(), 1}, dt::f32, act);
  const dnnl::memory::desc u_md({sh.k, sh.c, 1, 1}, dt::f32, weights_tag(block));
  const dnnl::memory::desc u_bwd_md({sh.k, sh.c, 1, 1}, dt::f32, weights_bwd_tag(block));
  const dnnl::memory::dims one = {1, 1}, zero = {0, 0};
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  conv_fwd::desc fd(prop, dnnl::algorithm::convolution_direct, src_md, any_md(u_md.dims()), dst_md,
                    one, zero, zero);
  conv_fwd::primitive_desc f(fd, b.rt.attr(), b.rt.engine());
  if (!is_direct_kernel(f.impl_info_str()) || f.src_desc() != src_md || f.dst_desc() != dst_md ||
      f.weights_desc() != u_md)
    return nullptr;
  std::unique_ptr<conv_bwd_data::primitive_desc> bd;
  std::unique_ptr<conv_bwd_weights::primitive_desc> bw;
  if (training) {
    conv_bwd_data::desc dd(dnnl::algorithm::convolution_direct, src_md, any_md(u_md.dims()), dst_md,
                           one, zero, zero);
    bd = std::make_unique<conv_bwd_data::primitive_desc>(dd, b.rt.attr(), b.rt.engine(), f);
    conv_bwd_weights::desc wd(dnnl::algorithm::convolution_direct, src_md, any_md(u_md.dims()),
                              dst_md, one, zero, zero);
    bw = std::make_unique<conv_bwd_weights::primitive_desc>(wd, b.rt.attr(), b.rt.engine(), f);
    if (!is_direct_kernel(bd->impl_info_str()) || !is_direct_kernel(bw->impl_info_str()) ||
        bd->diff_src_desc() != src_md || bd->diff_dst_desc() != dst_md ||
        bd->weights_desc() != u_bwd_md || bw->src_desc() != src_md ||
        bw->diff_dst_desc() != dst_md || bw->diff_weights_desc() != u_md)
      return nullptr;
  }

  auto layer = std::unique_ptr<WinogradConv>(new WinogradConv());
  WinogradConv& l = *layer;
  for (const char* what : {" weights->tiles", " input->tiles", " tiles->output", " grad->tiles",
                           " tiles->weight grad", " tiles->input grad"})
    l.names_.push_back(name + what);
  l.sh_ = sh;
  l.profiler_ = &b.rt.profiler();
  l.params_ = &b.params;
  l.x_ = in.value;
  l.dx_ = in.grad;
  l.y_ = out.value;
  l.dy_ = out.grad;
  l.relu_ = relu;
  l.w_ = wt.value;
  l.dw_ = wt.grad;
  l.b_ = wt.bias;
  l.db_ = wt.bias_grad;
  const dnnl::memory::dims all_u = {sh.positions() * sh.k, sh.c, 1, 1};
  l.u_ = b.rt.memory({all_u, dt::f32, weights_tag(block)});
  if (training) l.du_ = b.rt.memory({all_u, dt::f32, weights_tag(block)});
  if (training && in.grad) {
    // Backward-data reads the transformed weights with each block transposed: a planned reorder
    // (jit) when the weights changed, about half the time of transposing in the loop.
    const dnnl::memory::dims grouped = {sh.positions(), sh.k, sh.c, 1, 1};
    l.u_bwd_ = b.rt.memory({grouped, dt::f32, grouped_weights_bwd_tag(block)});
    l.to_bwd_ = b.rt.reorder(
        b.rt.wrap({grouped, dt::f32, grouped_weights_tag(block)}, l.u_.get_data_handle()), l.u_bwd_,
        name + " weights->bwd_d");
  }
  std::string key = " " + std::to_string(sh.m) + " " + std::to_string(sh.tiles()) + " ";
  const dnnl::memory::desc in_tiles_md({sh.positions() * sh.step(sh.c)}, dt::f32, tag::x);
  // Training keeps each layer's transformed input for backward-weights: the step took 0.984,
  // 0.995 and 0.976 times as long as when transforming it again into a shared buffer (median
  // ratio of 20 alternating steps, three runs). The gradients and inference share buffers.
  l.in_tiles_ = training ? b.rt.memory(in_tiles_md)
                         : b.rt.shared("winograd in" + key + std::to_string(sh.c), in_tiles_md);
  if (training && in.grad)
    l.in_grad_tiles_ = b.rt.shared("winograd in grad" + key + std::to_string(sh.c), in_tiles_md);
  l.out_tiles_ = b.rt.shared("winograd out" + key + std::to_string(sh.k),
                             {{sh.positions() * sh.step(sh.k)}, dt::f32, tag::x});

  const Op fwd = b.rt.make<conv_fwd>(f, name + (training ? " fwd" : " fwd folded"), {});
  const Op bwd_d = training && in.grad ? b.rt.make<conv_bwd_data>(*bd, name + " bwd_d", {}) : Op{};
  const Op bwd_w = training ? b.rt.make<conv_bwd_weights>(*bw, name + " bwd_w", {}) : Op{};
  const dnnl::memory::dim in_step = sh.step(sh.c), out_step = sh.step(sh.k), u_step = sh.k * sh.c;
  // Copies of one primitive each, its scratchpad argument kept.
  auto with = [](Op op, std::initializer_list<std::pair<const int, dnnl::memory>> args) {
    for (const auto& [arg, mem] : args) op.args[arg] = mem;
    return op;
  };
  for (int t = 0; t < sh.positions(); ++t) {
    const dnnl::memory v = b.rt.wrap(src_md, floats(l.in_tiles_) + t * in_step);
    const dnnl::memory m = b.rt.wrap(dst_md, floats(l.out_tiles_) + t * out_step);
    const dnnl::memory u = b.rt.wrap(u_md, floats(l.u_) + t * u_step);
    l.fwd_.push_back(with(fwd, {{DNNL_ARG_SRC, v}, {DNNL_ARG_WEIGHTS, u}, {DNNL_ARG_DST, m}}));
    if (!training) continue;
    const dnnl::memory du = b.rt.wrap(u_md, floats(l.du_) + t * u_step);
    l.bwd_weights_.push_back(
        with(bwd_w, {{DNNL_ARG_SRC, v}, {DNNL_ARG_DIFF_DST, m}, {DNNL_ARG_DIFF_WEIGHTS, du}}));
    if (!in.grad) continue;
    const dnnl::memory dv = b.rt.wrap(src_md, floats(l.in_grad_tiles_) + t * in_step);
    l.bwd_data_.push_back(
        with(bwd_d, {{DNNL_ARG_DIFF_DST, m},
                     {DNNL_ARG_WEIGHTS, b.rt.wrap(u_bwd_md, floats(l.u_bwd_) + t * u_step)},
                     {DNNL_ARG_DIFF_SRC, dv}}));
  }
  return layer;
}

void WinogradConv::forward(dnnl::stream& s) const {
  if (transformed_version_ != params_->values_version()) {
    profiler_->time(names_[0], [&] { transform_weights(); });
    if (to_bwd_.valid()) to_bwd_.run(s);
    transformed_version_ = params_->values_version();
  }
  profiler_->time(names_[1], [&] { input_to_tiles(floats(x_), floats(in_tiles_)); });
  for (const Op& op : fwd_) op.run(s);
  profiler_->time(names_[2], [&] { tiles_to_output(floats(out_tiles_), floats(b_), floats(y_)); });
}

int WinogradConv::reorders() const {
  return to_bwd_.valid() ? 1 : 0;
}

void WinogradConv::backward(dnnl::stream& s) const {
  profiler_->time(names_[3],
                  [&] { output_grad_to_tiles(floats(dy_), floats(out_tiles_), floats(db_)); });
  for (const Op& op : bwd_weights_) op.run(s);
  profiler_->time(names_[4], [&] { weight_grad_from_tiles(floats(du_), floats(dw_)); });
  if (bwd_data_.empty()) return;
  // The backward-data products read the weights in the blocking that forward() reordered them
  // into.
  for (const Op& op : bwd_data_) op.run(s);
  profiler_->time(names_[5], [&] { tiles_to_input_grad(floats(in_grad_tiles_), floats(dx_)); });
}

// Each transform is a parallel loop here, built for AVX-512, AVX2 and the baseline, whose body is
// the per-plane (or per-block) work for the layer's tile size and channel block, inlined into
// every copy (the header declares those bodies always_inline: a call to an out-of-line copy would
// run baseline code).

// U = G g G^T for every (output, input) channel pair. Both layouts keep BxB blocks of (input,
// output) channels in the same order of blocks, so each block of B*B lanes transforms on its own.
void WinogradConv::transform_weights() const {
  if (sh_.avx512) return transform_weights16();
  transform_weights_any();
}

__attribute__((target("avx512f"))) void WinogradConv::transform_weights16() const {
  const float* g = floats(w_);
  float* u = floats(u_);
  const std::ptrdiff_t blocks = (sh_.k / 16) * (sh_.c / 16), step = sh_.k * sh_.c;
  const bool large = sh_.m == 4;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    if (large)
      weights_block16<4>(g + blk * kTaps * 256, u + blk * 256, step);
    else
      weights_block16<2>(g + blk * kTaps * 256, u + blk * 256, step);
    _mm_sfence();
  }
}

SIGNSNET_VECTOR_CLONES void WinogradConv::transform_weights_any() const {
  const float* g = floats(w_);
  float* u = floats(u_);
  const bool large = sh_.m == 4;
  const std::ptrdiff_t blocks = (sh_.k / sh_.block) * (sh_.c / sh_.block), step = sh_.k * sh_.c;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    if (large && sh_.block == 16)
      weights_block<4, 16>(g, u, blk, step);
    else if (large)
      weights_block<4, 8>(g, u, blk, step);
    else if (sh_.block == 16)
      weights_block<2, 16>(g, u, blk, step);
    else
      weights_block<2, 8>(g, u, blk, step);
  }
}

template <int M, int B>
inline void WinogradConv::weights_block(const float* g, float* u, std::ptrdiff_t blk,
                                        std::ptrdiff_t step) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, lanes = B * B;
  float r[a][3][lanes];  // G g
  float t[a][lanes];     // one row of G g G^T
  combine<a, 3, 3 * lanes, typename T::G>(g + blk * kTaps * lanes, &r[0][0][0]);
  for (int i = 0; i < a; ++i) {
    combine<a, 3, lanes, typename T::G>(&r[i][0][0], &t[0][0]);
    for (int j = 0; j < a; ++j) {
      float* uf = u + (i * a + j) * step + blk * lanes;
      for (int l = 0; l < lanes; ++l) uf[l] = t[j][l];
    }
  }
}

// V = B^T d B for every alpha x alpha tile d (stride M, starting one row and column before the
// map: the padding).
void WinogradConv::input_to_tiles(const float* x, float* v) const {
  if (sh_.avx512) return input_to_tiles16(x, v);
  input_to_tiles_any(x, v);
}

void WinogradConv::input_to_tiles16(const float* x, float* v) const {
  const Shape sh = sh_;
  const Plane16 g{sh.h, sh.w, sh.th, sh.tw, sh.tiles(), sh.step(sh.c)};
  const std::ptrdiff_t cblocks = sh.c / 16, plane = sh.h * sh.w * 16;
  each_plane16(sh.n, cblocks, sh.m, [&](auto tile, std::ptrdiff_t n, std::ptrdiff_t cb) {
    input_plane16<decltype(tile)::value>(g, x + (n * cblocks + cb) * plane, v, n, cb);
  });
}

SIGNSNET_VECTOR_CLONES void WinogradConv::input_to_tiles_any(const float* x, float* v) const {
  const Shape sh = sh_;
  const std::ptrdiff_t cblocks = sh.c / sh.block;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t cb = 0; cb < cblocks; ++cb) {
      if (sh.m == 4 && sh.block == 16)
        input_plane<4, 16>(sh, x, v, n, cb);
      else if (sh.m == 4)
        input_plane<4, 8>(sh, x, v, n, cb);
      else if (sh.block == 16)
        input_plane<2, 16>(sh, x, v, n, cb);
      else
        input_plane<2, 8>(sh, x, v, n, cb);
    }
  }
}

template <int M, int B>
inline void WinogradConv::input_plane(const Shape& sh, const float* x, float* v, std::ptrdiff_t n,
                                      std::ptrdiff_t cb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha;
  const std::ptrdiff_t cblocks = sh.c / B, tiles = sh.tiles();
  const std::ptrdiff_t next = sh.step(sh.c);  // from one position to the next
  const float* plane = x + (n * cblocks + cb) * sh.h * sh.w * B;
  for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
      float d[a][a][B], r[a][a][B], row[a][B];
      for (int i = 0; i < a; ++i) {
        const std::ptrdiff_t yy = M * ty - 1 + i;
        for (int j = 0; j < a; ++j) {
          const std::ptrdiff_t xx = M * tx - 1 + j;
          const bool inside = yy >= 0 && yy < sh.h && xx >= 0 && xx < sh.w;
          const float* p = plane + (yy * sh.w + xx) * B;
          for (int l = 0; l < B; ++l) d[i][j][l] = inside ? p[l] : 0.0f;
        }
      }
      combine<a, a, a * B, typename T::BT>(&d[0][0][0], &r[0][0][0]);  // B^T d
      const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
      for (int i = 0; i < a; ++i) {
        combine<a, a, B, typename T::BT>(&r[i][0][0], &row[0][0]);  // row i of B^T d B
        float* o = v + i * a * next + (cb * tiles + q) * B;
        for (int j = 0; j < a; ++j)
          for (int l = 0; l < B; ++l) o[j * next + l] = row[j][l];
      }
    }
  }
}

// y = A^T m A + bias for every tile (then the ReLU, for a folded inference layer); outputs past
// the map's edge (sizes that are not a multiple of M) are dropped.
void WinogradConv::tiles_to_output(const float* m, const float* bias, float* y) const {
  if (sh_.avx512) return tiles_to_output16(m, bias, y);
  tiles_to_output_any(m, bias, y);
}

void WinogradConv::tiles_to_output16(const float* m, const float* bias, float* y) const {
  const Shape sh = sh_;
  const Plane16 g{sh.h, sh.w, sh.th, sh.tw, sh.tiles(), sh.step(sh.k)};
  const std::ptrdiff_t kblocks = sh.k / 16, plane = sh.h * sh.w * 16;
  const bool relu = relu_;
  each_plane16(sh.n, kblocks, sh.m, [&](auto tile, std::ptrdiff_t n, std::ptrdiff_t kb) {
    output_plane16<decltype(tile)::value>(g, relu, m, bias, y + (n * kblocks + kb) * plane, n, kb);
  });
}

SIGNSNET_VECTOR_CLONES void WinogradConv::tiles_to_output_any(const float* m, const float* bias,
                                                              float* y) const {
  const Shape sh = sh_;
  const bool relu = relu_;
  const std::ptrdiff_t kblocks = sh.k / sh.block;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t kb = 0; kb < kblocks; ++kb) {
      if (sh.m == 4 && sh.block == 16)
        output_plane<4, 16>(sh, relu, m, bias, y, n, kb);
      else if (sh.m == 4)
        output_plane<4, 8>(sh, relu, m, bias, y, n, kb);
      else if (sh.block == 16)
        output_plane<2, 16>(sh, relu, m, bias, y, n, kb);
      else
        output_plane<2, 8>(sh, relu, m, bias, y, n, kb);
    }
  }
}

template <int M, int B>
inline void WinogradConv::output_plane(const Shape& sh, bool relu, const float* m,
                                       const float* bias, float* y, std::ptrdiff_t n,
                                       std::ptrdiff_t kb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha;
  const std::ptrdiff_t kblocks = sh.k / B, tiles = sh.tiles();
  const std::ptrdiff_t next = sh.step(sh.k);
  float* plane = y + (n * kblocks + kb) * sh.h * sh.w * B;
  const float* bb = bias + kb * B;
  for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
      const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
      float t[a][a][B], r[M][a][B], row[M][B];
      const float* p = m + (kb * tiles + q) * B;
      for (int i = 0; i < a * a; ++i)
        for (int l = 0; l < B; ++l) t[i / a][i % a][l] = p[i * next + l];
      combine<M, a, a * B, typename T::AT>(&t[0][0][0], &r[0][0][0]);  // A^T m
      for (int i = 0; i < M; ++i) {
        const std::ptrdiff_t yy = M * ty + i;
        if (yy >= sh.h) break;
        combine<M, a, B, typename T::AT>(&r[i][0][0], &row[0][0]);  // row i of A^T m A
        for (int j = 0; j < M; ++j) {
          const std::ptrdiff_t xx = M * tx + j;
          if (xx >= sh.w) break;
          float* o = plane + (yy * sh.w + xx) * B;
          for (int l = 0; l < B; ++l) {
            const float s = bb[l] + row[j][l];
            o[l] = relu && s < 0.0f ? 0.0f : s;
          }
        }
      }
    }
  }
}

// dm = A dy A^T (the transpose of the output transform; dy is zero past the map's edge), and the
// bias gradient, the sum of dy. Parallel over channel blocks, so each thread owns its bias sums.
void WinogradConv::output_grad_to_tiles(const float* dy, float* dm, float* dbias) const {
  if (sh_.avx512) return output_grad_to_tiles16(dy, dm, dbias);
  output_grad_to_tiles_any(dy, dm, dbias);
}

__attribute__((target("avx512f"))) void WinogradConv::output_grad_to_tiles16(const float* dy,
                                                                             float* dm,
                                                                             float* dbias) const {
  const Shape sh = sh_;
  const std::ptrdiff_t kblocks = sh.k / 16;
  const Plane16 g{sh.h, sh.w, sh.th, sh.tw, sh.tiles(), sh.step(sh.k)};
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t kb = 0; kb < kblocks; ++kb) {
    const float* first = dy + kb * sh.h * sh.w * 16;
    if (sh.m == 4)
      output_grad_block16<4>(g, sh.n, sh.k * sh.h * sh.w, first, dm, kb, dbias);
    else
      output_grad_block16<2>(g, sh.n, sh.k * sh.h * sh.w, first, dm, kb, dbias);
  }
}

SIGNSNET_VECTOR_CLONES void WinogradConv::output_grad_to_tiles_any(const float* dy, float* dm,
                                                                   float* dbias) const {
  const Shape sh = sh_;
  const std::ptrdiff_t kblocks = sh.k / sh.block;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t kb = 0; kb < kblocks; ++kb) {
    if (sh.m == 4 && sh.block == 16)
      output_grad_block<4, 16>(sh, dy, dm, dbias, kb);
    else if (sh.m == 4)
      output_grad_block<4, 8>(sh, dy, dm, dbias, kb);
    else if (sh.block == 16)
      output_grad_block<2, 16>(sh, dy, dm, dbias, kb);
    else
      output_grad_block<2, 8>(sh, dy, dm, dbias, kb);
  }
}

template <int M, int B>
inline void WinogradConv::output_grad_block(const Shape& sh, const float* dy, float* dm,
                                            float* dbias, std::ptrdiff_t kb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha;
  const std::ptrdiff_t kblocks = sh.k / B, tiles = sh.tiles();
  const std::ptrdiff_t next = sh.step(sh.k);
  float sum[B] = {};
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    const float* plane = dy + (n * kblocks + kb) * sh.h * sh.w * B;
    for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
      for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
        float g[M][M][B], r[a][M][B], row[a][B];
        for (int i = 0; i < M; ++i) {
          const std::ptrdiff_t yy = M * ty + i;
          for (int j = 0; j < M; ++j) {
            const std::ptrdiff_t xx = M * tx + j;
            const bool inside = yy < sh.h && xx < sh.w;
            const float* p = plane + (yy * sh.w + xx) * B;
            for (int l = 0; l < B; ++l) {
              g[i][j][l] = inside ? p[l] : 0.0f;
              sum[l] += g[i][j][l];
            }
          }
        }
        combine<a, M, M * B, typename T::A>(&g[0][0][0], &r[0][0][0]);  // A dy
        const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
        for (int i = 0; i < a; ++i) {
          combine<a, M, B, typename T::A>(&r[i][0][0], &row[0][0]);  // row i of A dy A^T
          float* o = dm + i * a * next + (kb * tiles + q) * B;
          for (int j = 0; j < a; ++j)
            for (int l = 0; l < B; ++l) o[j * next + l] = row[j][l];
        }
      }
    }
  }
  for (int l = 0; l < B; ++l) dbias[kb * B + l] = sum[l];
}

// dx = sum over tiles of B dv B^T, each tile's alpha x alpha added where it lies inside the map
// (the transpose of the input transform: neighbouring tiles overlap by two rows and columns).
void WinogradConv::tiles_to_input_grad(const float* dv, float* dx) const {
  if (sh_.avx512 && sh_.h * sh_.w <= kMaxStackPixels) return tiles_to_input_grad16(dv, dx);
  tiles_to_input_grad_any(dv, dx);
}

void WinogradConv::tiles_to_input_grad16(const float* dv, float* dx) const {
  const Shape sh = sh_;
  const Plane16 g{sh.h, sh.w, sh.th, sh.tw, sh.tiles(), sh.step(sh.c)};
  const std::ptrdiff_t cblocks = sh.c / 16, plane = sh.h * sh.w * 16;
  each_plane16(sh.n, cblocks, sh.m, [&](auto tile, std::ptrdiff_t n, std::ptrdiff_t cb) {
    alignas(64) float acc[kMaxStackPixels * 16];
    input_grad_plane16<decltype(tile)::value>(g, dv, acc, dx + (n * cblocks + cb) * plane, n, cb);
  });
}

SIGNSNET_VECTOR_CLONES void WinogradConv::tiles_to_input_grad_any(const float* dv,
                                                                  float* dx) const {
  const Shape sh = sh_;
  const std::ptrdiff_t cblocks = sh.c / sh.block;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t cb = 0; cb < cblocks; ++cb) {
      if (sh.m == 4 && sh.block == 16)
        input_grad_plane<4, 16>(sh, dv, dx, n, cb);
      else if (sh.m == 4)
        input_grad_plane<4, 8>(sh, dv, dx, n, cb);
      else if (sh.block == 16)
        input_grad_plane<2, 16>(sh, dv, dx, n, cb);
      else
        input_grad_plane<2, 8>(sh, dv, dx, n, cb);
    }
  }
}

template <int M, int B>
inline void WinogradConv::input_grad_plane(const Shape& sh, const float* dv, float* dx,
                                           std::ptrdiff_t n, std::ptrdiff_t cb) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha;
  const std::ptrdiff_t cblocks = sh.c / B, tiles = sh.tiles();
  const std::ptrdiff_t next = sh.step(sh.c);
  float* plane = dx + (n * cblocks + cb) * sh.h * sh.w * B;
  std::memset(plane, 0, sizeof(float) * sh.h * sh.w * B);
  for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
    for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
      const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
      float t[a][a][B], r[a][a][B], row[a][B];
      const float* p = dv + (cb * tiles + q) * B;
      for (int i = 0; i < a * a; ++i)
        for (int l = 0; l < B; ++l) t[i / a][i % a][l] = p[i * next + l];
      combine<a, a, a * B, typename T::B>(&t[0][0][0], &r[0][0][0]);  // B dv
      for (int i = 0; i < a; ++i) {
        const std::ptrdiff_t yy = M * ty - 1 + i;
        if (yy < 0 || yy >= sh.h) continue;
        combine<a, a, B, typename T::B>(&r[i][0][0], &row[0][0]);  // row i of B dv B^T
        for (int j = 0; j < a; ++j) {
          const std::ptrdiff_t xx = M * tx - 1 + j;
          if (xx < 0 || xx >= sh.w) continue;
          float* o = plane + (yy * sh.w + xx) * B;
          for (int l = 0; l < B; ++l) o[l] += row[j][l];
        }
      }
    }
  }
}

// dg = G^T du G for every channel pair (the transpose of transform_weights), written over the
// weight gradient in the 3x3 weights' layout.
void WinogradConv::weight_grad_from_tiles(const float* du, float* dw) const {
  if (sh_.avx512) return weight_grad_from_tiles16(du, dw);
  weight_grad_from_tiles_any(du, dw);
}

__attribute__((target("avx512f"))) void WinogradConv::weight_grad_from_tiles16(const float* du,
                                                                               float* dw) const {
  const std::ptrdiff_t blocks = (sh_.k / 16) * (sh_.c / 16), step = sh_.k * sh_.c;
  const bool large = sh_.m == 4;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    if (large)
      weight_grad_block16<4>(du + blk * 256, dw + blk * kTaps * 256, step);
    else
      weight_grad_block16<2>(du + blk * 256, dw + blk * kTaps * 256, step);
    _mm_sfence();
  }
}

SIGNSNET_VECTOR_CLONES void WinogradConv::weight_grad_from_tiles_any(const float* du,
                                                                     float* dw) const {
  const bool large = sh_.m == 4;
  const std::ptrdiff_t blocks = (sh_.k / sh_.block) * (sh_.c / sh_.block), step = sh_.k * sh_.c;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    if (large && sh_.block == 16)
      weight_grad_block<4, 16>(du, dw, blk, step);
    else if (large)
      weight_grad_block<4, 8>(du, dw, blk, step);
    else if (sh_.block == 16)
      weight_grad_block<2, 16>(du, dw, blk, step);
    else
      weight_grad_block<2, 8>(du, dw, blk, step);
  }
}

template <int M, int B>
inline void WinogradConv::weight_grad_block(const float* du, float* dw, std::ptrdiff_t blk,
                                            std::ptrdiff_t step) {
  using T = Tile<M>;
  constexpr int a = T::kAlpha, lanes = B * B;
  float t[a][a][lanes], r[3][a][lanes];
  for (int i = 0; i < a * a; ++i) {
    const float* p = du + i * step + blk * lanes;
    for (int l = 0; l < lanes; ++l) t[i / a][i % a][l] = p[l];
  }
  combine<3, a, a * lanes, typename T::GT>(&t[0][0][0], &r[0][0][0]);  // G^T du
  float* o = dw + blk * kTaps * lanes;
  for (int kh = 0; kh < 3; ++kh)
    combine<3, a, lanes, typename T::GT>(&r[kh][0][0], o + kh * 3 * lanes);
}

}  // namespace signsnet::core
