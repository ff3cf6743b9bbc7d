#include "core/conv.hpp"

#include <cstring>

namespace signsnet::core {
namespace {

using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

void zero(const dnnl::memory& m) {
  std::memset(m.get_data_handle(), 0, m.get_desc().get_size());
}

}  // namespace

Conv::Conv(Build& b, const std::string& name, const Act& in, const ConvOptions& o,
           const dnnl::memory::dims& src_dims, dnnl::memory out_grad)
    : name_(name), opt_(o) {
  dnnl::memory::desc src_md = in.value ? in.desc() : any_md(src_dims);
  auto sd = src_md.dims();  // N, C, H, W
  const long oh = (sd[2] + 2 * o.pad - o.kernel) / o.stride + 1;
  const long ow = (sd[3] + 2 * o.pad - o.kernel) / o.stride + 1;
  dnnl::memory::dims wd = {o.out, sd[1], o.kernel, o.kernel};
  dnnl::memory::dims dst_dims = {sd[0], o.out, oh, ow};
  dnnl::memory::dims strides = {o.stride, o.stride}, pad = {o.pad, o.pad};

  // A map small enough for tap products (tap_products.hpp) registers its weights in their
  // layout; every network of the model then takes that path for the layer.
  const Slot* known = b.params.find(name + ".weight");
  const dnnl::memory::desc taps_md = TapProducts::weights_md(wd);
  const bool taps =
      o.stride == 1 && in.value && TapProducts::fits(src_md, o.kernel, o.pad) &&
      (known ? known->md == taps_md : TapProducts::available(b, src_md, o.out, o.kernel, o.pad));
  SIGNSNET_CHECK(taps || !known || known->md != taps_md,
                 name + ": weights laid out for tap products, on a map that does not take them");
  dnnl::memory::desc w_md = known && !taps ? known->md : any_md(wd);
  dnnl::memory::desc bias_md({o.out}, dt::f32, tag::x);
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  conv_fwd::desc d(prop, dnnl::algorithm::convolution_direct, src_md, w_md, bias_md,
                   any_md(dst_dims), strides, pad, pad);
  conv_fwd::primitive_desc pd(d, b.rt.attr(), b.rt.engine());
  explicit_pad_ = b.training && in.value && o.pad > 0 && !has_direct_backward_weights(b, pd);
  const std::int64_t fan_in = sd[1] * o.kernel * o.kernel, fan_out = o.out * o.kernel * o.kernel;
  Slot& w = b.param({name + ".weight", TensorKind::weight, {wd.begin(), wd.end()}, true},
                    taps ? taps_md : pd.weights_desc(), {wd, dt::f32, tag::oihw},
                    {o.init, fan_in, fan_out});
  Slot& bias = b.param({name + ".bias", TensorKind::bias, {o.out}, true}, bias_md, bias_md, {});
  src_ = in.value ? in.value : b.rt.memory(pd.src_desc());
  out_ = b.act(pd.dst_desc());
  if (out_grad) out_.grad = out_grad;
  b.note(name, "Conv2D", out_.desc());
  if (taps) {
    taps_ = TapProducts::make(b, name, in, out_, w, bias, o.kernel, o.pad);
    return;
  }
  if (o.stride == 1) {
    positions_ = PositionsConv::make(b, name, in, out_, w, bias, o.kernel, o.pad);
    if (positions_) return;
    winograd_ = WinogradConv::make(b, name, in, out_, w, bias, o.kernel, o.pad);
    if (winograd_) return;
    im2col_ = Im2colConv::make(b, name, in, out_, w, bias, o.kernel, o.pad);
    if (im2col_) {
      if (in.grad) build_backward_data(b, in, pd, w, out_.grad);
      return;
    }
  }
  fwd_ = b.rt.make<conv_fwd>(pd, name + " fwd",
                             {{DNNL_ARG_SRC, src_},
                              {DNNL_ARG_WEIGHTS, w.value},
                              {DNNL_ARG_BIAS, bias.value},
                              {DNNL_ARG_DST, out_.value}});
  if (b.training) build_backward(b, in, pd, w, bias, out_.grad);
}

bool Conv::has_direct_backward_weights(Build& b, const conv_fwd::primitive_desc& f) const {
  const dnnl::memory::desc src = f.src_desc(), dst = f.dst_desc();
  dnnl::memory::dims strides = {opt_.stride, opt_.stride}, pad = {opt_.pad, opt_.pad};
  conv_bwd_weights::desc d(dnnl::algorithm::convolution_direct, any_md(src.dims()),
                           any_md(f.weights_desc().dims()), f.bias_desc(), any_md(dst.dims()),
                           strides, pad, pad);
  conv_bwd_weights::primitive_desc pd(d, b.rt.attr(), b.rt.engine(), f);
  return is_direct_kernel(pd.impl_info_str());
}

void Conv::build_backward(Build& b, const Act& in, const conv_fwd::primitive_desc& f, const Slot& w,
                          const Slot& bias, dnnl::memory out_grad) {
  build_backward_weights(b, f, w, bias, out_grad);
  if (in.grad) build_backward_data(b, in, f, w, out_grad);
}

// Weight gradients go straight into the gradient arena, in the forward weights' own layout.
// Where oneDNN has no direct kernel for the padded shape (seen: a 3x3 kernel on a 2x2 input with
// AVX2, where it falls back to a GEMM), backward-weights reads a zero-bordered copy of the input
// with no padding left to do, which the direct kernel takes (2.5x faster at 2 threads). Where even
// that fails, oneDNN picks the layouts and planned reorders bring the inputs in and the gradient
// out.
void Conv::build_backward_weights(Build& b, const conv_fwd::primitive_desc& f, const Slot& w,
                                  const Slot& bias, dnnl::memory out_grad) {
  if (opt_.kernel == 1 && opt_.stride == 1 && opt_.pad == 0) {
    pointwise_grad_ = PointwiseWeightGrad::make(b, name_, src_, out_grad, w, bias);
    if (pointwise_grad_) return;
  }
  if (MatmulWeightGrad::fits(f.dst_desc(), opt_.kernel, opt_.pad) && !explicit_pad_) {
    matmul_grad_ = MatmulWeightGrad::make(b, name_, src_, out_grad, opt_.stride, w, bias);
    if (matmul_grad_) return;
  }
  const dnnl::memory::dim p = explicit_pad_ ? 0 : opt_.pad;
  dnnl::memory::dims strides = {opt_.stride, opt_.stride}, pad = {p, p};
  conv_fwd::primitive_desc hint = f;
  dnnl::memory src = src_;
  if (explicit_pad_) {
    auto sd = f.src_desc().dims();
    const dnnl::memory::dims padded = {sd[0], sd[1], sd[2] + 2 * opt_.pad, sd[3] + 2 * opt_.pad};
    conv_fwd::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                     any_md(padded), w.md, bias.md, f.dst_desc(), strides, pad, pad);
    hint = conv_fwd::primitive_desc(d, b.rt.attr(), b.rt.engine());
    src = b.rt.memory(hint.src_desc());
    zero(src);  // the border stays zero: the copy writes the interior only
    const dnnl::memory::desc interior =
        hint.src_desc().submemory_desc(sd, {0, 0, opt_.pad, opt_.pad});
    to_bwd_weights_.push_back(
        b.rt.reorder(src_, b.rt.wrap(interior, src.get_data_handle()), name_ + " pad"));
  }
  auto make_pd = [&](const dnnl::memory::desc& s, const dnnl::memory::desc& wei,
                     const dnnl::memory::desc& dd) {
    conv_bwd_weights::desc d(dnnl::algorithm::convolution_direct, s, wei, bias.md, dd, strides, pad,
                             pad);
    return conv_bwd_weights::primitive_desc(d, b.rt.attr(), b.rt.engine(), hint);
  };
  const dnnl::memory::desc src_md = src.get_desc(), dd_md = out_grad.get_desc();
  conv_bwd_weights::primitive_desc pd = make_pd(src_md, w.md, dd_md);
  if (is_reference_kernel(pd.impl_info_str())) {
    auto alt = make_pd(src_md, any_md(w.md.dims()), dd_md);
    if (is_reference_kernel(alt.impl_info_str()))
      alt = make_pd(any_md(src_md.dims()), any_md(w.md.dims()), any_md(dd_md.dims()));
    if (!is_reference_kernel(alt.impl_info_str())) pd = alt;
  }
  dnnl::memory diff_dst = out_grad, diff_weights = w.grad;
  if (pd.src_desc() != src_md) {
    dnnl::memory from = src;
    src = b.rt.memory(pd.src_desc());
    to_bwd_weights_.push_back(b.rt.reorder(from, src, name_ + " src->bwd_w"));
  }
  if (pd.diff_dst_desc() != dd_md) {
    diff_dst = b.rt.memory(pd.diff_dst_desc());
    to_bwd_weights_.push_back(b.rt.reorder(out_grad, diff_dst, name_ + " diff_dst->bwd_w"));
  }
  if (pd.diff_weights_desc() != w.md) {
    diff_weights = b.rt.memory(pd.diff_weights_desc());
    grad_to_arena_ = b.rt.reorder(diff_weights, w.grad, name_ + " grad->arena");
  }
  bwd_weights_ = b.rt.make<conv_bwd_weights>(pd, name_ + " bwd_w",
                                             {{DNNL_ARG_SRC, src},
                                              {DNNL_ARG_DIFF_DST, diff_dst},
                                              {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                                              {DNNL_ARG_DIFF_BIAS, bias.grad}});
}

void Conv::build_backward_data(Build& b, const Act& in, const conv_fwd::primitive_desc& f,
                               const Slot& w, dnnl::memory out_grad) {
  const dnnl::memory::dims strides = {opt_.stride, opt_.stride}, pad = {opt_.pad, opt_.pad};
  bwd_data_ = conv_backward_data(b, name_, in.grad, w, out_grad, strides, pad, f, weights_to_bwd_);
}

Op conv_backward_data(Build& b, const std::string& name, const dnnl::memory& diff_src,
                      const Slot& w, const dnnl::memory& diff_dst,
                      const dnnl::memory::dims& strides, const dnnl::memory::dims& pad,
                      const conv_fwd::primitive_desc& hint, Op& weights_reorder) {
  conv_bwd_data::desc dd(dnnl::algorithm::convolution_direct, diff_src.get_desc(),
                         any_md(w.md.dims()), diff_dst.get_desc(), strides, pad, pad);
  conv_bwd_data::primitive_desc dpd(dd, b.rt.attr(), b.rt.engine(), hint);
  dnnl::memory weights = w.value;
  // Backward-data prefers a transposed blocking: one planned reorder of the weights per step.
  if (dpd.weights_desc() != w.md) {
    weights = b.rt.memory(dpd.weights_desc());
    weights_reorder = b.rt.reorder(w.value, weights, name + " weights->bwd_d");
  }
  return b.rt.make<conv_bwd_data>(
      dpd, name + " bwd_d",
      {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diff_src}});
}

