#include "core/folded_conv.hpp"

#include <cmath>
#include <vector>

#include "core/positions_conv.hpp"

namespace signsnet::core {
namespace {

std::vector<float> plain(const ParamStore& p, const Slot& s) {
  std::vector<float> v(static_cast<std::size_t>(s.info.size()));
  p.read(s, TensorRole::value, v.data());
  return v;
}

}  // namespace

FoldedConv::FoldedConv(Build& b, const std::string& conv, const std::string& bn, const Act& in,
                       const ConvOptions& o, float epsilon, bool relu,
                       const dnnl::memory& sum_into)
    : params_(&b.params),
      weight_(&b.params.at(conv + ".weight")),
      bias_(&b.params.at(conv + ".bias")),
      gamma_(&b.params.at(bn + ".gamma")),
      beta_(&b.params.at(bn + ".beta")),
      mean_(&b.params.at(bn + ".moving_mean")),
      variance_(&b.params.at(bn + ".moving_variance")),
      epsilon_(epsilon),
      rt_(&b.rt) {
  SIGNSNET_CHECK(!b.training, conv + ": folding is for inference networks");
  const dnnl::memory::desc src = in.desc();
  const auto sd = src.dims();
  const long oh = (sd[2] + 2 * o.pad - o.kernel) / o.stride + 1;
  const long ow = (sd[3] + 2 * o.pad - o.kernel) / o.stride + 1;
  const dnnl::memory::dims dst_dims = {sd[0], o.out, oh, ow};
  const dnnl::memory::desc dst =
      sum_into ? sum_into.get_desc() : dnnl::memory::desc(dst_dims, dt::f32, tag::any);
  SIGNSNET_CHECK(dst.dims() == dst_dims, conv + ": the residual's shape differs");
  dnnl::post_ops ops;
  if (sum_into) ops.append_sum(1.0f);
  if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr = b.rt.attr();
  attr.set_post_ops(ops);
  const dnnl::memory::desc bias_md({o.out}, dt::f32, tag::x);
  dnnl::convolution_forward::desc d(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
      {weight_->md.dims(), dt::f32, tag::any}, bias_md, dst, {o.stride, o.stride}, {o.pad, o.pad},
      {o.pad, o.pad});
  dnnl::convolution_forward::primitive_desc pd(d, attr, b.rt.engine());
  weights_ = b.rt.memory(pd.weights_desc());
  folded_bias_ = b.rt.memory(bias_md);
  if (sum_into) {
    out_.value = sum_into;
  } else {
    out_.value = b.rt.memory(pd.dst_desc());
  }
  b.note(conv, relu ? (sum_into ? "Conv2D+BN+Add+ReLU" : "Conv2D+BN+ReLU") : "Conv2D+BN",
         out_.desc());
  if (o.kernel == 3 && o.stride == 1 && o.pad == 1 && !sum_into) {
    winograd_ = WinogradConv::make_folded(b, conv, in, out_.value, weights_, folded_bias_, relu);
    if (winograd_) return;
  }
  fwd_ = b.rt.make<dnnl::convolution_forward>(pd, conv + " fwd folded",
                                              {{DNNL_ARG_SRC, in.value},
                                               {DNNL_ARG_WEIGHTS, weights_},
                                               {DNNL_ARG_BIAS, folded_bias_},
                                               {DNNL_ARG_DST, out_.value}});
}

// Runs outside training steps, once after each change of the parameters: reads them in plain
// layout, scales each output channel and reorders the result into the primitive's layout.
void FoldedConv::fold() const {
  std::vector<float> w = plain(*params_, *weight_);
  const std::vector<float> bias = plain(*params_, *bias_), gamma = plain(*params_, *gamma_),
                           beta = plain(*params_, *beta_), mean = plain(*params_, *mean_),
                           var = plain(*params_, *variance_);
  const std::size_t out = bias.size(), per_out = w.size() / out;
  auto* folded_bias = static_cast<float*>(folded_bias_.get_data_handle());
  for (std::size_t o = 0; o < out; ++o) {
    const float s = gamma[o] / std::sqrt(var[o] + epsilon_);
    for (std::size_t i = 0; i < per_out; ++i) w[o * per_out + i] *= s;
    folded_bias[o] = (bias[o] - mean[o]) * s + beta[o];
  }
  dnnl::memory from(weight_->plain, rt_->engine(), w.data());
  dnnl::memory to = weights_;
  dnnl::reorder(from, to).execute(rt_->stream(), from, to);
  rt_->stream().wait();
}

void FoldedConv::forward(dnnl::stream& s) const {
  if (folded_version_ != params_->values_version()) {
    fold();
    folded_version_ = params_->values_version();
  }
  if (winograd_)
    winograd_->forward(s);
  else
    fwd_.run(s);
}

FoldedBottleneck::FoldedBottleneck(Build& b, const std::string& name, const Act& in, int mid,
                                   int out, int kernel, int stride, bool projection,
                                   float epsilon) {
  Act x = in;
  int s = stride;
  if (Subsample::wanted(b, in.desc(), mid, stride)) {
    subsample_ = std::make_unique<Subsample>(b, name + ".subsample", in, mid, stride);
    x = subsample_->out();
    s = 1;
  }
  conv1_ = std::make_unique<FoldedConv>(b, name + ".conv1", name + ".bn1", x,
                                        ConvOptions{mid, 1, s, 0}, epsilon, true);
  const ConvOptions o2{mid, kernel, 1, kernel / 2};
  const Act* mid_out = nullptr;
  // A conv2 over positions assembles its big weights from the parameter's taps: it keeps its
  // BN layer.
  if (PositionsConv::fits(conv1_->out().desc(), kernel, kernel / 2)) {
    conv2_ = std::make_unique<Conv>(b, name + ".conv2", conv1_->out(), o2);
    bn2_ = std::make_unique<BatchNorm>(b, name + ".bn2", conv2_->out(), true, epsilon);
    mid_out = &bn2_->out();
  } else {
    folded2_ = std::make_unique<FoldedConv>(b, name + ".conv2", name + ".bn2", conv1_->out(), o2,
                                            epsilon, true);
    mid_out = &folded2_->out();
  }
  dnnl::memory residual = in.value;
  if (projection) {
    shortcut_ = std::make_unique<FoldedConv>(b, name + ".shortcut.conv", name + ".shortcut.bn", x,
                                             ConvOptions{out, 1, s, 0}, epsilon, false);
    residual = shortcut_->out().value;
  }
  conv3_ = std::make_unique<FoldedConv>(b, name + ".conv3", name + ".bn3", *mid_out,
                                        ConvOptions{out, 1, 1, 0}, epsilon, true, residual);
  out_ = conv3_->out();
}

void FoldedBottleneck::forward(dnnl::stream& s) const {
  if (subsample_) subsample_->forward(s);
  conv1_->forward(s);
  if (conv2_) {
    conv2_->forward(s);
    bn2_->forward(s);
  } else {
    folded2_->forward(s);
  }
  if (shortcut_) shortcut_->forward(s);
  conv3_->forward(s);
}

void FoldedBottleneck::for_each_bn(const std::function<void(const BatchNorm&)>& f) const {
  if (bn2_) f(*bn2_);
}

}  // namespace signsnet::core
