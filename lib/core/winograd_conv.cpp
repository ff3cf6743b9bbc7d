#include "core/winograd_conv.hpp"

#include <cstring>
#include <initializer_list>
#include <utility>

#include "core/positions_conv.hpp"

// The transforms are additions of 8-float vectors: built for AVX2 as well as for the baseline,
// the AVX2 copy chosen at load time where the CPU has it (1.5 to 2 times faster on this project's
// machine).
// GCC only: clang (the fuzz build) refuses to make a member function multiversioned after the
// class uses it, and builds the baseline loops.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SIGNSNET_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIGNSNET_VECTOR_CLONES
#endif

namespace signsnet::core {
namespace {

// Measured on this project's machine (2 threads, 32 images, a throwaway program timing the
// primitives, milliseconds for forward + backward-data + backward-weights): direct 3x3 against
// the 16 1x1 products over all tiles, before the transforms: 64 channels on 15x15 9.3 / 5.3,
// 128 on 8x8 13.2 / 4.9, 256 on 4x4 12.0 / 4.8; the transforms took 0.15 to 0.7 ms each.
// Narrower layers keep the direct kernel (the tiny test models among them, whose tests'
// tolerances were measured on it).
constexpr dnnl::memory::dim kMinChannels = 64;
// Inference at fewer images keeps the direct kernel: too few tiles for the 1x1 kernels' blocking.
constexpr dnnl::memory::dim kMinInferenceImages = 8;
constexpr dnnl::memory::dim kBlock = 8;  // nChw8c, OIhw8i8o: the AVX2 layouts these loops read
constexpr int kTaps = 9;
constexpr int kPositions = 16;  // transformed positions per tile

using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

dnnl::memory::desc any_md(const dnnl::memory::dims& d) {
  return {d, dt::f32, tag::any};
}

float* data(const dnnl::memory& m) {
  return static_cast<float*>(m.get_data_handle());
}

}  // namespace

bool WinogradConv::fits(const dnnl::memory::desc& in, dnnl::memory::dim out_channels, int kernel,
                        int pad) {
  const dnnl::memory::dims d = in.dims();
  return kernel == 3 && pad == 1 && d[1] >= kMinChannels && d[1] % kBlock == 0 &&
         out_channels % kBlock == 0 && d[2] >= 2 && d[3] >= 2 &&
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
  Shape sh{d[0], d[1], out.desc().dims()[1], d[2], d[3], (d[2] + 1) / 2, (d[3] + 1) / 2};
  // The loops below read and write these layouts; elsewhere the direct kernel stays.
  const dnnl::memory::desc in_md({sh.n, sh.c, sh.h, sh.w}, dt::f32, tag::nChw8c);
  const dnnl::memory::desc out_md({sh.n, sh.k, sh.h, sh.w}, dt::f32, tag::nChw8c);
  if (in.desc() != in_md || out.desc() != out_md || (training && out.grad.get_desc() != out_md) ||
      (in.grad && in.grad.get_desc() != in_md) ||
      wt.md != dnnl::memory::desc({sh.k, sh.c, 3, 3}, dt::f32, tag::OIhw8i8o))
    return nullptr;

  // One transformed position: all tiles of the batch as one image N*T tall.
  const dnnl::memory::desc src_md({1, sh.c, sh.tiles(), 1}, dt::f32, tag::nChw8c);
  const dnnl::memory::desc dst_md({1, sh.k, sh.tiles(), 1}, dt::f32, tag::nChw8c);
  const dnnl::memory::desc u_md({sh.k, sh.c, 1, 1}, dt::f32, tag::OIhw8i8o);
  const dnnl::memory::desc u_bwd_md({sh.k, sh.c, 1, 1}, dt::f32, tag::OIhw8o8i);
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
  const dnnl::memory::dims all_u = {kPositions * sh.k, sh.c, 1, 1};
  l.u_ = b.rt.memory({all_u, dt::f32, tag::OIhw8i8o});
  if (training) l.du_ = b.rt.memory({all_u, dt::f32, tag::OIhw8i8o});
  if (training && in.grad) {
    // Backward-data reads the transformed weights with each 8x8 block transposed: a planned
    // reorder (jit) when the weights changed, about half the time of transposing in the loop.
    l.u_bwd_ = b.rt.memory({all_u, dt::f32, tag::OIhw8o8i});
    l.to_bwd_ = b.rt.reorder(l.u_, l.u_bwd_, name + " weights->bwd_d");
  }
  std::string key = " " + std::to_string(sh.tiles()) + " ";
  const dnnl::memory::desc in_tiles_md({1, kPositions * sh.c, sh.tiles(), 1}, dt::f32, tag::nChw8c);
  // Training keeps each layer's transformed input for backward-weights: the step took 0.984,
  // 0.995 and 0.976 times as long as when transforming it again into a shared buffer (median
  // ratio of 20 alternating steps, three runs). The gradients and inference share buffers.
  l.in_tiles_ = training ? b.rt.memory(in_tiles_md)
                         : b.rt.shared("winograd in" + key + std::to_string(sh.c), in_tiles_md);
  if (training && in.grad)
    l.in_grad_tiles_ = b.rt.shared("winograd in grad" + key + std::to_string(sh.c), in_tiles_md);
  l.out_tiles_ = b.rt.shared("winograd out" + key + std::to_string(sh.k),
                             {{1, kPositions * sh.k, sh.tiles(), 1}, dt::f32, tag::nChw8c});

  const Op fwd = b.rt.make<conv_fwd>(f, name + (training ? " fwd" : " fwd folded"), {});
  const Op bwd_d = training && in.grad ? b.rt.make<conv_bwd_data>(*bd, name + " bwd_d", {}) : Op{};
  const Op bwd_w = training ? b.rt.make<conv_bwd_weights>(*bw, name + " bwd_w", {}) : Op{};
  const dnnl::memory::dim in_step = sh.c * sh.tiles(), out_step = sh.k * sh.tiles(),
                          u_step = sh.k * sh.c;
  // Copies of one primitive each, its scratchpad argument kept.
  auto with = [](Op op, std::initializer_list<std::pair<const int, dnnl::memory>> args) {
    for (const auto& [arg, mem] : args) op.args[arg] = mem;
    return op;
  };
  for (int t = 0; t < kPositions; ++t) {
    const dnnl::memory v = b.rt.wrap(src_md, data(l.in_tiles_) + t * in_step);
    const dnnl::memory m = b.rt.wrap(dst_md, data(l.out_tiles_) + t * out_step);
    const dnnl::memory u = b.rt.wrap(u_md, data(l.u_) + t * u_step);
    l.fwd_.push_back(with(fwd, {{DNNL_ARG_SRC, v}, {DNNL_ARG_WEIGHTS, u}, {DNNL_ARG_DST, m}}));
    if (!training) continue;
    const dnnl::memory du = b.rt.wrap(u_md, data(l.du_) + t * u_step);
    l.bwd_weights_.push_back(
        with(bwd_w, {{DNNL_ARG_SRC, v}, {DNNL_ARG_DIFF_DST, m}, {DNNL_ARG_DIFF_WEIGHTS, du}}));
    if (!in.grad) continue;
    const dnnl::memory dv = b.rt.wrap(src_md, data(l.in_grad_tiles_) + t * in_step);
    l.bwd_data_.push_back(
        with(bwd_d, {{DNNL_ARG_DIFF_DST, m},
                     {DNNL_ARG_WEIGHTS, b.rt.wrap(u_bwd_md, data(l.u_bwd_) + t * u_step)},
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
  profiler_->time(names_[1], [&] { input_to_tiles(data(x_), data(in_tiles_)); });
  for (const Op& op : fwd_) op.run(s);
  profiler_->time(names_[2], [&] { tiles_to_output(data(out_tiles_), data(b_), data(y_)); });
}

int WinogradConv::reorders() const {
  return to_bwd_.valid() ? 1 : 0;
}

void WinogradConv::backward(dnnl::stream& s) const {
  profiler_->time(names_[3], [&] { output_grad_to_tiles(data(dy_), data(out_tiles_), data(db_)); });
  for (const Op& op : bwd_weights_) op.run(s);
  profiler_->time(names_[4], [&] { weight_grad_from_tiles(data(du_), data(dw_)); });
  if (bwd_data_.empty()) return;
  // The backward-data products read the weights in the blocking that forward() reordered them
  // into.
  for (const Op& op : bwd_data_) op.run(s);
  profiler_->time(names_[5], [&] { tiles_to_input_grad(data(in_grad_tiles_), data(dx_)); });
}

// U = G g G^T for every (output, input) channel pair, with G = [1 0 0; 1/2 1/2 1/2;
// 1/2 -1/2 1/2; 0 0 1]. Both layouts keep 8x8 blocks of (input, output) channels in the same
// order of blocks, so each block of 64 lanes transforms on its own.
SIGNSNET_VECTOR_CLONES void WinogradConv::transform_weights() const {
  const float* g = data(w_);
  float* u = data(u_);
  const std::ptrdiff_t blocks = (sh_.k / kBlock) * (sh_.c / kBlock);
  const std::ptrdiff_t step = sh_.k * sh_.c;
  constexpr int lanes = kBlock * kBlock;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    const float* gb = g + blk * kTaps * lanes;
    float tmp[4][3][lanes];
    for (int kw = 0; kw < 3; ++kw) {
      for (int l = 0; l < lanes; ++l) {
        const float g0 = gb[kw * lanes + l], g1 = gb[(3 + kw) * lanes + l],
                    g2 = gb[(6 + kw) * lanes + l];
        tmp[0][kw][l] = g0;
        tmp[1][kw][l] = 0.5f * (g0 + g1 + g2);
        tmp[2][kw][l] = 0.5f * (g0 - g1 + g2);
        tmp[3][kw][l] = g2;
      }
    }
    for (int i = 0; i < 4; ++i) {
      float row[4][lanes];
      for (int l = 0; l < lanes; ++l) {
        const float t0 = tmp[i][0][l], t1 = tmp[i][1][l], t2 = tmp[i][2][l];
        row[0][l] = t0;
        row[1][l] = 0.5f * (t0 + t1 + t2);
        row[2][l] = 0.5f * (t0 - t1 + t2);
        row[3][l] = t2;
      }
      for (int j = 0; j < 4; ++j) {
        float* uf = u + (i * 4 + j) * step + blk * lanes;
        for (int l = 0; l < lanes; ++l) uf[l] = row[j][l];
      }
    }
  }
}

// V = B^T d B for every 4x4 tile d (stride 2, starting one row and column before the map: the
// padding), with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
SIGNSNET_VECTOR_CLONES void WinogradConv::input_to_tiles(const float* x, float* v) const {
  const Shape sh = sh_;
  const std::ptrdiff_t cblocks = sh.c / kBlock, tiles = sh.tiles();
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t cb = 0; cb < cblocks; ++cb) {
      const float* plane = x + (n * cblocks + cb) * sh.h * sh.w * kBlock;
      for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
        for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
          float d[4][4][kBlock];
          for (int a = 0; a < 4; ++a) {
            const std::ptrdiff_t y = 2 * ty - 1 + a;
            for (int c = 0; c < 4; ++c) {
              const std::ptrdiff_t xx = 2 * tx - 1 + c;
              const bool inside = y >= 0 && y < sh.h && xx >= 0 && xx < sh.w;
              const float* p = plane + (y * sh.w + xx) * kBlock;
              for (int l = 0; l < kBlock; ++l) d[a][c][l] = inside ? p[l] : 0.0f;
            }
          }
          float r[4][4][kBlock];  // B^T d
          for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < kBlock; ++l) {
              r[0][c][l] = d[0][c][l] - d[2][c][l];
              r[1][c][l] = d[1][c][l] + d[2][c][l];
              r[2][c][l] = d[2][c][l] - d[1][c][l];
              r[3][c][l] = d[1][c][l] - d[3][c][l];
            }
          }
          const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
          for (int i = 0; i < 4; ++i) {
            float* o = v + ((i * 4 * cblocks + cb) * tiles + q) * kBlock;
            const std::ptrdiff_t next = cblocks * tiles * kBlock;  // the next position j
            for (int l = 0; l < kBlock; ++l) {
              o[l] = r[i][0][l] - r[i][2][l];
              o[next + l] = r[i][1][l] + r[i][2][l];
              o[2 * next + l] = r[i][2][l] - r[i][1][l];
              o[3 * next + l] = r[i][1][l] - r[i][3][l];
            }
          }
        }
      }
    }
  }
}

