#include "core/im2col_conv.hpp"

#include <algorithm>
#include <vector>

#include "core/positions_conv.hpp"

namespace signsnet::core {
namespace {

// The maps it runs on: up to 4x4. Measured on the AVX2 machine (2 threads, 32 images, 3x3,
// direct / taps copied and 1x1, milliseconds): 4x4 with 256 channels forward 5.5 / 3.9 and
// backward-weights 6.4 / 4.9; 8x8 with 128 channels 5.3 / 4.7 and 6.0 / 4.8, where copying the
// taps (9.4 MB) eats most of it; 15x15 with 64 channels 4.2 / 3.5 and 5.6 / 5.0 before a 16.6 MB
// copy.
constexpr dnnl::memory::dim kMaxPositions = 16;
// Like the positions convolution: the 1x1 kernels block over N*H*W, too few rows below this.
constexpr dnnl::memory::dim kMinImages = 8;
// The gains above were measured from 128 input channels on; narrower layers keep the direct
// kernel (the tiny test models among them, whose tests' tolerances were measured on it).
constexpr dnnl::memory::dim kMinChannels = 128;

using conv_fwd = dnnl::convolution_forward;
using conv_bwd_weights = dnnl::convolution_backward_weights;

// Output positions [y, y + rows) x [x, x + cols) of an H x W map.
struct Region {
  dnnl::memory::dim y, rows, x, cols;
};

// Where the tap at offset (dy, dx) reads inside the map: none for a tap that reads only the
// border. The centre tap reads the whole map and is copied in two halves, as the other taps' parts
// are (a dense source into a channel block gets oneDNN's generic copy instead of jit:uni).
std::vector<Region> tap_regions(dnnl::memory::dim h, dnnl::memory::dim w, dnnl::memory::dim dy,
                                dnnl::memory::dim dx) {
  const dnnl::memory::dim y0 = std::max<dnnl::memory::dim>(0, -dy), y1 = std::min(h, h - dy);
  const dnnl::memory::dim x0 = std::max<dnnl::memory::dim>(0, -dx), x1 = std::min(w, w - dx);
  if (y1 <= y0 || x1 <= x0) return {};
  if (y1 - y0 < h || x1 - x0 < w) return {{y0, y1 - y0, x0, x1 - x0}};
  if (h > 1) return {{0, h / 2, 0, w}, {h / 2, h - h / 2, 0, w}};
  return {{0, h, 0, w / 2}, {0, h, w / 2, w - w / 2}};
}

}  // namespace

bool Im2colConv::fits(const dnnl::memory::desc& in, int kernel, int pad) {
  const dnnl::memory::dims d = in.dims();
  return kernel > 1 && kernel == 2 * pad + 1 && d[2] * d[3] <= kMaxPositions &&
         d[0] >= kMinImages && d[1] >= kMinChannels && !PositionsConv::fits(in, kernel, pad);
}

std::unique_ptr<Im2colConv> Im2colConv::make(Build& b, const std::string& name, const Act& in,
                                             const Act& out, const Slot& w, const Slot& bias,
                                             int kernel, int pad) {
  if (!b.training || !in.value || !out.grad || !fits(in.desc(), kernel, pad)) return nullptr;
  const dnnl::memory::dims d = in.desc().dims();
  const dnnl::memory::dim n = d[0], ci = d[1], h = d[2], wd = d[3];
  const dnnl::memory::dim co = w.md.dims()[0], taps = kernel * kernel;
  // AVX2's 8-channel blocks only. With AVX-512's 16-channel blocks the direct kernels won: stage
  // 4 of ResNet-50 over copied taps made the training step 1.03 to 1.05 times slower (two models
  // in one process stepping in turn, medians of 21 and 31 pairs, 2026-12-05).
  if (channel_block(in.desc()) != 8 || ci % 8 != 0 ||
      out.desc().dims() != dnnl::memory::dims({n, co, h, wd}) || out.grad.get_desc() != out.desc())
    return nullptr;
  SIGNSNET_CHECK(bias.md == dnnl::memory::desc({co}, dt::f32, tag::x), "bias layout of " + name);

  // The copied taps keep the input's layout: tap t's channels start at t*C.
  const dnnl::memory::desc cols_md({n, taps * ci, h, wd}, dt::f32, tag::nChw8c);
  const dnnl::memory::dims one = {1, 1}, zero = {0, 0};
  conv_fwd::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, cols_md,
                    any_md({co, taps * ci, 1, 1}), bias.md, out.desc(), one, zero, zero);
  conv_fwd::primitive_desc f(fd, b.rt.attr(), b.rt.engine());
  if (!is_direct_kernel(f.impl_info_str()) || f.src_desc() != cols_md ||
      f.dst_desc() != out.desc() || !blocks_divide(f.weights_desc(), co, ci))
    return nullptr;
  conv_bwd_weights::desc wdsc(dnnl::algorithm::convolution_direct, cols_md,
                              any_md(f.weights_desc().dims()), bias.md, out.desc(), one, zero,
                              zero);
  conv_bwd_weights::primitive_desc bw(wdsc, b.rt.attr(), b.rt.engine(), f);
  if (!is_direct_kernel(bw.impl_info_str()) || bw.src_desc() != cols_md ||
      bw.diff_dst_desc() != out.desc() || !blocks_divide(bw.diff_weights_desc(), co, ci))
    return nullptr;

