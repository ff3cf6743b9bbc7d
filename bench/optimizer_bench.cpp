// The optimizer update over an arena the size of ResNet-50's trainable parameters.
#include "bench_common.hpp"
#include "core/optimizer.hpp"
#include "core/runtime.hpp"

namespace signsnet::bench {
namespace {

void optimizer_benchmark(benchmark::State& state, OptimizerConfig::Kind kind) {
  const std::size_t n = 23546886;
  core::FloatBuffer w(n), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    w.data()[i] = 0.01f;
    g.data()[i] = 1e-3f;
    m.data()[i] = v.data()[i] = 0.0f;
  }
  OptimizerConfig c;
  c.kind = kind;
  core::Optimizer opt(c);
  const core::ArenaView arena{w.data(), g.data(), m.data(), v.data(), n};
  opt.update(arena);
  for (auto _ : state) opt.update(arena);
  state.counters["params/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  // Adam reads weights, gradients and both moments and writes three of them: 7 floats each.
  const double bytes = (kind == OptimizerConfig::Kind::sgd ? 5.0 : 7.0) * 4.0 * n;
  state.counters["GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(optimizer_benchmark, adam, OptimizerConfig::Kind::adam)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(optimizer_benchmark, sgd, OptimizerConfig::Kind::sgd)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace signsnet::bench
