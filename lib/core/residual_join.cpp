#include "core/residual_join.hpp"

#include <algorithm>
#include <cmath>

#include "core/vector_clones.hpp"

// The vector helpers below are always inlined into the clones, so no vector crosses a call: GCC's
// note that passing one would change the ABI does not apply.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace signsnet::core {
namespace {

// One batch norm's data while a join runs.
struct Norm {
  const float* x;      // its input
  float* dx;           // its input's gradient (backward)
  const float* gamma;  // [C]
  const float* beta;   // [C]
  float* gamma_grad;   // [C] (backward)
  float* beta_grad;    // [C] (backward)
  float* mean;         // [C]: written by forward, read by backward
  float* var;          // [C]: biased, as oneDNN's
  float epsilon;
};

Norm norm_of(const BatchNorm::Tensors& t) {
  return {floats(t.src),
          t.diff_src ? floats(t.diff_src) : nullptr,
          floats(t.gamma),
          floats(t.beta),
          floats(t.gamma_grad),
          floats(t.beta_grad),
          floats(t.mean),
          floats(t.variance),
          t.epsilon};
}

// Everything a join's loops read and write. `proj`: the shortcut is a batch norm (`sn`) of
// sn.x; otherwise it is `identity`.
struct Job {
  long n, blocks, positions;  // images, channel blocks, h * w
  long n_stride, block_stride, offset;
  Norm mn, sn;
  bool proj;
  const float* identity;
  float* out;
  const float* out_grad;
  float* sum_grad;
  long at(long img, long cb) const { return offset + img * n_stride + cb * block_stride; }
};

// A channel block's lanes as one vector (GCC vector extensions: the clones compile them to
// AVX-512 or AVX2 registers, the baseline to SSE pairs); D holds the lanes' sums in double.
template <int B>
struct Lanes;
template <>
struct Lanes<16> {
  typedef float F __attribute__((vector_size(64)));
  typedef int I __attribute__((vector_size(64)));
  typedef double D __attribute__((vector_size(128)));
};
template <>
struct Lanes<8> {
  typedef float F __attribute__((vector_size(32)));
  typedef int I __attribute__((vector_size(32)));
  typedef double D __attribute__((vector_size(64)));
};

#define SIGNSNET_INLINE inline __attribute__((always_inline))

template <class V>
SIGNSNET_INLINE V load(const float* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
SIGNSNET_INLINE void store(float* p, const V& v) {
  __builtin_memcpy(p, &v, sizeof v);
}
template <int B>
SIGNSNET_INLINE typename Lanes<B>::D widen(const typename Lanes<B>::F& v) {
  return __builtin_convertvector(v, typename Lanes<B>::D);
}
// v where `mask_of` > 0, else 0.
template <int B>
SIGNSNET_INLINE typename Lanes<B>::F where_positive(const typename Lanes<B>::F& mask_of,
                                                    const typename Lanes<B>::F& v) {
  using L = Lanes<B>;
  const typename L::F zero = {};
  return reinterpret_cast<typename L::F>(reinterpret_cast<typename L::I>(v) &
                                         static_cast<typename L::I>(mask_of > zero));
}

// A task is a group of consecutive channel blocks: enough that each image's part of it is at
// least 4 KiB of contiguous memory (one block in stages 2 and 3, up to 16 in stage 5, whose
// blocks hold 4 positions), so that the hardware prefetchers see streams, not scattered lines.
constexpr long kMaxGroup = 16;

long group_size(long positions, int block) {
  const long bytes = positions * block * static_cast<long>(sizeof(float));
  return std::clamp((4096 + bytes - 1) / bytes, 1L, kMaxGroup);
}

// Positions summed in float before the sums move to double.
constexpr long kChunk = 256;

// Mean and biased variance of channel blocks [cb0, cb0 + count) of x. Sums of x - pilot (the
// block's first value per channel) keep E[(x - p)^2] - E[x - p]^2 free of cancellation; each
// image's sums run in float over at most kChunk positions, then in double.
template <int B>
SIGNSNET_INLINE void group_stats(const Job& j, const float* x, long cb0, long count, float* mean,
                                 float* var) {
  using F = typename Lanes<B>::F;
  using D = typename Lanes<B>::D;
  const long images = j.n, positions = j.positions;
  D s[kMaxGroup] = {}, q[kMaxGroup] = {};
  F pilot[kMaxGroup];
  for (long b = 0; b < count; ++b) pilot[b] = load<F>(x + j.at(0, cb0 + b));
  for (long img = 0; img < images; ++img)
    for (long b = 0; b < count; ++b) {
      const float* p = x + j.at(img, cb0 + b);
      const F k = pilot[b];
      for (long from = 0; from < positions; from += kChunk) {
        const long to = std::min(positions, from + kChunk);
        F sf = {}, qf = {};
        for (long i = from * B; i < to * B; i += B) {
          const F v = load<F>(p + i) - k;
          sf += v;
          qf += v * v;
        }
        s[b] += widen<B>(sf);
        q[b] += widen<B>(qf);
      }
    }
  const double n = static_cast<double>(images * positions);
  for (long b = 0; b < count; ++b)
    for (int k = 0; k < B; ++k) {
      const double d = s[b][k] / n;
      mean[b * B + k] = static_cast<float>(pilot[b][k] + d);
      var[b * B + k] = static_cast<float>(std::max(0.0, q[b][k] / n - d * d));
    }
}

// y = (x - mean) * a + beta with a = gamma * rstd, as oneDNN's forward computes it.
template <int B>
struct Affine {
  typename Lanes<B>::F a, mean, beta;
};

template <int B>
SIGNSNET_INLINE Affine<B> affine_of(const Norm& nm, long c0) {
  Affine<B> f;
  for (int k = 0; k < B; ++k) {
    f.a[k] = nm.gamma[c0 + k] / std::sqrt(nm.var[c0 + k] + nm.epsilon);
    f.mean[k] = nm.mean[c0 + k];
    f.beta[k] = nm.beta[c0 + k];
  }
  return f;
}

template <int B>
SIGNSNET_INLINE void forward_group(const Job& j, long cb0, long count) {
  using F = typename Lanes<B>::F;
  const long c0 = cb0 * B;
  group_stats<B>(j, j.mn.x, cb0, count, j.mn.mean + c0, j.mn.var + c0);
  if (j.proj) group_stats<B>(j, j.sn.x, cb0, count, j.sn.mean + c0, j.sn.var + c0);
  Affine<B> m[kMaxGroup], sc[kMaxGroup];
  for (long b = 0; b < count; ++b) {
    m[b] = affine_of<B>(j.mn, c0 + b * B);
    if (j.proj) sc[b] = affine_of<B>(j.sn, c0 + b * B);
  }
  // Last image first: the statistics pass just read it, so it is still in the core's cache.
  const long end = j.positions * B;
  for (long img = j.n - 1; img >= 0; --img)
    for (long b = 0; b < count; ++b) {
      const long base = j.at(img, cb0 + b);
      const float* x = j.mn.x + base;
      float* out = j.out + base;
      const Affine<B> f = m[b];
      if (j.proj) {
        const float* xs = j.sn.x + base;
        const Affine<B> g = sc[b];
        for (long i = 0; i < end; i += B) {
          const F sum = (load<F>(x + i) - f.mean) * f.a + f.beta +
                        ((load<F>(xs + i) - g.mean) * g.a + g.beta);
          store(out + i, where_positive<B>(sum, sum));
        }
      } else {
        const float* r = j.identity + base;
        for (long i = 0; i < end; i += B) {
          const F sum = (load<F>(x + i) - f.mean) * f.a + f.beta + load<F>(r + i);
          store(out + i, where_positive<B>(sum, sum));
        }
      }
    }
}

// dx = gamma * rstd * (g - sum(g) / N - xhat * sum(g * xhat) / N), xhat = (x - mean) * rstd,
// written as k1 * g + k2 * (x - mean) + k3; the sums become beta's and gamma's gradients.
template <int B>
struct InputGrad {
  typename Lanes<B>::F k1, k2, k3, mean;
};

template <int B>
SIGNSNET_INLINE InputGrad<B> input_grad_of(const Norm& nm, long c0,
                                           const typename Lanes<B>::D& sum_g,
                                           const typename Lanes<B>::D& sum_gx, double n) {
  InputGrad<B> r;
  for (int k = 0; k < B; ++k) {
    const double rstd = 1.0 / std::sqrt(static_cast<double>(nm.var[c0 + k]) + nm.epsilon);
    const double scale = nm.gamma[c0 + k] * rstd;
    nm.beta_grad[c0 + k] = static_cast<float>(sum_g[k]);
    nm.gamma_grad[c0 + k] = static_cast<float>(sum_gx[k] * rstd);
    r.k1[k] = static_cast<float>(scale);
    r.k2[k] = static_cast<float>(-scale * rstd * rstd * sum_gx[k] / n);
    r.k3[k] = static_cast<float>(-scale * sum_g[k] / n);
    r.mean[k] = nm.mean[c0 + k];
  }
  return r;
}

template <int B>
SIGNSNET_INLINE void backward_group(const Job& j, long cb0, long count) {
  using F = typename Lanes<B>::F;
  using D = typename Lanes<B>::D;
  const long c0 = cb0 * B;
  F mm[kMaxGroup], sm[kMaxGroup] = {};
  for (long b = 0; b < count; ++b) {
    mm[b] = load<F>(j.mn.mean + c0 + b * B);
    if (j.proj) sm[b] = load<F>(j.sn.mean + c0 + b * B);
  }
  // Pass 1: the ReLU's mask gives the gradient of the sum; its sums for both batch norms (in
  // float over at most kChunk positions of an image, then in double).
  const long images = j.n, positions = j.positions;
  const bool proj = j.proj;
  D sg[kMaxGroup] = {}, sgx[kMaxGroup] = {}, sgs[kMaxGroup] = {};
  for (long img = 0; img < images; ++img)
    for (long b = 0; b < count; ++b) {
      const long base = j.at(img, cb0 + b);
      const float* out = j.out + base;
      const float* dout = j.out_grad + base;
      const float* x = j.mn.x + base;
      const float* xs = proj ? j.sn.x + base : nullptr;
      float* g = j.sum_grad + base;
      const F xm = mm[b], sxm = sm[b];
      for (long from = 0; from < positions; from += kChunk) {
        const long to = std::min(positions, from + kChunk);
        F a = {}, ax = {}, as = {};
        if (proj) {
          for (long i = from * B; i < to * B; i += B) {
            const F gv = where_positive<B>(load<F>(out + i), load<F>(dout + i));
            store(g + i, gv);
            a += gv;
            ax += gv * (load<F>(x + i) - xm);
            as += gv * (load<F>(xs + i) - sxm);
          }
        } else {
          for (long i = from * B; i < to * B; i += B) {
            const F gv = where_positive<B>(load<F>(out + i), load<F>(dout + i));
            store(g + i, gv);
            a += gv;
            ax += gv * (load<F>(x + i) - xm);
          }
        }
        sg[b] += widen<B>(a);
        sgx[b] += widen<B>(ax);
        if (proj) sgs[b] += widen<B>(as);
      }
    }
  const double n = static_cast<double>(j.n * j.positions);
  InputGrad<B> m[kMaxGroup], sc[kMaxGroup];
  for (long b = 0; b < count; ++b) {
    m[b] = input_grad_of<B>(j.mn, c0 + b * B, sg[b], sgx[b], n);
    if (j.proj) sc[b] = input_grad_of<B>(j.sn, c0 + b * B, sg[b], sgs[b], n);
  }
  // Pass 2: both input gradients, last image first (still in cache from pass 1).
  const long end = positions * B;
  for (long img = images - 1; img >= 0; --img)
    for (long b = 0; b < count; ++b) {
      const long base = j.at(img, cb0 + b);
      const float* g = j.sum_grad + base;
      const float* x = j.mn.x + base;
      float* dx = j.mn.dx + base;
      const InputGrad<B> f = m[b];
      for (long i = 0; i < end; i += B)
        store(dx + i, f.k1 * load<F>(g + i) + f.k2 * (load<F>(x + i) - f.mean) + f.k3);
      if (!proj) continue;
      const float* xs = j.sn.x + base;
      float* dxs = j.sn.dx + base;
      const InputGrad<B> h = sc[b];
      for (long i = 0; i < end; i += B)
        store(dxs + i, h.k1 * load<F>(g + i) + h.k2 * (load<F>(xs + i) - h.mean) + h.k3);
    }
}

// Groups in parallel: each group's sums are taken in one order, whatever the thread count.
SIGNSNET_VECTOR_CLONES void run_groups(const Job& j, int block, bool forward) {
  const long group = group_size(j.positions, block);
  const long groups = (j.blocks + group - 1) / group;
#pragma omp parallel for schedule(static)
  for (long t = 0; t < groups; ++t) {
    const long cb0 = t * group, count = std::min(group, j.blocks - cb0);
    if (forward && block == 16)
      forward_group<16>(j, cb0, count);
    else if (forward)
      forward_group<8>(j, cb0, count);
    else if (block == 16)
      backward_group<16>(j, cb0, count);
    else
      backward_group<8>(j, cb0, count);
  }
}

// The layout every tensor of a join must share, or why it cannot.
std::string check_layout(const ChannelLayout& l) {
  if (!l.error.empty()) return l.error;
  if (l.block != 8 && l.block != 16) return "channels blocked by " + std::to_string(l.block);
  if (l.c % l.block) return "padded channels";
  if (!l.positions_contiguous()) return "positions not contiguous within a channel block";
  return "";
}

}  // namespace

std::string ResidualJoin::unsupported(const BatchNorm& main_bn, const BatchNorm* shortcut_bn,
                                      const dnnl::memory& shortcut, const Act& out,
                                      const dnnl::memory& sum_grad) {
  const BatchNorm::Tensors m = main_bn.tensors();
  const ChannelLayout l = ChannelLayout::of(m.src.get_desc());
  if (std::string why = check_layout(l); !why.empty()) return why;
  std::vector<dnnl::memory> same = {out.value, out.grad, sum_grad, m.diff_src};
  if (shortcut_bn) {
    const BatchNorm::Tensors s = shortcut_bn->tensors();
    same.push_back(s.src);
    same.push_back(s.diff_src);
  } else {
    same.push_back(shortcut);
  }
  for (const dnnl::memory& t : same)
    if (!t || !l.same_as(ChannelLayout::of(t.get_desc()))) return "tensors in different layouts";
  return "";
}

ResidualJoin::ResidualJoin(Build& b, const std::string& name, const BatchNorm& main_bn,
                           const BatchNorm* shortcut_bn, const dnnl::memory& shortcut,
                           const Act& out, const dnnl::memory& sum_grad)
    : main_(main_bn.tensors()),
      projection_(shortcut_bn != nullptr),
      shortcut_(shortcut),
      out_(out.value),
      out_grad_(out.grad),
      sum_grad_(sum_grad) {
  layout_ = ChannelLayout::of(main_.src.get_desc());
  if (shortcut_bn) short_ = shortcut_bn->tensors();
  fwd_ = b.rt.custom(name + " fwd", "signsnet:residual_join", [this] { run_forward(); });
  bwd_ = b.rt.custom(name + " bwd", "signsnet:residual_join", [this] { run_backward(); });
}

namespace {

Job job_of(const ChannelLayout& l, const BatchNorm::Tensors& main, const BatchNorm::Tensors& sc,
           bool projection) {
  Job j{};
  j.n = l.n;
  j.blocks = l.blocks();
  j.positions = l.h * l.w;
  j.n_stride = l.n_stride;
  j.block_stride = l.block_stride;
  j.offset = l.offset;
  j.mn = norm_of(main);
  j.proj = projection;
  if (projection) j.sn = norm_of(sc);
  return j;
}

}  // namespace

void ResidualJoin::run_forward() const {
  Job j = job_of(layout_, main_, short_, projection_);
  j.identity = projection_ ? nullptr : floats(shortcut_);
  j.out = floats(out_);
  run_groups(j, static_cast<int>(layout_.block), /*forward=*/true);
}

void ResidualJoin::run_backward() const {
  Job j = job_of(layout_, main_, short_, projection_);
  j.out = floats(out_);
  j.out_grad = floats(out_grad_);
  j.sum_grad = floats(sum_grad_);
  run_groups(j, static_cast<int>(layout_.block), /*forward=*/false);
}

}  // namespace signsnet::core