  auto layer = std::unique_ptr<Im2colConv>(new Im2colConv());
  Im2colConv& l = *layer;
  l.params_ = &b.params;
  auto view_of = [&](const dnnl::memory& base, const dnnl::memory::desc& md) {
    dnnl::memory v = b.rt.wrap(md, DNNL_MEMORY_NONE);
    l.views_.emplace_back(v, base);
    return v;
  };
  // One buffer for every layer of this geometry: each copies its taps in again before its
  // backward-weights (the copies cost far less than keeping one buffer per layer in the cache).
  // The parts the taps never write, where they read the border, stay zero.
  std::string key = "im2col";
  for (dnnl::memory::dim v : cols_md.dims()) key += " " + std::to_string(v);
  key += " k" + std::to_string(kernel);
  const dnnl::memory cols = b.rt.shared(key, cols_md);
  const dnnl::memory big_w = b.rt.memory(f.weights_desc());
  const dnnl::memory big_dw = b.rt.memory(bw.diff_weights_desc());
  const dnnl::memory::dims tap_dims = {co, ci, 1, 1};
  for (dnnl::memory::dim ky = 0; ky < kernel; ++ky) {
    for (dnnl::memory::dim kx = 0; kx < kernel; ++kx) {
      const dnnl::memory::dim t = ky * kernel + kx, dy = ky - pad, dx = kx - pad;
      const std::string tap = "[" + std::to_string(ky) + "," + std::to_string(kx) + "]";
      for (const Region& r : tap_regions(h, wd, dy, dx)) {
        const dnnl::memory::dims part = {n, ci, r.rows, r.cols};
        l.copy_taps_.push_back(b.rt.reorder(
            b.rt.wrap(in.desc().submemory_desc(part, {0, 0, r.y + dy, r.x + dx}),
                      in.value.get_data_handle()),
            b.rt.wrap(cols_md.submemory_desc(part, {0, t * ci, r.y, r.x}), cols.get_data_handle()),
            name + " tap" + tap + "->cols"));
      }
      const dnnl::memory::desc tap_md = w.md.submemory_desc(tap_dims, {0, 0, ky, kx});
      l.assemble_.push_back(
          b.rt.reorder(view_of(w.value, tap_md),
                       b.rt.wrap(big_w.get_desc().submemory_desc(tap_dims, {0, t * ci, 0, 0}),
                                 big_w.get_data_handle()),
                       name + " tap" + tap + "->1x1"));
      l.fold_.push_back(
          b.rt.reorder(b.rt.wrap(big_dw.get_desc().submemory_desc(tap_dims, {0, t * ci, 0, 0}),
                                 big_dw.get_data_handle()),
                       view_of(w.grad, tap_md), name + " 1x1->tap" + tap + " grad"));
    }
  }
  l.fwd_ = b.rt.make<conv_fwd>(f, name + " fwd",
                               {{DNNL_ARG_SRC, cols},
                                {DNNL_ARG_WEIGHTS, big_w},
                                {DNNL_ARG_BIAS, bias.value},
                                {DNNL_ARG_DST, out.value}});
  l.bwd_weights_ = b.rt.make<conv_bwd_weights>(bw, name + " bwd_w",
                                               {{DNNL_ARG_SRC, cols},
                                                {DNNL_ARG_DIFF_DST, out.grad},
                                                {DNNL_ARG_DIFF_WEIGHTS, big_dw},
                                                {DNNL_ARG_DIFF_BIAS, bias.grad}});
  return layer;
}

void Im2colConv::bind() const {
  for (const auto& [view, base] : views_) view.set_data_handle(base.get_data_handle());
}

void Im2colConv::forward(dnnl::stream& s) const {
  bind();
  if (assembled_version_ != params_->values_version()) {
    for (const Op& op : assemble_) op.run(s);
    assembled_version_ = params_->values_version();
  }
  for (const Op& op : copy_taps_) op.run(s);
  fwd_.run(s);
}

void Im2colConv::backward_weights(dnnl::stream& s) const {
  bind();
  for (const Op& op : copy_taps_) op.run(s);
  bwd_weights_.run(s);
  for (const Op& op : fold_) op.run(s);
}

int Im2colConv::reorders() const {
  return static_cast<int>(assemble_.size() + 2 * copy_taps_.size() + fold_.size());
}

}  // namespace signsnet::core
