#include "core/add_relu.hpp"

namespace signsnet::core {

AddRelu::AddRelu(Build& b, const std::string& name, const dnnl::memory& main,
                 const dnnl::memory& shortcut, const dnnl::memory& sum_grad) {
  const dnnl::memory::desc md = main.get_desc();
  dnnl::post_ops ops;
  ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr = b.rt.attr();
  attr.set_post_ops(ops);
  dnnl::binary::desc d(dnnl::algorithm::binary_add, md, shortcut.get_desc(), md);
  dnnl::binary::primitive_desc pd(d, attr, b.rt.engine());
  out_ = b.act(md);
  b.note(name, "Add+ReLU", out_.desc());
  fwd_ = b.rt.make<dnnl::binary>(
      pd, name + " fwd",
      {{DNNL_ARG_SRC_0, main}, {DNNL_ARG_SRC_1, shortcut}, {DNNL_ARG_DST, out_.value}});
  if (!b.training) return;

  const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
  dnnl::eltwise_forward::primitive_desc hint(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, alg, md, 0.0f), b.rt.attr(),
      b.rt.engine());
  dnnl::eltwise_backward::desc bd(alg, out_.grad.get_desc(), md, 0.0f);
  dnnl::eltwise_backward::primitive_desc bpd(bd, b.rt.attr(), b.rt.engine(), hint);
  bwd_ = b.rt.make<dnnl::eltwise_backward>(
      bpd, name + " bwd",
      {{DNNL_ARG_DST, out_.value}, {DNNL_ARG_DIFF_DST, out_.grad}, {DNNL_ARG_DIFF_SRC, sum_grad}});
}

}  // namespace signsnet::core
