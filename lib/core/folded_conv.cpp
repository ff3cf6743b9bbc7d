#include "core/folded_conv.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/channel_layout.hpp"
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
                       const ConvOptions& o, float epsilon, bool relu, const dnnl::memory& sum_into)
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
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                    dnnl::algorithm::convolution_direct, src,
                                    {weight_->md.dims(), dt::f32, tag::any}, bias_md, dst,
                                    {o.stride, o.stride}, {o.pad, o.pad}, {o.pad, o.pad});
  dnnl::convolution_forward::primitive_desc pd(d, attr, b.rt.engine());
  folded_bias_ = b.rt.memory(bias_md);
  if (sum_into) {
    out_.value = sum_into;
  } else {
    out_.value = b.rt.memory(pd.dst_desc());
  }
  b.note(conv, relu ? (sum_into ? "Conv2D+BN+Add+ReLU" : "Conv2D+BN+ReLU") : "Conv2D+BN",
         out_.desc());
  if (build_product(b, conv, in, o, out_.value.get_desc(), relu, static_cast<bool>(sum_into)))
    return;
  weights_ = b.rt.memory(pd.weights_desc());
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

namespace {

// The product keeps 16 accumulators in registers: up to 4 output positions by 64 output
// channels (stage 5 at one image), up to 8 by 32, or up to 16 by 16 (stage 4 at one image). Its
// weights are in stripes of that many output channels, each stripe [K][stripe] contiguous: each
// thread streams whole stripes from memory and loads each weight once.
constexpr long kProductMaxPositions = 16;

long stripe_width(long positions) {
  return positions <= 4 ? 64 : positions <= 8 ? 32 : 16;
}

// A [rows][channels] operand of the product: element (m, c) at
// base[(c / 16) * block + m * row + c % 16]. A plain matrix has block 16 and row = channels; a
// 16-channel-blocked map of one image, block = pixels * 16 and row 16.
struct Strided {
  float* base;
  long block, row;
};

// Y[m][o] = act(b[o] + sum_k X[m][k] W[k][o] (+ Y[m][o] with `sum`)) for the 16 / V rows m (rows
// past the positions are zeros) and the 16 V output channels of stripe s, act the ReLU with
// `relu`; one broadcast of X per row and k.
template <int V>
__attribute__((target("avx512f"))) void stripe_product(Strided x, const float* w, const float* bias,
                                                       Strided y, long k_total, bool sum, bool relu,
                                                       long s) {
  constexpr long width = 16 * V, rows = 16 / V;
  const float* ws = w + s * k_total * width;
  __m512 acc[rows][V];
  for (auto& row : acc)
    for (__m512& a : row) a = _mm512_setzero_ps();
  for (long k = 0; k < k_total; ++k) {
    const float* r = ws + k * width;
    // 4 KiB ahead: the stripe is one contiguous stream.
    for (int j = 0; j < V; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(r + 1024 + 16 * j), _MM_HINT_T0);
    __m512 wv[V];
    for (int j = 0; j < V; ++j) wv[j] = _mm512_loadu_ps(r + 16 * j);
    const float* xk = x.base + (k / 16) * x.block + k % 16;
    for (long m = 0; m < rows; ++m) {
      const __m512 xm = _mm512_set1_ps(xk[m * x.row]);
      for (int j = 0; j < V; ++j) acc[m][j] = _mm512_fmadd_ps(xm, wv[j], acc[m][j]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int j = 0; j < V; ++j) {
    const long block = s * V + j;
    const __m512 b = _mm512_loadu_ps(bias + 16 * block);
    for (long m = 0; m < rows; ++m) {
      float* to = y.base + block * y.block + m * y.row;
      __m512 v = _mm512_add_ps(acc[m][j], b);
      if (sum) v = _mm512_add_ps(v, _mm512_loadu_ps(to));
      if (relu) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), v);
      _mm512_storeu_ps(to, v);
    }
  }
}

// Each thread streams whole stripes.
template <int V>
void stripes_product(Strided x, const float* w, const float* bias, Strided y, long k_total,
                     long out, bool sum, bool relu) {
  const long stripes = out / (16 * V);
#pragma omp parallel for schedule(static)
  for (long s = 0; s < stripes; ++s) stripe_product<V>(x, w, bias, y, k_total, sum, relu, s);
}

}  // namespace