void Conv::forward(dnnl::stream& s) const {
  if (taps_)
    taps_->forward(s);
  else if (positions_)
    positions_->forward(s);
  else if (winograd_)
    winograd_->forward(s);
  else if (im2col_)
    im2col_->forward(s);
  else
    fwd_.run(s);
}

int Conv::reorders() const {
  if (taps_) return taps_->reorders();
  if (positions_) return positions_->reorders();
  if (winograd_) return winograd_->reorders();
  if (im2col_) return im2col_->reorders() + weights_to_bwd_.valid();
  if (matmul_grad_) return matmul_grad_->reorders() + weights_to_bwd_.valid();
  if (pointwise_grad_) return weights_to_bwd_.valid();
  return weights_to_bwd_.valid() + grad_to_arena_.valid() +
         static_cast<int>(to_bwd_weights_.size());
}

void Conv::backward(dnnl::stream& s) const {
  if (taps_) return taps_->backward(s);
  if (positions_) return positions_->backward(s);
  if (winograd_) return winograd_->backward(s);
  if (im2col_) {
    im2col_->backward_weights(s);
  } else if (pointwise_grad_) {
    pointwise_grad_->run(s);
  } else if (matmul_grad_) {
    matmul_grad_->run(s);
  } else {
    for (const Op& r : to_bwd_weights_) r.run(s);
    bwd_weights_.run(s);
    if (grad_to_arena_.valid()) grad_to_arena_.run(s);
  }
  if (!bwd_data_.valid()) return;
  if (weights_to_bwd_.valid()) weights_to_bwd_.run(s);
  bwd_data_.run(s);
}

}  // namespace signsnet::core
