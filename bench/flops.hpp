// Arithmetic counts of the model's layers and this machine's measured peak, for GFLOP/s and
// percent-of-peak figures.
#pragma once

#include <cstddef>
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

/// Bytes of the model's weights (fp32; convolutions and the dense layer).
std::size_t weight_bytes(const Model& model);

/// GB/s at which all threads read, again and again, a buffer of `bytes` (the model's weights):
/// how fast an inference pass can bring its weights in, from whatever level of the memory
/// hierarchy keeps them between passes, with the widest loads the CPU has. SIGNSNET_READ_GBPS
/// overrides it.
double read_gbps(std::size_t bytes);

/// A lower bound on one inference pass at `batch` images, in ms, for any implementation that runs
/// the weighted layers one after another (as oneDNN primitives do): the sum over the layers whose
/// names start with `prefix` ("" for all) of the larger of the layer's arithmetic at `peak_gflops`
/// and its weights read once at `gbps`. Each layer gets its cheapest option: a 3x3 'same'
/// convolution counts only the taps that land inside the map, or Winograd F(2x2) or F(4x4) with
/// its larger transformed weights, whichever bound is lower. Activations, which stay in cache at
/// small batches, and everything but convolutions and the dense layer are left out, so the real
/// floor is higher.
double layerwise_inference_floor_ms(const Model& model, int batch, double peak_gflops, double gbps,
                                    const std::string& prefix = "");

}  // namespace signsnet::bench
