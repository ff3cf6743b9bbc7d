#include "core/positions_conv.hpp"

#include <cstring>

namespace signsnet::core {
namespace {

// The 1x1 kernels block over the spatial axis, here the batch: with fewer images they are slower
// than the direct kernel. Forward of stage 5's 512x512 3x3 at 1, 2, 4 and 8 images, 2 threads:
// 1.18 / 0.29, 1.09 / 0.50, 1.25 / 1.17 and 1.03 / 2.48 ms (over positions / direct).
constexpr dnnl::memory::dim kMinImages = 8;

using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

// (n, c, h, w) over a buffer in the 1x1 convolution's layout: (1, H*W*C, N, 1) in nChw<B>c,
// where element (n, c, h, w) is channel (h*W + w)*C + c of row n. C is a multiple of B, so that
// is the blocked layout with the outer strides below.
dnnl::memory::desc positions_view(const dnnl::memory::dims& nchw, int block) {
  const dnnl::memory::dim n = nchw[0], c = nchw[1], w = nchw[3];
  dnnl::memory::desc md(nchw, dt::f32, block == 8 ? tag::nChw8c : tag::nChw16c);
  auto& blocking = md.data.format_desc.blocking;
  blocking.strides[0] = block;
  blocking.strides[1] = n * block;
  blocking.strides[2] = w * c * n;
  blocking.strides[3] = c * n;
  return md;
}

}  // namespace

bool PositionsConv::fits(const dnnl::memory::desc& in, int kernel, int pad) {
  const dnnl::memory::dims d = in.dims();
  const dnnl::memory::dim n = d[0], h = d[2], w = d[3];
  // Every (output, input) position pair must be joined by a tap, and the pairs fewer than the
  // taps the direct kernel runs (P*P < P*k*k).
  return kernel == 2 * pad + 1 && h - 1 <= pad && w - 1 <= pad && h * w < kernel * kernel &&
         n >= kMinImages;
}

std::unique_ptr<PositionsConv> PositionsConv::make(Build& b, const std::string& name,
                                                   const Act& in, const Act& out, const Slot& w,
                                                   const Slot& bias, int kernel, int pad) {
  if (!in.value || !fits(in.desc(), kernel, pad)) return nullptr;
  const dnnl::memory::dims d = in.desc().dims();
  const dnnl::memory::dim n = d[0], ci = d[1], h = d[2], wd = d[3];
  const dnnl::memory::dim co = w.md.dims()[0];
  const dnnl::memory::dim p = h * wd;
  if (out.desc().dims() != dnnl::memory::dims({n, co, h, wd})) return nullptr;

  const dnnl::memory::dims big_src = {1, p * ci, n, 1}, big_dst = {1, p * co, n, 1};
  const dnnl::memory::desc big_bias_md({p * co}, dt::f32, tag::x);
  const dnnl::memory::dims one = {1, 1};
  const dnnl::memory::dims zero = {0, 0};
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  conv_fwd::desc fd(prop, dnnl::algorithm::convolution_direct, any_md(big_src),
                    any_md({p * co, p * ci, 1, 1}), big_bias_md, any_md(big_dst), one, zero, zero);
  conv_fwd::primitive_desc f(fd, b.rt.attr(), b.rt.engine());
  const int block = channel_block(f.src_desc());
  if (block == 0 || channel_block(f.dst_desc()) != block || ci % block != 0 || co % block != 0 ||
      !is_direct_kernel(f.impl_info_str()) || !blocks_divide(f.weights_desc(), co, ci))
    return nullptr;
  conv_bwd_weights::primitive_desc bw;
  conv_bwd_data::primitive_desc bd;
  if (b.training) {
    conv_bwd_weights::desc wdsc(dnnl::algorithm::convolution_direct, f.src_desc(),
                                any_md(f.weights_desc().dims()), big_bias_md, f.dst_desc(), one,
                                zero, zero);
    bw = conv_bwd_weights::primitive_desc(wdsc, b.rt.attr(), b.rt.engine(), f);
    if (!is_direct_kernel(bw.impl_info_str())) return nullptr;
    if (in.grad) {
      conv_bwd_data::desc ddsc(dnnl::algorithm::convolution_direct, f.src_desc(),
                               any_md(f.weights_desc().dims()), f.dst_desc(), one, zero, zero);
      bd = conv_bwd_data::primitive_desc(ddsc, b.rt.attr(), b.rt.engine(), f);
      if (!is_direct_kernel(bd.impl_info_str())) return nullptr;
    }
  }

  auto layer = std::unique_ptr<PositionsConv>(new PositionsConv());
  PositionsConv& l = *layer;
  // A memory over part of `base` (a slot's value or gradient, bound to its arena only when the
  // parameters are finalized): bind() copies the handle from `base` before each use.
  auto view_of = [&](const dnnl::memory& base, const dnnl::memory::desc& md) {
    dnnl::memory v = b.rt.wrap(md, DNNL_MEMORY_NONE);
    l.views_.emplace_back(v, base);
    return v;
  };

  // The bias is one-dimensional, in plain layout, like the slot's.
  SIGNSNET_CHECK(bias.md == dnnl::memory::desc({co}, dt::f32, tag::x), "bias layout of " + name);
  // Forward: the big weights' block (p_out, p_in) is the tap that joins the two positions.
  const dnnl::memory big_w = b.rt.memory(f.weights_desc());
  const dnnl::memory big_b = b.rt.memory(big_bias_md);
  const dnnl::memory::dims tap_dims = {co, ci, 1, 1};
  struct Pair {
    dnnl::memory::dim out_pos, in_pos, ky, kx;
  };
  std::vector<Pair> pairs;
  for (dnnl::memory::dim po = 0; po < p; ++po)
    for (dnnl::memory::dim pi = 0; pi < p; ++pi)
      pairs.push_back({po, pi, pi / wd - po / wd + pad, pi % wd - po % wd + pad});
  for (const Pair& q : pairs) {
    const std::string tap = "[" + std::to_string(q.ky) + "," + std::to_string(q.kx) + "]";
    dnnl::memory from = view_of(w.value, w.md.submemory_desc(tap_dims, {0, 0, q.ky, q.kx}));
    dnnl::memory to = b.rt.wrap(
        big_w.get_desc().submemory_desc(tap_dims, {q.out_pos * co, q.in_pos * ci, 0, 0}),
        big_w.get_data_handle());
    l.assemble_.push_back(b.rt.reorder(from, to, name + " tap" + tap + "->big"));
  }
  // The bias repeats once per position (P * O floats: a loop, not P one-dimensional reorders,
  // which oneDNN runs with its reference kernel).
  l.bias_ = bias.value;
  l.big_bias_ = big_b;
  l.bias_grad_ = bias.grad;
  l.out_channels_ = co;
  l.positions_ = p;
  l.params_ = &b.params;
  const dnnl::memory big_x = b.rt.memory(f.src_desc());
  const dnnl::memory big_y = b.rt.memory(f.dst_desc());
  l.in_ = b.rt.reorder(in.value, b.rt.wrap(positions_view(d, block), big_x.get_data_handle()),
                       name + " src->positions");
  l.fwd_ = b.rt.make<conv_fwd>(f, name + " fwd",
                               {{DNNL_ARG_SRC, big_x},
                                {DNNL_ARG_WEIGHTS, big_w},
                                {DNNL_ARG_BIAS, big_b},
                                {DNNL_ARG_DST, big_y}});
  l.out_ = b.rt.reorder(b.rt.wrap(positions_view(out.desc().dims(), block), big_y.get_data_handle()),
                        out.value, name + " positions->dst");

  if (b.training && out.grad) {
    const dnnl::memory big_dy = b.rt.memory(f.dst_desc());
    l.grad_in_ = b.rt.reorder(
        out.grad, b.rt.wrap(positions_view(out.desc().dims(), block), big_dy.get_data_handle()),
        name + " diff_dst->positions");
    const dnnl::memory big_dw = b.rt.memory(bw.diff_weights_desc());
    const dnnl::memory big_db = b.rt.memory(big_bias_md);
    l.bwd_weights_ = b.rt.make<conv_bwd_weights>(bw, name + " bwd_w",
                                                 {{DNNL_ARG_SRC, big_x},
                                                  {DNNL_ARG_DIFF_DST, big_dy},
                                                  {DNNL_ARG_DIFF_WEIGHTS, big_dw},
                                                  {DNNL_ARG_DIFF_BIAS, big_db}});
    // Each tap's gradient is the sum of its blocks: the first overwrites, the others add. A
    // tap that joins no pair (a map smaller than the kernel) gets zeros.
    std::vector<bool> written(static_cast<std::size_t>(kernel * kernel), false);
    for (const Pair& q : pairs) {
      dnnl::memory from = b.rt.wrap(
          big_dw.get_desc().submemory_desc(tap_dims, {q.out_pos * co, q.in_pos * ci, 0, 0}),
          big_dw.get_data_handle());
      dnnl::memory to = view_of(w.grad, w.md.submemory_desc(tap_dims, {0, 0, q.ky, q.kx}));
      const auto t = static_cast<std::size_t>(q.ky * kernel + q.kx);
      l.fold_.push_back(b.rt.reorder(from, to, name + " big->tap grad", written[t]));
      written[t] = true;
    }
    dnnl::memory zeros;
    for (int t = 0; t < kernel * kernel; ++t) {
      if (written[static_cast<std::size_t>(t)]) continue;
      if (!zeros) {
        zeros = b.rt.memory({tap_dims, dt::f32, tag::oihw});
        std::memset(zeros.get_data_handle(), 0, zeros.get_desc().get_size());
      }
      dnnl::memory to =
          view_of(w.grad, w.md.submemory_desc(tap_dims, {0, 0, t / kernel, t % kernel}));
      l.fold_.push_back(b.rt.reorder(zeros, to, name + " zero tap grad"));
    }
    l.big_bias_grad_ = big_db;
    if (in.grad) {
      dnnl::memory weights = big_w;
      if (bd.weights_desc() != big_w.get_desc()) {
        weights = b.rt.memory(bd.weights_desc());
        l.weights_to_bwd_ = b.rt.reorder(big_w, weights, name + " weights->bwd_d");
      }
      const dnnl::memory big_dx = b.rt.memory(f.src_desc());
      l.bwd_data_ = b.rt.make<conv_bwd_data>(
          bd, name + " bwd_d",
          {{DNNL_ARG_DIFF_DST, big_dy}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, big_dx}});
      l.grad_out_ = b.rt.reorder(b.rt.wrap(positions_view(d, block), big_dx.get_data_handle()),
                                 in.grad, name + " positions->diff_src");
    }
  }
  return layer;
}

