#include "core/matmul_grad.hpp"

#include "core/subsample.hpp"

namespace signsnet::core {
namespace {

// Output maps up to this many positions take the product: stage 5's 2x2 maps.
constexpr dnnl::memory::dim kMaxPositions = 4;

}  // namespace

bool MatmulWeightGrad::fits(const dnnl::memory::desc& out, int kernel, int pad) {
  const dnnl::memory::dims d = out.dims();
  return kernel == 1 && pad == 0 && d.size() == 4 && d[2] * d[3] <= kMaxPositions;
}

std::unique_ptr<MatmulWeightGrad> MatmulWeightGrad::make(Build& b, const std::string& name,
                                                         const dnnl::memory& src,
                                                         const dnnl::memory& out_grad, int stride,
                                                         const Slot& w, const Slot& bias) {
  const dnnl::memory::desc src_md = src.get_desc(), dy_md = out_grad.get_desc();
  if (src_md.data.format_kind != dnnl_blocked || src_md.data.ndims != 4) return nullptr;
  const dnnl::memory::dims od = dy_md.dims();
  const dnnl::memory::dim n = od[0], o = od[1], oh = od[2], ow = od[3];
  const dnnl::memory::dim i = src_md.dims()[1], p = n * oh * ow, pitch = i + 1;
  const dnnl::memory::desc view = strided_view(src_md, stride);  // src_md itself at stride 1
  if (view.dims() != dnnl::memory::dims({n, i, oh, ow})) return nullptr;

  // dW[O][I + 1] = dY^T[O][P] x X[P][I + 1], dY^T read from the position-major copy of dY.
  const dnnl::memory::desc a_md({o, p}, dt::f32, dnnl::memory::dims{1, o});
  const dnnl::memory::desc b_md({p, pitch}, dt::f32, dnnl::memory::dims{pitch, 1});
  const dnnl::memory::desc c_md({o, pitch}, dt::f32, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), b.rt.attr(), b.rt.engine());
  if (!is_direct_kernel(pd.impl_info_str())) return nullptr;

  auto g = std::unique_ptr<MatmulWeightGrad>(new MatmulWeightGrad());
  g->x_ = FloatBuffer(static_cast<std::size_t>(p * pitch));
  float* x = g->x_.data();
  for (dnnl::memory::dim r = 0; r < p; ++r) x[r * pitch + i] = 1.0f;  // never overwritten
  const dnnl::memory::desc x_md({n, i, oh, ow}, dt::f32,
                                dnnl::memory::dims{oh * ow * pitch, 1, ow * pitch, pitch});
  g->x_in_ = b.rt.reorder(b.rt.wrap(view, src.get_data_handle()), b.rt.wrap(x_md, x),
                          name + " src->positions");
  const dnnl::memory dy = b.rt.memory({od, dt::f32, tag::nhwc});
  g->dy_in_ = b.rt.reorder(out_grad, dy, name + " diff_dst->positions");
  const dnnl::memory c = b.rt.memory(c_md);
  g->product_ = b.rt.make<dnnl::matmul>(pd, name + " bwd_w",
                                        {{DNNL_ARG_SRC, b.rt.wrap(a_md, dy.get_data_handle())},
                                         {DNNL_ARG_WEIGHTS, b.rt.wrap(b_md, x)},
                                         {DNNL_ARG_DST, c}});
  float* cp = floats(c);
  const dnnl::memory::desc w_view({o, i, 1, 1}, dt::f32, dnnl::memory::dims{pitch, 1, 1, 1});
  g->w_out_ = b.rt.reorder(b.rt.wrap(w_view, cp), w.grad, name + " grad->arena");
  // The last column (oneDNN's reorder of a strided vector is its reference kernel).
  const dnnl::memory bias_grad = bias.grad;
  g->b_out_ = b.rt.custom(name + " bias grad->arena", "signsnet:copy", [c, bias_grad, o, pitch, i] {
    const float* from = floats(c) + i;
    float* to = floats(bias_grad);
    for (dnnl::memory::dim k = 0; k < o; ++k) to[k] = from[k * pitch];
  });
  return g;
}

void MatmulWeightGrad::run(dnnl::stream& s) const {
  x_in_.run(s);
  dy_in_.run(s);
  product_.run(s);
  w_out_.run(s);
  b_out_.run(s);
}

}  // namespace signsnet::core
