// fold_batchnorm against batch norm applied after the convolution, on a 1x1 convolution.
#include "onnx/fold.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace signsnet::onnx_export {
namespace {

TEST(FoldBatchnorm, MatchesConvolutionThenBatchnorm) {
  const int out = 3, in = 4;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto random = [&](int n, float shift) {
    std::vector<float> v(n);
    for (float& x : v) x = u(rng) + shift;
    return v;
  };
  ConvBn c{random(out * in, 0), random(out, 0), random(out, 1.5f), random(out, 0), random(out, 0),
           random(out, 1.5f),   1e-3f};
  const ConvBn original = c;
  fold_batchnorm(c);
  for (int trial = 0; trial < 5; ++trial) {
    const std::vector<float> x = random(in, 0);  // one pixel of `in` channels
    for (int o = 0; o < out; ++o) {
      double y = original.bias[o], folded = c.bias[o];
      for (int i = 0; i < in; ++i) {
        y += static_cast<double>(original.weight[o * in + i]) * x[i];
        folded += static_cast<double>(c.weight[o * in + i]) * x[i];
      }
      const double bn =
          original.gamma[o] * (y - original.mean[o]) / std::sqrt(original.variance[o] + 1e-3) +
          original.beta[o];
      EXPECT_NEAR(folded, bn, 1e-5) << "output " << o;
    }
  }
}

TEST(FoldBatchnorm, MismatchedSizesThrow) {
  ConvBn c{{1, 2, 3, 4}, {0, 0}, {1, 1}, {0, 0}, {0}, {1, 1}, 1e-3f};
  EXPECT_THROW(fold_batchnorm(c), std::logic_error);
}

}  // namespace
}  // namespace signsnet::onnx_export
