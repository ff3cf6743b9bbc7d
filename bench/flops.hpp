// Arithmetic counts of the model's layers and this machine's measured peak, for GFLOP/s and
// percent-of-peak figures.
#pragma once

#include <cstdint>
#include <string>

#include "signsnet/model.hpp"

namespace signsnet::bench {

/// Forward FLOPs per image (2 per multiply-add) of the layers whose names start with `prefix`
/// ("" for the whole model): convolutions and the dense layer.
double forward_flops(const Model& model, const std::string& prefix);

/// Backward FLOPs per image: backward-data plus backward-weights, which cost one forward each,
/// less the stem's backward-data, which signsnet skips (nothing reads the input's gradient).
double backward_flops(const Model& model, const std::string& prefix);

/// GFLOP/s of a large fp32 oneDNN matmul on all threads: the peak figures are quoted against.
/// SIGNSNET_PEAK_GFLOPS overrides it.
double peak_gflops();

}  // namespace signsnet::bench
