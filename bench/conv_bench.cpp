// Each distinct convolution of ResNet-50 on its own, named the way oneDNN's ResNet-50 shape
// lists name them (conv1, res2a_branch2a, ...), with the kernels oneDNN chose.
#include <map>
#include <memory>

#include "bench_common.hpp"
#include "core/conv.hpp"
#include "core/subsample.hpp"

namespace signsnet::bench {
namespace {

struct ConvShape {
  std::string name;
  int in_channels, size, out, kernel, stride, pad;
};

// conv1, then per stage: a_branch1 (shortcut), a_branch2a/2b/2c, and b_branch2a, whose input
// differs from a_branch2a's; the other identity-block convolutions repeat a_branch2b/2c.
std::vector<ConvShape> distinct_convs(const ModelConfig& c) {
  std::vector<ConvShape> v = {
      {"conv1", c.input_channels, c.input_height, c.stem_channels, 7, 2, 3}};
  int channels = c.stem_channels, size = ((c.input_height + 6 - 7) / 2 + 1 - 3) / 2 + 1;
  for (std::size_t s = 0; s < c.stages.size(); ++s) {
    const StageConfig& st = c.stages[s];
    const std::string p = "res" + std::to_string(s + 2);
    const int out_size = (size - 1) / st.stride + 1;
    v.push_back({p + "a_branch1", channels, size, st.out, 1, st.stride, 0});
    v.push_back({p + "a_branch2a", channels, size, st.mid, 1, st.stride, 0});
    v.push_back({p + "a_branch2b", st.mid, out_size, st.mid, c.kernel, 1, c.kernel / 2});
    v.push_back({p + "a_branch2c", st.mid, out_size, st.out, 1, 1, 0});
    if (st.blocks > 1) v.push_back({p + "b_branch2a", st.out, out_size, st.mid, 1, 1, 0});
    channels = st.out;
    size = out_size;
  }
  return v;
}

// One convolution built as the network builds it: inputs in the layout oneDNN prefers for training
// (an inference probe may prefer channels-last, for which oneDNN 2.6 has only a reference training
// kernel on AVX-512).
struct StandaloneConv {
  core::Runtime rt;
  core::ParamStore params{rt};
  std::unique_ptr<core::Subsample> sub;  // as the network runs a strided 1x1 oneDNN has no 1x1 kernel for
  std::unique_ptr<core::Conv> conv;

  StandaloneConv(const ConvShape& s, int batch) {
    dnnl::memory::dims src = {batch, s.in_channels, s.size, s.size};
    core::ConvOptions o{s.out, s.kernel, s.stride, s.pad, core::Init::glorot_uniform};
    core::Runtime probe_rt;
    core::ParamStore probe_params(probe_rt);
    core::Build probe{probe_rt, probe_params, true, batch, nullptr};
    core::Conv probe_conv(probe, "probe", core::Act{}, o, src);
    const dnnl::memory::desc md = probe_conv.src().get_desc();
    core::Build b{rt, params, true, batch, nullptr};
    // conv1's input gradient is never needed: time it as the network runs it.
    core::Act in{rt.memory(md), s.name == "conv1" ? dnnl::memory() : rt.memory(md)};
    if (s.kernel == 1 && core::Subsample::wanted(b, md, s.out, s.stride)) {
      sub = std::make_unique<core::Subsample>(b, s.name + ".subsample", in, s.out, s.stride);
      in = sub->out();
      o.stride = 1;
    }
    conv = std::make_unique<core::Conv>(b, s.name, in, o);
    params.finalize(0);
    rt.bind_scratchpad();
  }

  double run_ms(const std::string& direction) {
    core::Profiler& p = rt.profiler();
    p.records.clear();
    p.enabled = true;
    if (direction == "forward") {
      if (sub) sub->forward(rt.stream());
      conv->forward(rt.stream());
    } else {
      conv->backward(rt.stream());
      if (sub) sub->backward(rt.stream());
    }
    p.enabled = false;
    double ms = 0;
    for (const auto& [name, t] : p.records) {
      const bool weights_side =
          name.find("bwd_w") != std::string::npos || name.find("grad->arena") != std::string::npos;
      if (direction == "backward_data" && weights_side) continue;
      if (direction == "backward_weights" && !weights_side) continue;
      ms += t;
    }
    return ms;
  }

  std::string kernel(const std::string& suffix) const {
    for (const std::string& k : rt.kernels())
      if (k.find(" " + suffix + ": ") != std::string::npos) return k.substr(k.rfind(": ") + 2);
    return "none";
  }
};

void conv_benchmark(benchmark::State& state, ConvShape shape, std::string direction) {
  const int batch = static_cast<int>(state.range(0));
  StandaloneConv c(shape, batch);
  c.run_ms(direction);
  for (auto _ : state) state.SetIterationTime(c.run_ms(direction) * 1e-3);
  const double out_size = (shape.size + 2 * shape.pad - shape.kernel) / shape.stride + 1;
  const double flops =
      2.0 * shape.out * out_size * out_size * shape.in_channels * shape.kernel * shape.kernel;
  report_rates(state, batch, direction == "backward" ? 2 * flops : flops);
  const char* op = direction == "forward"            ? "fwd"
                   : direction == "backward_weights" ? "bwd_w"
                                                     : "bwd_d";
  state.SetLabel(direction == "backward" ? c.kernel("bwd_d") + " / " + c.kernel("bwd_w")
                                         : c.kernel(op));
}

const bool registered = [] {
  for (const ConvShape& s : distinct_convs(ModelConfig::resnet50()))
    for (const char* dir : {"forward", "backward_data", "backward_weights"}) {
      if (s.name == "conv1" && std::string(dir) == "backward_data") continue;
      benchmark::RegisterBenchmark(("BM_Conv/" + s.name + "/" + dir).c_str(), conv_benchmark, s,
                                   std::string(dir))
          ->Arg(32)
          ->MinTime(0.2)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  return true;
}();

}  // namespace
}  // namespace signsnet::bench