// y = A^T m A + bias for every tile (then the ReLU, for a folded inference layer), with
// A^T = [1 1 1 0; 0 1 -1 -1]; outputs past the map's edge (odd sizes) are dropped.
SIGNSNET_VECTOR_CLONES void WinogradConv::tiles_to_output(const float* m, const float* bias,
                                                          float* y) const {
  const Shape sh = sh_;
  const bool relu = relu_;
  const std::ptrdiff_t kblocks = sh.k / kBlock, tiles = sh.tiles();
  const std::ptrdiff_t next = kblocks * tiles * kBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t kb = 0; kb < kblocks; ++kb) {
      float* plane = y + (n * kblocks + kb) * sh.h * sh.w * kBlock;
      const float* bb = bias + kb * kBlock;
      for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
        for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
          const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
          float r[2][4][kBlock];  // A^T m
          for (int j = 0; j < 4; ++j) {
            const float* p = m + ((j * kblocks + kb) * tiles + q) * kBlock;
            for (int l = 0; l < kBlock; ++l) {
              const float m0 = p[l], m1 = p[4 * next + l], m2 = p[8 * next + l],
                          m3 = p[12 * next + l];
              r[0][j][l] = m0 + m1 + m2;
              r[1][j][l] = m1 - m2 - m3;
            }
          }
          for (int a = 0; a < 2; ++a) {
            const std::ptrdiff_t yy = 2 * ty + a;
            if (yy >= sh.h) continue;
            for (int c = 0; c < 2; ++c) {
              const std::ptrdiff_t xx = 2 * tx + c;
              if (xx >= sh.w) continue;
              float* o = plane + (yy * sh.w + xx) * kBlock;
              for (int l = 0; l < kBlock; ++l) {
                const float v = bb[l] + (c == 0 ? r[a][0][l] + r[a][1][l] + r[a][2][l]
                                                : r[a][1][l] - r[a][2][l] - r[a][3][l]);
                o[l] = relu && v < 0.0f ? 0.0f : v;
              }
            }
          }
        }
      }
    }
  }
}

