#include "core/batchnorm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/channel_layout.hpp"
#include "signsnet/distributed.hpp"

namespace signsnet::core {
namespace {

using bn_fwd = dnnl::batch_normalization_forward;
using bn_bwd = dnnl::batch_normalization_backward;
using flags = dnnl::normalization_flags;

}  // namespace

// Synchronized batch normalization. Forward: per-channel sums and sums of squares of the local
// input, summed over the ranks, give the global mean and variance in mean_ / variance_; a forward
// primitive with use_global_stats normalizes with them. Backward: the usual backward primitive,
// fed the global statistics, gives the local sums S_gamma = sum(dy * xhat), S_beta = sum(dy) and
//   dx_l = gamma * rstd * (dy - S_beta_l / N_l - xhat * S_gamma_l / N_l);
// the global batch's dx has the global sums over N_g instead, so the difference is added:
//   dx += gamma * rstd * ((S_beta_l / N_l - S_beta_g / N_g)
//                         + xhat * (S_gamma_l / N_l - S_gamma_g / N_g)),
// which makes dx the gradient of the global batch's normalization for this rank's inputs.
struct BatchNorm::Sync {
  ChannelLayout src;  // in.value, also in.grad's
  std::string error;  // why this layer cannot synchronize, if it cannot
  Op fwd;             // forward_training | use_global_stats
  float epsilon = 0;
  dnnl::memory gamma, gamma_grad, beta_grad;
  std::vector<double> partial;       // [N][C][2]: per image sum, sum of squares
  std::vector<double> stats;         // [2C + 1]: sums, sums of squares, count (summed over ranks)
  std::vector<float> grad_sums;      // [2C]: S_gamma, S_beta (summed over ranks)
  std::vector<float> scale, offset;  // [C]: the dx correction, scale * x + offset
  bool last_synced = false;          // the last forward used global statistics...
  long last_count = 0;               // ... over this many values per channel
};

BatchNorm::BatchNorm(Build& b, const std::string& name, const Act& in, bool relu, float epsilon,
                     dnnl::memory out_grad)
    : name_(name), rt_(&b.rt), epsilon_(epsilon), in_(in) {
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
  gamma_ = gamma.value;
  beta_ = beta.value;
  gamma_grad_ = gamma.grad;
  beta_grad_ = beta.grad;

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

  // One layout serves both gradients in oneDNN's backward: the input's. (A residual add can hand
  // this layer a gradient in its other branch's layout, seen with 8 channels on AVX-512.)
  bn_bwd::desc bd(dnnl::prop_kind::backward, md, md, epsilon, f);
  bn_bwd::primitive_desc bpd(bd, b.rt.attr(), b.rt.engine(), pd);
  dnnl::memory diff_dst = out_.grad, diff_src = in.grad;
  if (diff_dst.get_desc() != bpd.diff_dst_desc()) {
    diff_dst = b.rt.memory(bpd.diff_dst_desc());
    grad_in_ = b.rt.reorder(out_.grad, diff_dst, name + " diff_dst->bwd");
  }
  if (diff_src && diff_src.get_desc() != bpd.diff_src_desc()) {
    diff_src = b.rt.memory(bpd.diff_src_desc());
    grad_out_ = b.rt.reorder(diff_src, in.grad, name + " bwd->diff_src");
  }
  std::unordered_map<int, dnnl::memory> bargs = {
      {DNNL_ARG_SRC, in.value},        {DNNL_ARG_MEAN, mean_},
      {DNNL_ARG_VARIANCE, variance_},  {DNNL_ARG_DIFF_DST, diff_dst},
      {DNNL_ARG_SCALE, gamma.value},   {DNNL_ARG_SHIFT, beta.value},
      {DNNL_ARG_DIFF_SRC, diff_src},   {DNNL_ARG_DIFF_SCALE, gamma.grad},
      {DNNL_ARG_DIFF_SHIFT, beta.grad}};
  if (workspace) bargs[DNNL_ARG_WORKSPACE] = workspace;
  bwd_ = b.rt.make<bn_bwd>(bpd, name + " bwd", bargs);

  // The synchronized forward reads mean_ / variance_ and writes dst and the ReLU mask the backward
  // above reads: the same memories, so both forwards must agree on their layouts.
  bn_fwd::primitive_desc spd(bn_fwd::desc(prop, md, epsilon, f | flags::use_global_stats),
                             b.rt.attr(), b.rt.engine());
  SIGNSNET_CHECK(spd.dst_desc() == pd.dst_desc(), name + ": sync forward: dst layout differs");
  SIGNSNET_CHECK(!relu || spd.workspace_desc() == pd.workspace_desc(),
                 name + ": sync forward: ReLU workspace layout differs from the backward's");
  sync_ = std::make_unique<Sync>();
  Sync& y = *sync_;
  y.fwd = b.rt.make<bn_fwd>(spd, name + " fwd sync", args);
  y.src = ChannelLayout::of(md);
  y.error = y.src.error;
  if (y.error.empty() && !(in.grad && y.src.same_as(ChannelLayout::of(in.grad.get_desc()))))
    y.error = "diff_src: expected the layout of src";
  y.epsilon = epsilon;
  y.gamma = gamma.value;
  y.gamma_grad = gamma.grad;
  y.beta_grad = beta.grad;
  y.partial.resize(static_cast<std::size_t>(md.dims()[0]) * c * 2);
  y.stats.resize(2 * c + 1);
  y.grad_sums.resize(2 * c);
  y.scale.resize(c);
  y.offset.resize(c);
}

BatchNorm::~BatchNorm() = default;

bool BatchNorm::sync_wanted() const {
  const Collectives& co = rt_->collectives();
  return sync_ && co.sync_batchnorm && co.active();
}

BatchNorm::Tensors BatchNorm::tensors() const {
  return {in_.value, in_.grad, gamma_, beta_, gamma_grad_, beta_grad_, mean_, variance_, epsilon_};
}

void BatchNorm::forward_ran_elsewhere() const {
  if (sync_) sync_->last_synced = false;
}

void BatchNorm::forward(dnnl::stream& s) const {
  if (sync_wanted()) return forward_sync(s);
  if (sync_) sync_->last_synced = false;
  fwd_.run(s);
}

void BatchNorm::backward(dnnl::stream& s) const {
  if (grad_in_.valid()) grad_in_.run(s);
  if (sync_ && sync_->last_synced) return backward_sync(s);
  bwd_.run(s);
  if (grad_out_.valid()) grad_out_.run(s);
}

void BatchNorm::forward_sync(dnnl::stream& s) const {
  Sync& y = *sync_;
  SIGNSNET_CHECK(y.error.empty(), name_ + ": synchronized batch norm: " + y.error);
  Profiler& prof = rt_->profiler();
  const int c = channels_;
  const long images = y.src.n;
  s.wait();  // the input is written by primitives on the stream
  prof.time(name_ + " fwd sync stats", [&] {
    channel_sums(y.src, floats(in_.value), y.partial.data());
    std::fill(y.stats.begin(), y.stats.end(), 0.0);
    for (long n = 0; n < images; ++n)
      for (int k = 0; k < c; ++k) {
        y.stats[k] += y.partial[(n * c + k) * 2];
        y.stats[c + k] += y.partial[(n * c + k) * 2 + 1];
      }
    y.stats[2 * c] = static_cast<double>(reduce_);
  });
  prof.time(name_ + " fwd sync allreduce",
            [&] { rt_->collectives().comm->allreduce_sum(y.stats.data(), y.stats.size()); });
  const double count = y.stats[2 * c];
  float* mean = floats(mean_);
  float* var = floats(variance_);
  for (int k = 0; k < c; ++k) {
    const double m = y.stats[k] / count;
    mean[k] = static_cast<float>(m);
    var[k] = static_cast<float>(std::max(0.0, y.stats[c + k] / count - m * m));
  }
  y.fwd.run(s);
  y.last_synced = true;
  y.last_count = std::lround(count);
}

void BatchNorm::backward_sync(dnnl::stream& s) const {
  Sync& y = *sync_;
  Profiler& prof = rt_->profiler();
  const int c = channels_;
  bwd_.run(s);  // local sums into the gradient slots, dx_l into diff_src
  s.wait();
  const float* sg = floats(y.gamma_grad);
  const float* sb = floats(y.beta_grad);
  std::copy(sg, sg + c, y.grad_sums.begin());
  std::copy(sb, sb + c, y.grad_sums.begin() + c);
  prof.time(name_ + " bwd sync allreduce", [&] {
    rt_->collectives().comm->allreduce_sum(y.grad_sums.data(), y.grad_sums.size());
  });
  const float* gamma = floats(y.gamma);
  const float* mean = floats(mean_);
  const float* var = floats(variance_);
  const double local = static_cast<double>(reduce_), global = static_cast<double>(y.last_count);
  for (int k = 0; k < c; ++k) {
    const double rstd = 1.0 / std::sqrt(static_cast<double>(var[k]) + y.epsilon);
    const double scale = gamma[k] * rstd;
    const double shift = scale * (sb[k] / local - y.grad_sums[c + k] / global);
    const double slope = scale * rstd * (sg[k] / local - y.grad_sums[k] / global);
    y.scale[k] = static_cast<float>(slope);  // dx += shift + slope * (x - mean)
    y.offset[k] = static_cast<float>(shift - slope * mean[k]);
  }
  prof.time(name_ + " bwd sync correct", [&] {
    add_channel_affine(y.src, floats(in_.value), floats(in_.grad), y.scale.data(), y.offset.data());
  });
}

void BatchNorm::update_moving(float momentum) const {
  const float* mean = static_cast<const float*>(mean_.get_data_handle());
  const float* var = static_cast<const float*>(variance_.get_data_handle());
  float* mm = static_cast<float*>(moving_mean_.get_data_handle());
  float* mv = static_cast<float*>(moving_variance_.get_data_handle());
  const long count = sync_ && sync_->last_synced ? sync_->last_count : reduce_;
  const float unbias = count > 1 ? static_cast<float>(count) / (count - 1) : 1.0f;
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
