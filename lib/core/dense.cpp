#include "core/dense.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/conv.hpp"

namespace signsnet::core {
namespace {
using conv_fwd = dnnl::convolution_forward;
using conv_bwd_weights = dnnl::convolution_backward_weights;
const dnnl::memory::dims kOne = {1, 1}, kZero = {0, 0};
}  // namespace

// A dense layer on N x C x H x W is a convolution whose kernel covers the whole H x W: oneDNN's
// direct convolution kernels run it, where its AVX2 inner product falls back to a GEMM. The logits
// come out channels-last, which for a 1 x 1 output is the plain N x classes matrix.
Dense::Dense(Build& b, const std::string& name, const Act& in_act, int out) : name_(name) {
  auto d = in_act.desc().dims();
  // Over a 1 x 1 map, a blocked layout without channel padding holds the same bytes as
  // channels-last, which oneDNN's kernels take together with the channels-last logits.
  const dnnl::memory::desc nhwc(d, dt::f32, tag::nhwc);
  const bool flat = d[2] == 1 && d[3] == 1 && in_act.desc().get_size() == nhwc.get_size();
  Act in = in_act;
  if (flat) {
    in.value = b.rt.wrap(nhwc, in_act.value.get_data_handle());
    if (in_act.grad) in.grad = b.rt.wrap(nhwc, in_act.grad.get_data_handle());
  }
  const dnnl::memory::desc src_md = in.desc();
  dnnl::memory::dims wd = {out, d[1], d[2], d[3]};
  const std::int64_t features = d[1] * d[2] * d[3];
  const Slot* known = b.params.find(name + ".weight");
  dnnl::memory::desc w_md = known ? known->md : dnnl::memory::desc(wd, dt::f32, tag::any);
  dnnl::memory::desc bias_md({out}, dt::f32, tag::x);
  dnnl::memory::desc dst_md({d[0], out, 1, 1}, dt::f32, tag::nhwc);
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  conv_fwd::primitive_desc pd(conv_fwd::desc(prop, dnnl::algorithm::convolution_direct, src_md,
                                             w_md, bias_md, dst_md, kOne, kZero, kZero),
                              b.rt.attr(), b.rt.engine());
  Slot& w =
      b.param({name + ".weight", TensorKind::weight, {out, features}, true}, pd.weights_desc(),
              {wd, dt::f32, tag::oihw}, {Init::glorot_uniform, features, out});
  Slot& bias = b.param({name + ".bias", TensorKind::bias, {out}, true}, bias_md, bias_md, {});
  out_ = b.act(dnnl::memory::desc({d[0], out}, dt::f32, tag::nc));
  b.note(name, "Dense", out_.desc());
  // The same buffers, seen as the convolution's N x classes x 1 x 1 output.
  const dnnl::memory logits = b.rt.wrap(dst_md, out_.value.get_data_handle());
  fwd_ = b.rt.make<conv_fwd>(pd, name + " fwd",
                             {{DNNL_ARG_SRC, in.value},
                              {DNNL_ARG_WEIGHTS, w.value},
                              {DNNL_ARG_BIAS, bias.value},
                              {DNNL_ARG_DST, logits}});
  if (b.training) build_backward(b, in, pd, w, bias);
}

void Dense::build_backward(Build& b, const Act& in, const conv_fwd::primitive_desc& f,
                           const Slot& w, const Slot& bias) {
  const dnnl::memory::desc dd_md = f.dst_desc();
  const dnnl::memory diff_dst = b.rt.wrap(dd_md, out_.grad.get_data_handle());
  auto make_pd = [&](const dnnl::memory::desc& wei) {
    conv_bwd_weights::desc wd(dnnl::algorithm::convolution_direct, f.src_desc(), wei, bias.md,
                              dd_md, kOne, kZero, kZero);
    return conv_bwd_weights::primitive_desc(wd, b.rt.attr(), b.rt.engine(), f);
  };
  conv_bwd_weights::primitive_desc wpd = make_pd(w.md);
  dnnl::memory diff_weights = w.grad;
  // On AVX-512 no direct kernel writes the forward's weight layout here (oneDNN 2.6 falls back
  // to its reference kernel): the gradient comes out in the kernel's layout, and a planned
  // reorder (6 x 2048 floats for ResNet-50) puts it in the arena.
  if (!is_direct_kernel(wpd.impl_info_str())) {
    conv_bwd_weights::primitive_desc alt = make_pd(any_md(w.md.dims()));
    if (is_direct_kernel(alt.impl_info_str())) {
      wpd = alt;
      diff_weights = b.rt.memory(wpd.diff_weights_desc());
      grad_to_arena_ = b.rt.reorder(diff_weights, w.grad, name_ + " grad->arena");
    }
  }
  bwd_weights_ = b.rt.make<conv_bwd_weights>(wpd, name_ + " bwd_w",
                                             {{DNNL_ARG_SRC, in.value},
                                              {DNNL_ARG_DIFF_DST, diff_dst},
                                              {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                                              {DNNL_ARG_DIFF_BIAS, bias.grad}});
  if (!in.grad) return;
  bwd_data_ = conv_backward_data(b, name_, in.grad, w, diff_dst, kOne, kZero, f, weights_to_bwd_);
}

void Dense::backward(dnnl::stream& s) const {
  bwd_weights_.run(s);
  if (grad_to_arena_.valid()) grad_to_arena_.run(s);
  if (!bwd_data_.valid()) return;
  if (weights_to_bwd_.valid()) weights_to_bwd_.run(s);
  bwd_data_.run(s);
}

SoftmaxCrossEntropy::SoftmaxCrossEntropy(Build& b, const std::string& name, const Act& logits) {
  const dnnl::memory::desc md = logits.desc();
  batch_ = static_cast<int>(md.dims()[0]);
  classes_ = static_cast<int>(md.dims()[1]);
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::softmax_forward::primitive_desc pd(dnnl::softmax_forward::desc(prop, md, 1), b.rt.attr(),
                                           b.rt.engine());
  probs_ = b.rt.memory(pd.dst_desc());
  b.note(name, "Softmax", pd.dst_desc());
  logits_grad_ = logits.grad;
  fwd_ = b.rt.make<dnnl::softmax_forward>(pd, name + " fwd",
                                          {{DNNL_ARG_SRC, logits.value}, {DNNL_ARG_DST, probs_}});
}

const float* SoftmaxCrossEntropy::probabilities() const {
  return static_cast<const float*>(probs_.get_data_handle());
}

StepResult SoftmaxCrossEntropy::loss(const std::int32_t* labels, float smoothing,
                                     int divisor) const {
  const float* p = probabilities();
  float* grad = logits_grad_ ? static_cast<float*>(logits_grad_.get_data_handle()) : nullptr;
  StepResult r;
  r.count = batch_;
  double total = 0.0;
  const float off = smoothing / classes_, on = 1.0f - smoothing + off;
  const int scale = divisor > 0 ? divisor : batch_;
  for (int n = 0; n < batch_; ++n) {
    const float* pn = p + static_cast<std::size_t>(n) * classes_;
    const int y = labels[n];
    if (y < 0 || y >= classes_)
      throw std::invalid_argument("labels: label " + std::to_string(y) + " of image " +
                                  std::to_string(n) + ": expected 0.." +
                                  std::to_string(classes_ - 1));
    r.correct += static_cast<int>(std::max_element(pn, pn + classes_) - pn) == y;
    for (int k = 0; k < classes_; ++k) {
      const float target = k == y ? on : off;
      if (target > 0) total -= target * std::log(std::max(pn[k], 1e-12f));
      if (grad) grad[n * classes_ + k] = (pn[k] - target) / scale;
    }
  }
  r.loss = static_cast<float>(total / batch_);
  return r;
}

}  // namespace signsnet::core