// dm = A dy A^T (the transpose of the output transform; dy is zero past the map's edge), and the
// bias gradient, the sum of dy. Parallel over channel blocks, so each thread owns its bias sums.
SIGNSNET_VECTOR_CLONES void WinogradConv::output_grad_to_tiles(const float* dy, float* dm,
                                                               float* dbias) const {
  const Shape sh = sh_;
  const std::ptrdiff_t kblocks = sh.k / kBlock, tiles = sh.tiles();
  const std::ptrdiff_t next = kblocks * tiles * kBlock;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t kb = 0; kb < kblocks; ++kb) {
    float sum[kBlock] = {};
    for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
      const float* plane = dy + (n * kblocks + kb) * sh.h * sh.w * kBlock;
      for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
        for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
          float g[2][2][kBlock];
          for (int a = 0; a < 2; ++a) {
            const std::ptrdiff_t yy = 2 * ty + a;
            for (int c = 0; c < 2; ++c) {
              const std::ptrdiff_t xx = 2 * tx + c;
              const bool inside = yy < sh.h && xx < sh.w;
              const float* p = plane + (yy * sh.w + xx) * kBlock;
              for (int l = 0; l < kBlock; ++l) {
                g[a][c][l] = inside ? p[l] : 0.0f;
                sum[l] += g[a][c][l];
              }
            }
          }
          float r[2][4][kBlock];  // dy A^T, per row of dy
          for (int a = 0; a < 2; ++a) {
            for (int l = 0; l < kBlock; ++l) {
              r[a][0][l] = g[a][0][l];
              r[a][1][l] = g[a][0][l] + g[a][1][l];
              r[a][2][l] = g[a][0][l] - g[a][1][l];
              r[a][3][l] = -g[a][1][l];
            }
          }
          const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
          for (int j = 0; j < 4; ++j) {
            float* o = dm + ((j * kblocks + kb) * tiles + q) * kBlock;
            for (int l = 0; l < kBlock; ++l) {
              o[l] = r[0][j][l];
              o[4 * next + l] = r[0][j][l] + r[1][j][l];
              o[8 * next + l] = r[0][j][l] - r[1][j][l];
              o[12 * next + l] = -r[1][j][l];
            }
          }
        }
      }
    }
    for (int l = 0; l < kBlock; ++l) dbias[kb * kBlock + l] = sum[l];
  }
}

