// Finite differences through the whole small ResNet and the loss: weights, biases, BN scale and
// shift. Checked in training mode (batch statistics), where the loss is what backward derives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "signsnet/model.hpp"

namespace signsnet {
namespace {

class GradientCheck : public ::testing::Test {
 protected:
  static constexpr int kBatch = 6;
  GradientCheck() : model_(ModelConfig::tiny(16, 3), kBatch) {
    std::mt19937 gen(42);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    images_.resize(kBatch * model_.image_floats());
    for (float& x : images_) x = pixel(gen);
    labels_ = {0, 1, 2, 0, 1, 2};
  }

  float loss() { return model_.compute_gradients(images_.data(), labels_.data(), kBatch).loss; }

  // Central difference of the loss with respect to element i of `name`.
  float numeric(const std::string& name, std::vector<float>& values, std::size_t i, float eps) {
    const float keep = values[i];
    values[i] = keep + eps;
    model_.write(name, values.data());
    const float up = loss();
    values[i] = keep - eps;
    model_.write(name, values.data());
    const float down = loss();
    values[i] = keep;
    model_.write(name, values.data());
    return (up - down) / (2 * eps);
  }

  // Compares the analytic gradient with finite differences at the `picks` largest entries. The
  // tiny model's batch norms see few values, so the loss curves fast: eps stays small.
  void check(const std::string& name, float eps = 1e-4f, int picks = 3) {
    std::int64_t size = 0;
    for (const TensorInfo& t : model_.tensors())
      if (t.name == name) size = t.size();
    ASSERT_GT(size, 0) << name;
    std::vector<float> values(size), grad(size);
    model_.read(name, values.data());
    loss();
    model_.read(name, grad.data(), TensorRole::gradient);
    std::vector<std::size_t> order(size);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + std::min<std::int64_t>(picks, size),
                      order.end(),
                      [&](auto a, auto b) { return std::fabs(grad[a]) > std::fabs(grad[b]); });
    for (int k = 0; k < std::min<std::int64_t>(picks, size); ++k) {
      const std::size_t i = order[k];
      const float num = numeric(name, values, i, eps);
      EXPECT_NEAR(grad[i], num, 3e-3f + 5e-2f * std::fabs(num)) << name << "[" << i << "]";
    }
  }

  Model model_;
  std::vector<float> images_;
  std::vector<std::int32_t> labels_;
};

TEST_F(GradientCheck, StemConvolutionWeights) {
  check("stem.conv.weight");
}
TEST_F(GradientCheck, StemBatchNormScaleAndShift) {
  check("stem.bn.gamma");
  check("stem.bn.beta");
}
TEST_F(GradientCheck, IdentityPathBlockWeights) {
  check("stage2.block0.conv2.weight");
}
TEST_F(GradientCheck, ShortcutConvolution) {
  check("stage3.block0.shortcut.conv.weight");
}
TEST_F(GradientCheck, ShortcutBatchNorm) {
  check("stage4.block0.shortcut.bn.gamma");
  check("stage4.block0.shortcut.bn.beta");
}
TEST_F(GradientCheck, LastStageConvolutions) {
  check("stage5.block0.conv1.weight");
  check("stage5.block0.conv3.weight");
}
TEST_F(GradientCheck, DenseWeightsAndBias) {
  check("head.dense.weight");
  check("head.dense.bias");
}

TEST_F(GradientCheck, BiasBeforeBatchNormHasNoGradient) {
  // A convolution bias followed by batch norm is cancelled by the batch mean: zero gradient,
  // which is why such biases stay at their initial value in Keras too.
  std::vector<float> grad(16);
  loss();
  model_.read("stem.conv.bias", grad.data(), TensorRole::gradient);
  for (float g : grad) EXPECT_NEAR(g, 0.0f, 1e-4f);
  check("stem.conv.bias", 1e-2f);  // the loss is flat in it: a wide step only cuts the noise
}

}  // namespace
}  // namespace signsnet