void PositionsConv::bind() const {
  for (const auto& [view, base] : views_) view.set_data_handle(base.get_data_handle());
}

void PositionsConv::run_all(const std::vector<Op>& ops, dnnl::stream& s) {
  for (const Op& op : ops) op.run(s);
}

void PositionsConv::forward(dnnl::stream& s) const {
  bind();
  if (assembled_version_ != params_->values_version()) {
    run_all(assemble_, s);
    const auto* b = static_cast<const float*>(bias_.get_data_handle());
    auto* big = static_cast<float*>(big_bias_.get_data_handle());
    for (dnnl::memory::dim p = 0; p < positions_; ++p)
      std::memcpy(big + p * out_channels_, b,
                  static_cast<std::size_t>(out_channels_) * sizeof(float));
    assembled_version_ = params_->values_version();
  }
  in_.run(s);
  fwd_.run(s);
  out_.run(s);
}

void PositionsConv::backward(dnnl::stream& s) const {
  bind();
  grad_in_.run(s);
  bwd_weights_.run(s);
  run_all(fold_, s);
  s.wait();
  const auto* big = static_cast<const float*>(big_bias_grad_.get_data_handle());
  auto* db = static_cast<float*>(bias_grad_.get_data_handle());
  for (dnnl::memory::dim o = 0; o < out_channels_; ++o) {
    float sum = 0.0f;
    for (dnnl::memory::dim p = 0; p < positions_; ++p) sum += big[p * out_channels_ + o];
    db[o] = sum;
  }
  if (!bwd_data_.valid()) return;
  if (weights_to_bwd_.valid()) weights_to_bwd_.run(s);
  bwd_data_.run(s);
  grad_out_.run(s);
}

int PositionsConv::reorders() const {
  int n = static_cast<int>(assemble_.size() + fold_.size()) + in_.valid() + out_.valid();
  return n + grad_in_.valid() + weights_to_bwd_.valid() + grad_out_.valid();
}

}  // namespace signsnet::core
