#include "core/subsample.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace signsnet::core {

dnnl::memory::desc strided_view(const dnnl::memory::desc& md, int stride) {
  dnnl::memory::desc v = md;
  dnnl_memory_desc_t& d = v.data;
  SIGNSNET_CHECK(d.format_kind == dnnl_blocked && d.ndims == 4, "subsample: a blocked 4-d map");
  for (int i = 2; i < 4; ++i) {
    d.dims[i] = d.padded_dims[i] = (d.dims[i] - 1) / stride + 1;
    d.format_desc.blocking.strides[i] *= stride;
  }
  return v;
}

namespace {

// Training subsamples in front of strided 1x1 convolutions onto maps of at most this many
// positions (stage 5's first block, 4x4 onto 2x2): there oneDNN's strided backward-data ran at
// about a third of the stride-1 kernel's rate. AVX-512 machine, profiled steps: the 1024 -> 2048
// shortcut's backward-data 5.05 ms strided, 1.84 ms on the kept map (gather and scatter 0.07 and
// 0.04 ms); two models stepping in turn, 21 pairs each order: 1.007x and 1.029x.
constexpr dnnl::memory::dim kKeptPositionsForBackward = 4;

// The stride-s 1x1 convolution of `in` to `out` channels, or (stride 1) of the kept map.
dnnl::convolution_forward::primitive_desc strided_conv(Build& b, const dnnl::memory::desc& in,
                                                       int out, int stride) {
  const dnnl::memory::dims d = in.dims(), s = {stride, stride}, zero = {0, 0};
  const dnnl::memory::dims od = {d[0], out, (d[2] - 1) / stride + 1, (d[3] - 1) / stride + 1};
  dnnl::convolution_forward::desc cd(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, in,
      {{out, d[1], 1, 1}, dt::f32, tag::any}, {{out}, dt::f32, tag::x}, {od, dt::f32, tag::any}, s,
      zero, zero);
  return {cd, b.rt.attr(), b.rt.engine()};
}

}  // namespace

bool Subsample::wanted(Build& b, const dnnl::memory::desc& in, int out, int stride) {
  if (stride == 1) return false;
  const dnnl::memory::dims d = in.dims();
  const dnnl::memory::dim kept = ((d[2] - 1) / stride + 1) * ((d[3] - 1) / stride + 1);
  if (b.training && kept <= kKeptPositionsForBackward) return true;
  const std::string impl = strided_conv(b, in, out, stride).impl_info_str();
  return impl.find("1x1") == std::string::npos;
}

Subsample::Subsample(Build& b, const std::string& name, const Act& in, int out, int stride)
    : in_grad_(in.grad) {
  const dnnl::memory::desc view = strided_view(in.desc(), stride);
  // The kept map in the layout the stride-1 convolution reading it prefers.
  const dnnl::memory::desc any(view.dims(), dt::f32, tag::any);
  const dnnl::memory::desc md = strided_conv(b, any, out, 1).src_desc();
  out_ = b.act(md);
  if (!in.grad) out_.grad = dnnl::memory();
  gather_ = b.rt.reorder(b.rt.wrap(view, in.value.get_data_handle()), out_.value, name + " gather");
  if (!out_.grad) return;
  const dnnl::memory::desc grad_view = strided_view(in.grad.get_desc(), stride);
  scatter_ =
      b.rt.reorder(out_.grad, b.rt.wrap(grad_view, in.grad.get_data_handle()), name + " scatter");
}

void Subsample::backward(dnnl::stream& s) const {
  if (!scatter_.valid()) return;
  // The rows and columns the convolutions skip get no gradient.
  auto* p = static_cast<char*>(in_grad_.get_data_handle());
  const std::size_t bytes = in_grad_.get_desc().get_size();
  constexpr std::size_t kChunk = 1 << 18;
  const long chunks = static_cast<long>((bytes + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static)
  for (long i = 0; i < chunks; ++i) {
    const std::size_t begin = static_cast<std::size_t>(i) * kChunk;
    std::memset(p + begin, 0, std::min(kChunk, bytes - begin));
  }
  scatter_.run(s);
}

}  // namespace signsnet::core
