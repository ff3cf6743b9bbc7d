// What the data-parallel tests share: random images, a model's values in one vector, and their
// largest difference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "signsnet/data.hpp"
#include "signsnet/model.hpp"

namespace signsnet::dist_test {

struct Images {
  std::vector<float> pixels;
  std::vector<std::int32_t> labels;
};

/// `count` images of uniform random pixels with random labels; the same seed gives the same
/// images (on every rank).
inline Images random_images(const ModelConfig& c, int count, std::uint64_t seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Images im;
  im.pixels.resize(static_cast<std::size_t>(count) * c.input_channels * c.input_height *
                   c.input_width);
  for (float& p : im.pixels) p = u(rng);
  for (int i = 0; i < count; ++i) im.labels.push_back(static_cast<std::int32_t>(rng() % c.classes));
  return im;
}

/// Every trainable tensor (or, with `statistics`, every BN statistic), concatenated.
inline std::vector<float> all_values(const Model& m, bool statistics = false) {
  std::vector<float> out;
  for (const TensorInfo& t : m.tensors()) {
    if (t.trainable == statistics) continue;
    std::vector<float> v(static_cast<std::size_t>(t.size()));
    m.read(t.name, v.data());
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    d = std::max(d, static_cast<double>(std::fabs(a[i] - b[i])));
  return d;
}

/// The tiny ResNet the tests train (16x16 inputs, 3 classes).
inline ModelConfig tiny_config() {
  ModelConfig c = ModelConfig::tiny(16, 3);
  c.seed = 5;
  return c;
}

/// SGD at 0.05: Adam's first steps move every weight by about lr * sign(gradient), so float
/// noise in a gradient near zero would show as a difference of lr.
inline OptimizerConfig sgd() {
  OptimizerConfig o;
  o.kind = OptimizerConfig::Kind::sgd;
  o.learning_rate = 0.05f;
  return o;
}

}  // namespace signsnet::dist_test