bool FoldedConv::build_product(Build& b, const std::string& conv, const Act& in,
                               const ConvOptions& o, const dnnl::memory::desc& dst, bool relu,
                               bool sum) {
  const ChannelLayout src_l = ChannelLayout::of(in.desc()), dst_l = ChannelLayout::of(dst);
  if (!src_l.error.empty() || !dst_l.error.empty()) return false;
  const long n = dst_l.n, out = dst_l.c, oh = dst_l.h, ow = dst_l.w, ci = src_l.c;
  const long positions = n * oh * ow, k = static_cast<long>(o.kernel) * o.kernel * ci;
  const long stripe = stripe_width(positions);
  if (positions > kProductMaxPositions || out % stripe != 0 || ci % 16 != 0 || src_l.block != 16 ||
      dst_l.block != 16 || !__builtin_cpu_supports("avx512f"))
    return false;
  product_ = true;
  weights_ = b.rt.memory({{out / stripe, k, stripe}, dt::f32, tag::abc});
  // The product computes 16 * 16 / stripe rows. It reads one image's 1x1 input and writes its
  // output where they are when the rows are its pixels, in order; else through a copy of the
  // input's taps (rows past the positions zero) and into a matrix scattered afterwards.
  const long rows = 16 * 16 / stripe;
  const bool one_image = n == 1 && positions == rows;
  const bool direct_in =
      one_image && o.kernel == 1 && o.stride == 1 && o.pad == 0 && src_l.positions_contiguous();
  const bool direct_out = one_image && dst_l.positions_contiguous();
  Strided x{nullptr, 16, k}, yr{nullptr, 16, out};
  if (!direct_in) {
    cols_ = b.rt.memory({{rows, k}, dt::f32, tag::ab});
    std::memset(cols_.get_data_handle(), 0, static_cast<std::size_t>(rows * k) * sizeof(float));
    x.base = static_cast<float*>(cols_.get_data_handle());
  }
  if (!direct_out) {
    rows_ = b.rt.memory({{rows, out}, dt::f32, tag::ab});
    yr.base = static_cast<float*>(rows_.get_data_handle());
  }
  const dnnl::memory src = in.value, y = out_.value, w = weights_, bias = folded_bias_;
  const long kernel = o.kernel, stride = o.stride, pad = o.pad;
  if (!direct_in) {
    float* cols = x.base;
    gather_ = b.rt.custom(conv + " input->positions", "signsnet:gather", [=] {
      const float* from = static_cast<const float*>(src.get_data_handle());
#pragma omp parallel for schedule(static) if (positions * k >= (1 << 14))
      for (long p = 0; p < positions; ++p) {
        const long img = p / (oh * ow), oy = p / ow % oh, ox = p % ow;
        float* row = cols + p * k;
        for (long t = 0; t < kernel * kernel; ++t, row += ci) {
          const long iy = oy * stride - pad + t / kernel, ix = ox * stride - pad + t % kernel;
          if (iy < 0 || iy >= src_l.h || ix < 0 || ix >= src_l.w) {
            std::fill(row, row + ci, 0.0f);
            continue;
          }
          const float* base = from + src_l.pixel(img, iy, ix);
          for (long c = 0; c < ci; c += 16)
            std::copy(base + (c / 16) * src_l.block_stride,
                      base + (c / 16) * src_l.block_stride + 16, row + c);
        }
      }
    });
  }
  fwd_ = b.rt.custom(conv + " fwd folded product", "signsnet:stripe_product:avx512", [=] {
    Strided xs = x, ys = yr;
    if (direct_in)
      xs = {static_cast<float*>(src.get_data_handle()) + src_l.offset, src_l.block_stride, 16};
    if (direct_out)
      ys = {static_cast<float*>(y.get_data_handle()) + dst_l.offset, dst_l.block_stride, 16};
    const bool epilogue = direct_out;  // else the scatter adds and clips
    const auto* wf = static_cast<const float*>(w.get_data_handle());
    const auto* bf = static_cast<const float*>(bias.get_data_handle());
    if (stripe == 64)
      stripes_product<4>(xs, wf, bf, ys, k, out, epilogue && sum, epilogue && relu);
    else if (stripe == 32)
      stripes_product<2>(xs, wf, bf, ys, k, out, epilogue && sum, epilogue && relu);
    else
      stripes_product<1>(xs, wf, bf, ys, k, out, epilogue && sum, epilogue && relu);
  });
  if (!direct_out) {
    const float* from = yr.base;
    scatter_ = b.rt.custom(conv + " positions->output", "signsnet:scatter", [=] {
      float* to = static_cast<float*>(y.get_data_handle());
      for (long p = 0; p < positions; ++p) {
        const long img = p / (oh * ow), oy = p / ow % oh, ox = p % ow;
        float* base = to + dst_l.pixel(img, oy, ox);
        const float* row = from + p * out;
        for (long c = 0; c < out; c += 16) {
          float* d = base + (c / 16) * dst_l.block_stride;
          for (long j = 0; j < 16; ++j) {
            const float v = sum ? d[j] + row[c + j] : row[c + j];
            d[j] = relu ? std::max(v, 0.0f) : v;
          }
        }
      }
    });
  }
  return true;
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
  if (product_) {
    // OIHW -> stripes of output channels, each [K = (kh, kw, i)][stripe].
    const auto d = weight_->plain.dims();
    const std::size_t ci = d[1], taps = d[2] * d[3], k = ci * taps;
    const std::size_t stripe = weights_.get_desc().dims()[2];
    std::vector<float> striped(w.size());
    for (std::size_t o = 0; o < out; ++o)
      for (std::size_t i = 0; i < ci; ++i)
        for (std::size_t t = 0; t < taps; ++t)
          striped[((o / stripe) * k + t * ci + i) * stripe + o % stripe] =
              w[(o * ci + i) * taps + t];
    std::memcpy(weights_.get_data_handle(), striped.data(), striped.size() * sizeof(float));
    return;
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
  if (winograd_) {
    winograd_->forward(s);
  } else if (product_) {
    if (gather_.valid()) gather_.run(s);
    fwd_.run(s);
    if (scatter_.valid()) scatter_.run(s);
  } else {
    fwd_.run(s);
  }
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
