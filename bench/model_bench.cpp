// Whole-model and per-stage benchmarks: training step, inference, and each stage's forward and
// backward inside a real training step (timed primitive by primitive).
#include <map>

#include "bench_common.hpp"
#include "flops.hpp"

namespace signsnet::bench {
namespace {

void BM_TrainStep(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  Model& m = cached_model(batch);
  const Inputs& in = cached_inputs(m, batch);
  m.train_step(in.images.data(), in.labels.data(), batch);  // warm-up: first-touch, JIT caches
  for (auto _ : state) m.train_step(in.images.data(), in.labels.data(), batch);
  report_rates(state, batch, forward_flops(m, "") + backward_flops(m, ""));
}
BENCHMARK(BM_TrainStep)->Arg(32)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Inference(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  Model& m = cached_model(32);  // inference networks are built per batch size on first use
  const Inputs& in = cached_inputs(m, batch);
  std::vector<float> probs(static_cast<std::size_t>(batch) * m.config().classes);
  m.predict(in.images.data(), batch, probs.data());
  for (auto _ : state) m.predict(in.images.data(), batch, probs.data());
  report_rates(state, batch, forward_flops(m, ""));
}
BENCHMARK(BM_Inference)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

// Milliseconds of one profiled step spent in ops of `stage` ("stem", "stage2", ..., "head")
// going `direction` ("forward": the ops up to the last one named "... fwd", the loss's, with the
// copies and transforms that run among them; "backward": the rest; "both").
double stage_ms(const std::vector<std::pair<std::string, double>>& records,
                const std::string& stage, const std::string& direction) {
  auto is_fwd = [](const std::string& name) {
    return name.size() > 4 && name.compare(name.size() - 4, 4, " fwd") == 0;
  };
  std::size_t forward_end = 0;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (is_fwd(records[i].first)) forward_end = i + 1;
  double ms = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& [name, t] = records[i];
    if (name.compare(0, stage.size() + 1, stage + ".") != 0) continue;
    if (direction == "both" || (direction == "forward") == (i < forward_end)) ms += t;
  }
  return ms;
}

void stage_benchmark(benchmark::State& state, std::string stage, std::string direction) {
  const int batch = static_cast<int>(state.range(0));
  Model& m = cached_model(batch);
  const Inputs& in = cached_inputs(m, batch);
  m.profile_step(in.images.data(), in.labels.data(), batch);
  for (auto _ : state) {
    auto records = m.profile_step(in.images.data(), in.labels.data(), batch);
    state.SetIterationTime(stage_ms(records, stage, direction) * 1e-3);
  }
  const std::string prefix = stage == "head" ? "head." : stage + ".";
  double flops = 0;
  if (direction != "backward") flops += forward_flops(m, prefix);
  if (direction != "forward") flops += backward_flops(m, prefix);
  report_rates(state, batch, flops);
}

const bool registered = [] {
  for (const char* stage : {"stem", "stage2", "stage3", "stage4", "stage5", "head"})
    for (const char* dir : {"forward", "backward", "both"})
      benchmark::RegisterBenchmark((std::string("BM_Stage/") + stage + "/" + dir).c_str(),
                                   stage_benchmark, std::string(stage), std::string(dir))
          ->Arg(1)
          ->Arg(32)
          ->Iterations(5)  // each iteration is a whole profiled step: the stage is a sliver of it
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
}  // namespace signsnet::bench
