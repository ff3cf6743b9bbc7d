#include "core/dense.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace signsnet::core {
namespace {
using ip_fwd = dnnl::inner_product_forward;
using ip_bwd_data = dnnl::inner_product_backward_data;
using ip_bwd_weights = dnnl::inner_product_backward_weights;
}  // namespace

Dense::Dense(Build& b, const std::string& name, const Act& in, int out) : name_(name) {
  const dnnl::memory::desc src_md = in.desc();
  auto d = src_md.dims();
  dnnl::memory::dims wd = {out, d[1], d[2], d[3]};
  const std::int64_t features = d[1] * d[2] * d[3];
  const Slot* known = b.params.find(name + ".weight");
  dnnl::memory::desc w_md = known ? known->md : dnnl::memory::desc(wd, dt::f32, tag::any);
  dnnl::memory::desc bias_md({out}, dt::f32, tag::x);
  dnnl::memory::desc dst_md({d[0], out}, dt::f32, tag::nc);
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  ip_fwd::primitive_desc pd(ip_fwd::desc(prop, src_md, w_md, bias_md, dst_md), b.rt.attr(),
                            b.rt.engine());
  Slot& w =
      b.param({name + ".weight", TensorKind::weight, {out, features}, true}, pd.weights_desc(),
              {wd, dt::f32, tag::oihw}, {Init::glorot_uniform, features, out});
  Slot& bias = b.param({name + ".bias", TensorKind::bias, {out}, true}, bias_md, bias_md, {});
  out_ = b.act(dst_md);
  b.note(name, "Dense", out_.desc());
  fwd_ = b.rt.make<ip_fwd>(pd, name + " fwd",
                           {{DNNL_ARG_SRC, in.value},
                            {DNNL_ARG_WEIGHTS, w.value},
                            {DNNL_ARG_BIAS, bias.value},
                            {DNNL_ARG_DST, out_.value}});
  if (b.training) build_backward(b, in, pd, w, bias);
}

void Dense::build_backward(Build& b, const Act& in, const ip_fwd::primitive_desc& f, const Slot& w,
                           const Slot& bias) {
  ip_bwd_weights::desc wd(f.src_desc(), w.md, bias.md, out_.grad.get_desc());
  ip_bwd_weights::primitive_desc wpd(wd, b.rt.attr(), b.rt.engine(), f);
  bwd_weights_ = b.rt.make<ip_bwd_weights>(wpd, name_ + " bwd_w",
                                           {{DNNL_ARG_SRC, in.value},
                                            {DNNL_ARG_DIFF_DST, out_.grad},
                                            {DNNL_ARG_DIFF_WEIGHTS, w.grad},
                                            {DNNL_ARG_DIFF_BIAS, bias.grad}});
  if (!in.grad) return;
  dnnl::memory::desc w_any(w.md.dims(), dt::f32, tag::any);
  ip_bwd_data::primitive_desc dpd(
      ip_bwd_data::desc(in.grad.get_desc(), w_any, out_.grad.get_desc()), b.rt.attr(),
      b.rt.engine(), f);
  dnnl::memory weights = w.value;
  if (dpd.weights_desc() != w.md) {
    weights = b.rt.memory(dpd.weights_desc());
    weights_to_bwd_ = b.rt.reorder(w.value, weights, name_ + " weights->bwd_d");
  }
  bwd_data_ = b.rt.make<ip_bwd_data>(
      dpd, name_ + " bwd_d",
      {{DNNL_ARG_DIFF_DST, out_.grad}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, in.grad}});
}

void Dense::backward(dnnl::stream& s) const {
  bwd_weights_.run(s);
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

StepResult SoftmaxCrossEntropy::loss(const std::int32_t* labels, float smoothing) const {
  const float* p = probabilities();
  float* grad = logits_grad_ ? static_cast<float*>(logits_grad_.get_data_handle()) : nullptr;
  StepResult r;
  r.count = batch_;
  double total = 0.0;
  const float off = smoothing / classes_, on = 1.0f - smoothing + off;
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
      if (grad) grad[n * classes_ + k] = (pn[k] - target) / batch_;
    }
  }
  r.loss = static_cast<float>(total / batch_);
  return r;
}

}  // namespace signsnet::core
