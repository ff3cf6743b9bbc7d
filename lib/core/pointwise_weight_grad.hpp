// Backward-weights of a 1x1 convolution (stride 1, no padding) on AVX-512, on signsnet's own
// loop, written straight into the gradient arena in the forward weights' blocking.
//
// With channels blocked by 16, the gradient's 16 x 16 block for output block ob and input block
// ib is the sum over images and positions of outer products dY[n][ob][p][0:16] x
// X[n][ib][p][0:16]. The loop keeps 2 output blocks by 8 input channels (16 vectors) in registers:
// per position, two vector loads of dY and 8 broadcasts of X feed 16 FMAs. Images are taken in
// chunks of about 128 positions, each chunk's slice of X and dY read from memory once per thread
// and then from its caches; the threads split the output blocks, or the input blocks where the
// layer has more inputs than outputs, so that the tensor every thread reads whole is the smaller.
// Every gradient element is one thread's sum over the chunks in order, whatever the thread count.
//
// Why (AVX-512 machine, 2 threads, a throwaway timing of both on the real shapes with the caches
// flushed between calls): oneDNN's 1x1 backward-weights kernel ran at 95 to 135 GFLOP/s on stage
// 5's 2x2 maps and at about 145 on stage 2's 64 -> 256 layers, where this loop ran at 180 to 210;
// on the other shapes the two were within about 10% either way, so it takes the layers with no
// more inputs than outputs or at most 16 positions. On stage 5 it also replaces the matrix
// product of matmul_grad.hpp, whose position-major copies and gradient reorder it does not need.
// The training step (signsnet-bench BM_TrainStep/32, builds with and without it alternating, two
// sets of 10 pairs): 1.023x and 1.019x.
#pragma once

#include <memory>
#include <string>

#include "core/channel_layout.hpp"
#include "core/layer.hpp"

namespace signsnet::core {

class PointwiseWeightGrad {
 public:
  /// The path for a layer reading `src` (stride 1, no padding) whose output gradient is
  /// `out_grad`, or null where it does not apply: no AVX-512, channels not blocked by 16 with the
  /// positions contiguous, input channels not a multiple of 16 or outputs of 32, weights not in
  /// oneDNN's ABcd16b16a blocking, or a shape the rule above leaves to oneDNN.
  static std::unique_ptr<PointwiseWeightGrad> make(Build& b, const std::string& name,
                                                   const dnnl::memory& src,
                                                   const dnnl::memory& out_grad, const Slot& w,
                                                   const Slot& bias);
  /// Writes the weight and bias gradients.
  void run(dnnl::stream& s) const { op_.run(s); }

 private:
  Op op_;
};

}  // namespace signsnet::core
