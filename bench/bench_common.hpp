// Shared pieces of the benchmarks: cached models, inputs, the measured peak.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "signsnet/model.hpp"

namespace signsnet::bench {

/// A ResNet-50 for `batch`, built once per process and reused (building takes seconds).
Model& cached_model(int batch);

/// Deterministic inputs in [0, 1) and labels for `count` images of `model`.
struct Inputs {
  std::vector<float> images;
  std::vector<std::int32_t> labels;
};
const Inputs& cached_inputs(const Model& model, int count);

/// GFLOP/s of this machine, measured once (see flops.hpp).
double machine_peak_gflops();

/// Sets images/s, GFLOP/s and percent of peak from `flops_per_image` and the timed iterations.
void report_rates(benchmark::State& state, int images_per_iteration, double flops_per_image);

}  // namespace signsnet::bench
