#include "core/batchnorm.hpp"

namespace signsnet::core {
namespace {

using bn_fwd = dnnl::batch_normalization_forward;
using bn_bwd = dnnl::batch_normalization_backward;
using flags = dnnl::normalization_flags;

}  // namespace

BatchNorm::BatchNorm(Build& b, const std::string& name, const Act& in, bool relu, float epsilon,
                     dnnl::memory out_grad)
    : name_(name) {
  const dnnl::memory::desc md = in.desc();
  channels_ = static_cast<int>(md.dims()[1]);
  reduce_ = md.dims()[0] * md.dims()[2] * md.dims()[3];
  dnnl::memory::desc c_md({channels_}, dt::f32, tag::x);
  const std::int64_t c = channels_;
  Slot& gamma = b.param({name + ".gamma", TensorKind::gamma, {c}, true}, c_md, c_md, {Init::ones});
  Slot& beta = b.param({name + ".beta", TensorKind::beta, {c}, true}, c_md, c_md, {});
  Slot& mm = b.param({name + ".moving_mean", TensorKind::moving_mean, {c}, false}, c_md, c_md, {});
  Slot& mv = b.param({name + ".moving_variance", TensorKind::moving_variance, {c}, false}, c_md,
                     c_md, {Init::ones});
  moving_mean_ = mm.value;
  moving_variance_ = mv.value;

  flags f = flags::use_scale | flags::use_shift;
  if (relu) f |= flags::fuse_norm_relu;
  if (!b.training) f |= flags::use_global_stats;
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  bn_fwd::primitive_desc pd(bn_fwd::desc(prop, md, epsilon, f), b.rt.attr(), b.rt.engine());
  out_ = b.act(pd.dst_desc());
  if (out_grad) out_.grad = out_grad;
  b.note(name, relu ? "BatchNorm+ReLU" : "BatchNorm", out_.desc());
  mean_ = b.training ? b.rt.memory(pd.mean_desc()) : mm.value;
  variance_ = b.training ? b.rt.memory(pd.variance_desc()) : mv.value;
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, in.value},     {DNNL_ARG_DST, out_.value}, {DNNL_ARG_SCALE, gamma.value},
      {DNNL_ARG_SHIFT, beta.value}, {DNNL_ARG_MEAN, mean_},     {DNNL_ARG_VARIANCE, variance_}};
  dnnl::memory workspace;
  if (relu && b.training) args[DNNL_ARG_WORKSPACE] = workspace = b.rt.memory(pd.workspace_desc());
  fwd_ = b.rt.make<bn_fwd>(pd, name + " fwd", args);
  if (!b.training) return;

  bn_bwd::desc bd(dnnl::prop_kind::backward, out_.grad.get_desc(), md, epsilon, f);
  bn_bwd::primitive_desc bpd(bd, b.rt.attr(), b.rt.engine(), pd);
  args = {{DNNL_ARG_SRC, in.value},        {DNNL_ARG_MEAN, mean_},
          {DNNL_ARG_VARIANCE, variance_},  {DNNL_ARG_DIFF_DST, out_.grad},
          {DNNL_ARG_SCALE, gamma.value},   {DNNL_ARG_SHIFT, beta.value},
          {DNNL_ARG_DIFF_SRC, in.grad},    {DNNL_ARG_DIFF_SCALE, gamma.grad},
          {DNNL_ARG_DIFF_SHIFT, beta.grad}};
  if (workspace) args[DNNL_ARG_WORKSPACE] = workspace;
  bwd_ = b.rt.make<bn_bwd>(bpd, name + " bwd", args);
}

void BatchNorm::update_moving(float momentum) const {
  const float* mean = static_cast<const float*>(mean_.get_data_handle());
  const float* var = static_cast<const float*>(variance_.get_data_handle());
  float* mm = static_cast<float*>(moving_mean_.get_data_handle());
  float* mv = static_cast<float*>(moving_variance_.get_data_handle());
  const float unbias = reduce_ > 1 ? static_cast<float>(reduce_) / (reduce_ - 1) : 1.0f;
  for (int c = 0; c < channels_; ++c) {
    mm[c] = momentum * mm[c] + (1 - momentum) * mean[c];
    mv[c] = momentum * mv[c] + (1 - momentum) * var[c] * unbias;
  }
}

void BatchNorm::accumulate(float weight, float* sums) const {
  const float* mean = static_cast<const float*>(mean_.get_data_handle());
  const float* var = static_cast<const float*>(variance_.get_data_handle());
  for (int c = 0; c < channels_; ++c) {
    sums[c] += weight * mean[c];
    sums[channels_ + c] += weight * (var[c] + mean[c] * mean[c]);
  }
}

void BatchNorm::finish_recalibration(const float* sums, float total) const {
  float* mm = static_cast<float*>(moving_mean_.get_data_handle());
  float* mv = static_cast<float*>(moving_variance_.get_data_handle());
  for (int c = 0; c < channels_; ++c) {
    const float mean = sums[c] / total;
    const float second = sums[channels_ + c] / total;
    mm[c] = mean;
    mv[c] = second > mean * mean ? second - mean * mean : 0.0f;
  }
}

}  // namespace signsnet::core