// dx = sum over tiles of B dv B^T, each tile's 4x4 added where it lies inside the map (the
// transpose of the input transform: neighbouring tiles overlap by two rows and columns).
SIGNSNET_VECTOR_CLONES void WinogradConv::tiles_to_input_grad(const float* dv, float* dx) const {
  const Shape sh = sh_;
  const std::ptrdiff_t cblocks = sh.c / kBlock, tiles = sh.tiles();
  const std::ptrdiff_t next = cblocks * tiles * kBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (std::ptrdiff_t n = 0; n < sh.n; ++n) {
    for (std::ptrdiff_t cb = 0; cb < cblocks; ++cb) {
      float* plane = dx + (n * cblocks + cb) * sh.h * sh.w * kBlock;
      std::memset(plane, 0, sizeof(float) * sh.h * sh.w * kBlock);
      for (std::ptrdiff_t ty = 0; ty < sh.th; ++ty) {
        for (std::ptrdiff_t tx = 0; tx < sh.tw; ++tx) {
          const std::ptrdiff_t q = (n * sh.th + ty) * sh.tw + tx;
          float r[4][4][kBlock];  // dv B^T, per row i of dv
          for (int i = 0; i < 4; ++i) {
            const float* p = dv + ((i * 4 * cblocks + cb) * tiles + q) * kBlock;
            for (int l = 0; l < kBlock; ++l) {
              const float u0 = p[l], u1 = p[next + l], u2 = p[2 * next + l], u3 = p[3 * next + l];
              r[i][0][l] = u0;
              r[i][1][l] = u1 - u2 + u3;
              r[i][2][l] = u1 + u2 - u0;
              r[i][3][l] = -u3;
            }
          }
          for (int a = 0; a < 4; ++a) {
            const std::ptrdiff_t yy = 2 * ty - 1 + a;
            if (yy < 0 || yy >= sh.h) continue;
            for (int c = 0; c < 4; ++c) {
              const std::ptrdiff_t xx = 2 * tx - 1 + c;
              if (xx < 0 || xx >= sh.w) continue;
              float* o = plane + (yy * sh.w + xx) * kBlock;
              for (int l = 0; l < kBlock; ++l) {
                float s;
                if (a == 0)
                  s = r[0][c][l];
                else if (a == 1)
                  s = r[1][c][l] - r[2][c][l] + r[3][c][l];
                else if (a == 2)
                  s = r[1][c][l] + r[2][c][l] - r[0][c][l];
                else
                  s = -r[3][c][l];
                o[l] += s;
              }
            }
          }
        }
      }
    }
  }
}

