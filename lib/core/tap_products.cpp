#include "core/tap_products.hpp"

#include <cstring>

namespace signsnet::core {
namespace {

using dim = dnnl::memory::dim;
using dims = dnnl::memory::dims;

// (n, c, h, w) at ((h * W + w) * N + n) * C + c: position-major, each position an [N][C] matrix.
dnnl::memory::desc position_major(const dims& nchw) {
  const dim n = nchw[0], c = nchw[1], w = nchw[3];
  return {nchw, dt::f32, dims{c, 1, w * n * c, n * c}};
}

// A tap joins output positions out_pos, out_pos + 1, ... to input positions in_pos, in_pos + 1,
// ...: in the position-major layout both are `count` consecutive [N][C] matrices, one matrix of
// count * N rows. (oneDNN's own product kernel takes no other steps between positions: a
// batched product over every other position fell back to its GEMM.)
struct Run {
  dim out_pos, in_pos, count;
};

struct Tap {
  dim index;
  std::vector<Run> runs;
};

// Each tap's (output, input) position pairs in runs, the centre tap first.
std::vector<Tap> taps_of(dim h, dim w, int kernel, int pad) {
  std::vector<Tap> taps;
  const dim centre = pad * kernel + pad;
  for (dim k = -1; k < kernel * kernel; ++k) {
    if (k == centre) continue;
    const dim t = k < 0 ? centre : k;
    const dim dy = t / kernel - pad, dx = t % kernel - pad;
    Tap tap{t, {}};
    for (dim y = 0; y < h; ++y)
      for (dim x = 0; x < w; ++x) {
        const dim iy = y + dy, ix = x + dx;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        const dim po = y * w + x, pi = iy * w + ix;
        if (!tap.runs.empty()) {
          Run& r = tap.runs.back();
          if (po == r.out_pos + r.count && pi == r.in_pos + r.count) {
            ++r.count;
            continue;
          }
        }
        tap.runs.push_back({po, pi, 1});
      }
    taps.push_back(std::move(tap));
  }
  return taps;
}

dnnl::memory::desc rows_md(dim rows, dim cols) {
  return {{rows, cols}, dt::f32, dims{cols, 1}};
}

// The three kinds of product, for a run of `rows` (position, image) rows.
struct Products {
  dim ci, co;
  // Forward: Y[rows][O] (+)= X[rows][I] x W[I][O] (+ bias).
  dnnl::matmul::desc forward(dim rows, bool bias) const {
    return {rows_md(rows, ci), rows_md(ci, co), bias ? rows_md(1, co) : dnnl::memory::desc(),
            rows_md(rows, co)};
  }
  // Backward-data: dX[rows][I] += dY[rows][O] x W^T[O][I], W read through transposed strides.
  dnnl::matmul::desc backward_data(dim rows) const {
    return {rows_md(rows, co), dnnl::memory::desc({co, ci}, dt::f32, dims{1, co}),
            rows_md(rows, ci)};
  }
  // Backward-weights: dW[I][O] (+)= X^T[I][rows] x dY[rows][O], X read through transposed strides.
  dnnl::matmul::desc backward_weights(dim rows) const {
    return {dnnl::memory::desc({ci, rows}, dt::f32, dims{1, ci}), rows_md(rows, co),
            rows_md(ci, co)};
  }
};

dnnl::matmul::primitive_desc product_pd(Build& b, const dnnl::matmul::desc& d, bool accumulate) {
  dnnl::primitive_attr attr = b.rt.attr();
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  return {d, attr, b.rt.engine()};
}

}  // namespace

bool TapProducts::fits(const dnnl::memory::desc& in, int kernel, int pad) {
  const dims d = in.dims();
  return d.size() == 4 && kernel == 2 * pad + 1 && kernel > 1 && d[2] - 1 <= pad && d[3] - 1 <= pad;
}

dnnl::memory::desc TapProducts::weights_md(const dims& oihw) {
  const dim o = oihw[0], i = oihw[1], kw = oihw[3];
  return {oihw, dt::f32, dims{1, o, kw * i * o, i * o}};
}

bool TapProducts::available(Build& b, const dnnl::memory::desc& in, dim out_channels, int kernel,
                            int pad) {
  const dims d = in.dims();
  const Products k{d[1], out_channels};
  try {
    bool first = true;
    for (const Tap& t : taps_of(d[2], d[3], kernel, pad))
      for (const Run& r : t.runs) {
        const dim rows = r.count * d[0];
        for (const auto& pd : {product_pd(b, k.forward(rows, first), !first),
                               product_pd(b, k.backward_data(rows), !first),
                               product_pd(b, k.backward_weights(rows), true)})
          if (!is_direct_kernel(pd.impl_info_str())) return false;
        first = false;
      }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

std::unique_ptr<TapProducts> TapProducts::make(Build& b, const std::string& name, const Act& in,
                                               const Act& out, const Slot& w, const Slot& bias,
                                               int kernel, int pad) {
  const dims d = in.desc().dims();
  const dim n = d[0], ci = d[1], h = d[2], wd = d[3];
  const dim co = w.md.dims()[0];
  SIGNSNET_CHECK(fits(in.desc(), kernel, pad) && w.md == weights_md(w.md.dims()),
                 name + ": not a convolution over tap products");
  SIGNSNET_CHECK(bias.md == dnnl::memory::desc({co}, dt::f32, tag::x), "bias layout of " + name);
  const dim p = h * wd, tap = ci * co;

  auto l = std::unique_ptr<TapProducts>(new TapProducts());
  auto view_of = [&](const dnnl::memory& base, const dnnl::memory::desc& md, dim offset) {
    dnnl::memory v = b.rt.wrap(md, DNNL_MEMORY_NONE);
    l->views_.push_back({v, base, static_cast<std::size_t>(offset)});
    return v;
  };
  auto make = [&](const dnnl::matmul::primitive_desc& pd, const std::string& what,
                  std::unordered_map<int, dnnl::memory> args) {
    SIGNSNET_CHECK(is_direct_kernel(pd.impl_info_str()),
                   name + " " + what + ": oneDNN has no matrix-product kernel of its own (" +
                       pd.impl_info_str() + ")");
    return b.rt.make<dnnl::matmul>(pd, name + " " + what, std::move(args));
  };

  const dnnl::memory x = b.rt.memory(position_major(d));
  const dnnl::memory y = b.rt.memory(position_major(out.desc().dims()));
  l->in_ = b.rt.reorder(in.value, x, name + " src->positions");
  l->out_ = b.rt.reorder(y, out.value, name + " positions->dst");
  float* xp = floats(x);
  float* yp = floats(y);

  // The centre tap joins every position to itself: its products come first and overwrite (the
  // forward one adds the bias); the others add into them.
  const std::vector<Tap> taps = taps_of(h, wd, kernel, pad);
  SIGNSNET_CHECK(taps.front().runs.size() == 1, name + ": the centre tap is one run");
  const Products k{ci, co};
  const dnnl::memory bias_view = view_of(bias.value, rows_md(1, co), 0);
  bool first = true;
  for (const Tap& t : taps) {
    const dnnl::memory weights = view_of(w.value, rows_md(ci, co), t.index * tap);
    for (const Run& r : t.runs) {
      const dnnl::matmul::desc d = k.forward(r.count * n, first);
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, b.rt.wrap(d.data.src_desc, xp + r.in_pos * n * ci)},
          {DNNL_ARG_WEIGHTS, weights},
          {DNNL_ARG_DST, b.rt.wrap(d.data.dst_desc, yp + r.out_pos * n * co)}};
      if (first) args[DNNL_ARG_BIAS] = bias_view;
      l->fwd_.push_back(make(product_pd(b, d, !first), "fwd", std::move(args)));
      first = false;
    }
  }
  if (!b.training || !out.grad) return l;

  const dnnl::memory dy = b.rt.memory(position_major(out.desc().dims()));
  l->grad_in_ = b.rt.reorder(out.grad, dy, name + " diff_dst->positions");
  float* dyp = floats(dy);
  // dW[tap] = the sum over the tap's runs of X[in]^T x dY[out].
  for (const Tap& t : taps) {
    if (t.runs.empty()) {
      l->idle_taps_.push_back(static_cast<std::size_t>(t.index * tap));
      continue;
    }
    const dnnl::memory grad = view_of(w.grad, rows_md(ci, co), t.index * tap);
    bool first_of_tap = true;
    for (const Run& r : t.runs) {
      const dnnl::matmul::desc d = k.backward_weights(r.count * n);
      l->bwd_weights_.push_back(
          make(product_pd(b, d, !first_of_tap), "bwd_w",
               {{DNNL_ARG_SRC, b.rt.wrap(d.data.src_desc, xp + r.in_pos * n * ci)},
                {DNNL_ARG_WEIGHTS, b.rt.wrap(d.data.weights_desc, dyp + r.out_pos * n * co)},
                {DNNL_ARG_DST, grad}}));
      first_of_tap = false;
    }
  }
  // The bias gradient, the sum of dY over its (position, image) rows; zeros for the taps that
  // join no pair (a map smaller than the kernel's reach).
  l->bias_and_idle_ = b.rt.custom(
      name + " bias grad", "signsnet:sum",
      [dyp, rows = p * n, co, tap, idle = l->idle_taps_, grad = w.grad, db = bias.grad] {
        float* g = floats(grad);
        for (std::size_t offset : idle)
          std::memset(g + offset, 0, static_cast<std::size_t>(tap) * sizeof(float));
        float* sum = floats(db);
        std::memset(sum, 0, static_cast<std::size_t>(co) * sizeof(float));
        for (dim r = 0; r < rows; ++r)
          for (dim o = 0; o < co; ++o) sum[o] += dyp[r * co + o];
      });
  if (!in.grad) return l;

  // dX[in] (+)= dY[out] x W[tap]^T, the centre tap first (it reaches every input position).
  const dnnl::memory dx = b.rt.memory(position_major(d));
  l->grad_out_ = b.rt.reorder(dx, in.grad, name + " positions->diff_src");
  float* dxp = floats(dx);
  first = true;
  for (const Tap& t : taps) {
    if (t.runs.empty()) continue;
    const dnnl::matmul::desc any = k.backward_data(n);
    const dnnl::memory weights = view_of(w.value, any.data.weights_desc, t.index * tap);
    for (const Run& r : t.runs) {
      const dnnl::matmul::desc d = k.backward_data(r.count * n);
      l->bwd_data_.push_back(
          make(product_pd(b, d, !first), "bwd_d",
               {{DNNL_ARG_SRC, b.rt.wrap(d.data.src_desc, dyp + r.out_pos * n * co)},
                {DNNL_ARG_WEIGHTS, weights},
                {DNNL_ARG_DST, b.rt.wrap(d.data.dst_desc, dxp + r.in_pos * n * ci)}}));
      first = false;
    }
  }
  return l;
}

void TapProducts::bind() const {
  for (const View& v : views_) v.view.set_data_handle(floats(v.base) + v.offset);
}

void TapProducts::forward(dnnl::stream& s) const {
  bind();
  in_.run(s);
  for (const Op& op : fwd_) op.run(s);
  out_.run(s);
}

void TapProducts::backward(dnnl::stream& s) const {
  bind();
  grad_in_.run(s);
  for (const Op& op : bwd_weights_) op.run(s);
  s.wait();
  bias_and_idle_.run(s);
  if (bwd_data_.empty()) return;
  for (const Op& op : bwd_data_) op.run(s);
  grad_out_.run(s);
}

int TapProducts::reorders() const {
  return in_.valid() + out_.valid() + grad_in_.valid() + grad_out_.valid();
}

}  // namespace signsnet::core
