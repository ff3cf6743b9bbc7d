#include "core/pooling.hpp"

namespace signsnet::core {

Pooling::Pooling(Build& b, const std::string& name, const Act& in, bool max, int kernel,
                 int stride) {
  using pool_fwd = dnnl::pooling_forward;
  using pool_bwd = dnnl::pooling_backward;
  const dnnl::memory::desc md = in.desc();
  auto d = md.dims();
  dnnl::memory::dims out_dims = {d[0], d[1], (d[2] - kernel) / stride + 1,
                                 (d[3] - kernel) / stride + 1};
  dnnl::memory::dims k = {kernel, kernel}, s = {stride, stride}, pad = {0, 0};
  // Without padding, exclude_padding is the plain mean of each window.
  auto alg = max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  auto prop = b.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::memory::desc dst_any(out_dims, dt::f32, tag::any);
  pool_fwd::primitive_desc pd(pool_fwd::desc(prop, alg, md, dst_any, s, k, pad, pad), b.rt.attr(),
                              b.rt.engine());
  out_ = b.act(pd.dst_desc());
  b.note(name, max ? "MaxPool" : "AvgPool", out_.desc());
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, in.value},
                                                {DNNL_ARG_DST, out_.value}};
  dnnl::memory workspace;
  if (max && b.training) args[DNNL_ARG_WORKSPACE] = workspace = b.rt.memory(pd.workspace_desc());
  fwd_ = b.rt.make<pool_fwd>(pd, name + " fwd", args);
  if (!b.training || !in.grad) return;

  pool_bwd::desc bd(alg, in.grad.get_desc(), out_.grad.get_desc(), s, k, pad, pad);
  pool_bwd::primitive_desc bpd(bd, b.rt.attr(), b.rt.engine(), pd);
  args = {{DNNL_ARG_DIFF_DST, out_.grad}, {DNNL_ARG_DIFF_SRC, in.grad}};
  if (workspace) args[DNNL_ARG_WORKSPACE] = workspace;
  bwd_ = b.rt.make<pool_bwd>(bpd, name + " bwd", args);
}

}  // namespace signsnet::core