// dg = G^T du G for every channel pair (the transpose of transform_weights), written over the
// weight gradient in the 3x3 weights' layout.
SIGNSNET_VECTOR_CLONES void WinogradConv::weight_grad_from_tiles(const float* du, float* dw) const {
  const std::ptrdiff_t blocks = (sh_.k / kBlock) * (sh_.c / kBlock);
  const std::ptrdiff_t step = sh_.k * sh_.c;
  constexpr int lanes = kBlock * kBlock;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t blk = 0; blk < blocks; ++blk) {
    float r[4][3][lanes];  // du G, per row i
    for (int i = 0; i < 4; ++i) {
      const float* p = du + i * 4 * step + blk * lanes;
      for (int l = 0; l < lanes; ++l) {
        const float d0 = p[l], d1 = p[step + l], d2 = p[2 * step + l], d3 = p[3 * step + l];
        r[i][0][l] = d0 + 0.5f * (d1 + d2);
        r[i][1][l] = 0.5f * (d1 - d2);
        r[i][2][l] = 0.5f * (d1 + d2) + d3;
      }
    }
    float* o = dw + blk * kTaps * lanes;
    for (int kw = 0; kw < 3; ++kw) {
      for (int l = 0; l < lanes; ++l) {
        const float r0 = r[0][kw][l], r1 = r[1][kw][l], r2 = r[2][kw][l], r3 = r[3][kw][l];
        o[kw * lanes + l] = r0 + 0.5f * (r1 + r2);
        o[(3 + kw) * lanes + l] = 0.5f * (r1 - r2);
        o[(6 + kw) * lanes + l] = 0.5f * (r1 + r2) + r3;
      }
    }
  }
}

}  // namespace signsnet::core
