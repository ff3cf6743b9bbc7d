// The model through its public API: sizes, summary, training behaviour, buffers built once.
#include "signsnet/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/runtime.hpp"
#include "test_util.hpp"

namespace signsnet {
namespace {

using ::testing::HasSubstr;

struct Batch {
  std::vector<float> images;
  std::vector<std::int32_t> labels;
};

Batch random_batch(const Model& m, int count, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  Batch b;
  b.images.resize(count * m.image_floats());
  for (float& x : b.images) x = pixel(gen);
  for (int i = 0; i < count; ++i)
    b.labels.push_back(static_cast<std::int32_t>(gen() % m.config().classes));
  return b;
}

std::vector<float> read_all(const Model& m, const std::string& name) {
  for (const TensorInfo& t : m.tensors())
    if (t.name == name) {
      std::vector<float> v(t.size());
      m.read(name, v.data());
      return v;
    }
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

TEST(ModelTest, ResNet50HasTheReferenceParameterCounts) {
  Model m(ModelConfig::resnet50(), 1);
  const ParameterCounts c = m.parameter_counts();
  EXPECT_EQ(c.total, 23600006);
  EXPECT_EQ(c.trainable, 23546886);
  EXPECT_EQ(c.non_trainable, 53120);
  const std::string s = m.summary();
  EXPECT_THAT(s, HasSubstr("Total params: 23,600,006"));
  EXPECT_THAT(s, HasSubstr("Trainable params: 23,546,886"));
  EXPECT_THAT(s, HasSubstr("Non-trainable params: 53,120"));
  EXPECT_THAT(s, HasSubstr("stage3.block0.conv2"));
}

TEST(ModelTest, ResNet50LayerShapesFollowTheNotebook) {
  Model m(ModelConfig::resnet50(), 1);
  std::map<std::string, std::vector<std::int64_t>> shape;
  std::int64_t params = 0;
  for (const LayerInfo& l : m.layers()) {
    shape[l.name] = l.output_shape;
    params += l.parameters;
  }
  EXPECT_EQ(params, 23600006);
  EXPECT_EQ(shape["stem.conv"], (std::vector<std::int64_t>{64, 32, 32}));
  EXPECT_EQ(shape["stem.pool"], (std::vector<std::int64_t>{64, 15, 15}));
  EXPECT_EQ(shape["stage2.block2.add"], (std::vector<std::int64_t>{256, 15, 15}));
  EXPECT_EQ(shape["stage3.block3.add"], (std::vector<std::int64_t>{512, 8, 8}));
  EXPECT_EQ(shape["stage4.block5.add"], (std::vector<std::int64_t>{1024, 4, 4}));
  EXPECT_EQ(shape["stage5.block2.add"], (std::vector<std::int64_t>{2048, 2, 2}));
  EXPECT_EQ(shape["head.pool"], (std::vector<std::int64_t>{2048, 1, 1}));
  EXPECT_EQ(shape["head.dense"], (std::vector<std::int64_t>{6}));
}

TEST(ModelTest, DeeperVariantsComeFromTheSameCode) {
  Model m101(ModelConfig::resnet101(), 1);
  Model m152(ModelConfig::resnet152(), 1);
  // 23 and 36 blocks in stage 4 (and 8 in stage 3 for 152): more parameters, same head.
  EXPECT_GT(m101.parameter_counts().total, 42000000);
  EXPECT_GT(m152.parameter_counts().total, m101.parameter_counts().total);
  bool found = false;
  for (const LayerInfo& l : m152.layers()) found |= l.name == "stage4.block35.conv3";
  EXPECT_TRUE(found);
}

TEST(ModelTest, ResNet50UsesNoReferenceOrGemmKernel) {
  Model m(ModelConfig::resnet50(), 32);
  int count = 0;
  for (const std::string& k : m.kernels()) {
    const std::string impl = k.substr(k.rfind(": ") + 2);
    EXPECT_TRUE(core::is_direct_kernel(impl)) << k;
    ++count;
  }
  EXPECT_GT(count, 300);
}

TEST(ModelTest, InitializersFollowKeras) {
  Model m(ModelConfig::resnet50(), 1);
  // Identity blocks: uniform in [-0.05, 0.05]; glorot elsewhere; BN gamma 1, beta 0.
  std::vector<float> w = read_all(m, "stage2.block1.conv2.weight");
  float lo = 1, hi = -1;
  for (float x : w) lo = std::min(lo, x), hi = std::max(hi, x);
  EXPECT_GE(lo, -0.05f);
  EXPECT_LE(hi, 0.05f);
  EXPECT_LT(lo, -0.04f);
  std::vector<float> stem = read_all(m, "stem.conv.weight");
  const float limit = std::sqrt(6.0f / (3 * 49 + 64 * 49));
  for (float x : stem) ASSERT_LE(std::fabs(x), limit);
  for (float x : read_all(m, "stem.bn.gamma")) ASSERT_EQ(x, 1.0f);
  for (float x : read_all(m, "stem.bn.moving_variance")) ASSERT_EQ(x, 1.0f);
  for (float x : read_all(m, "stem.conv.bias")) ASSERT_EQ(x, 0.0f);
}

TEST(ModelTest, TensorsRoundTripInPlainLayout) {
  Model m(ModelConfig::tiny(), 4);
  for (const TensorInfo& t : m.tensors()) {
    std::vector<float> v(t.size()), back(t.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.001f * static_cast<float>(i % 977) - 0.3f;
    m.write(t.name, v.data());
    m.read(t.name, back.data());
    ASSERT_EQ(v, back) << t.name;
  }
  std::vector<float> x(1);
  EXPECT_THROW(m.read("no.such.tensor", x.data()), std::out_of_range);
  EXPECT_THROW(m.read("stem.bn.moving_mean", x.data(), TensorRole::gradient),
               std::invalid_argument);
}

TEST(ModelTest, SameSeedGivesBitIdenticalTraining) {
  Model a(ModelConfig::tiny(), 8), b(ModelConfig::tiny(), 8);
  Batch batch = random_batch(a, 8, 3);
  for (int i = 0; i < 3; ++i) {
    StepResult ra = a.train_step(batch.images.data(), batch.labels.data(), 8);
    StepResult rb = b.train_step(batch.images.data(), batch.labels.data(), 8);
    ASSERT_EQ(ra.loss, rb.loss);
  }
  for (const TensorInfo& t : a.tensors()) ASSERT_EQ(read_all(a, t.name), read_all(b, t.name));
}

// A sharpness-aware step against the same step written out through the public API: the gradient
// at w, the weights moved by rho * g / |g|, the gradient there, then plain SGD (no momentum
// memory on a first step) from the original weights.
TEST(ModelTest, SharpnessAwareStepTakesTheGradientAtThePerturbedWeights) {
  OptimizerConfig sgd;
  sgd.kind = OptimizerConfig::Kind::sgd;
  sgd.learning_rate = 0.1f;
  sgd.momentum = 0.0f;
  OptimizerConfig sam = sgd;
  sam.sam_rho = 0.5f;
  Model a(ModelConfig::tiny(), 8, sam), b(ModelConfig::tiny(), 8, sgd);
  Batch batch = random_batch(a, 8, 5);

  std::vector<TensorInfo> trainable;
  for (const TensorInfo& t : b.tensors())
    if (t.trainable) trainable.push_back(t);
  const StepResult at_w = b.compute_gradients(batch.images.data(), batch.labels.data(), 8);
  std::vector<std::vector<float>> w0, g0;
  double squared = 0.0;
  for (const TensorInfo& t : trainable) {
    w0.push_back(read_all(b, t.name));
    g0.emplace_back(t.size());
    b.read(t.name, g0.back().data(), TensorRole::gradient);
    for (float g : g0.back()) squared += static_cast<double>(g) * g;
  }
  ASSERT_GT(squared, 0.0);
  const float scale = static_cast<float>(sam.sam_rho / std::sqrt(squared));
  for (std::size_t k = 0; k < trainable.size(); ++k) {
    std::vector<float> moved = w0[k];
    for (std::size_t i = 0; i < moved.size(); ++i) moved[i] += scale * g0[k][i];
    b.write(trainable[k].name, moved.data());
  }
  b.compute_gradients(batch.images.data(), batch.labels.data(), 8);

  const StepResult r = a.train_step(batch.images.data(), batch.labels.data(), 8);
  EXPECT_EQ(r.loss, at_w.loss);  // the reported loss is the one at w
  double moved_most = 0.0;
  for (std::size_t k = 0; k < trainable.size(); ++k) {
    std::vector<float> g1(trainable[k].size());
    b.read(trainable[k].name, g1.data(), TensorRole::gradient);
    const std::vector<float> got = read_all(a, trainable[k].name);
    for (std::size_t i = 0; i < got.size(); ++i) {
      const float want = w0[k][i] - sgd.learning_rate * g1[i];
      ASSERT_NEAR(got[i], want, 1e-5f + 1e-4f * std::fabs(want)) << trainable[k].name << " " << i;
      // Where the two gradients differ, the step followed the perturbed one.
      moved_most = std::max(moved_most, static_cast<double>(std::fabs(g1[i] - g0[k][i])));
    }
  }
  EXPECT_GT(moved_most, 1e-3);  // rho is large enough to change the gradient
}

// Clipping by global norm against the step written out: plain SGD from the same weights with the
// gradient scaled by clip / |g|, and a bound above |g| leaves the step exactly as it was.
TEST(ModelTest, GradientClippingScalesTheStepDownToTheGlobalNorm) {
  OptimizerConfig sgd;
  sgd.kind = OptimizerConfig::Kind::sgd;
  sgd.learning_rate = 0.1f;
  sgd.momentum = 0.0f;
  Model probe(ModelConfig::tiny(), 8, sgd);
  Batch batch = random_batch(probe, 8, 9);
  probe.compute_gradients(batch.images.data(), batch.labels.data(), 8);
  std::vector<TensorInfo> trainable;
  std::vector<std::vector<float>> w0, g0;
  double squared = 0.0;
  for (const TensorInfo& t : probe.tensors()) {
    if (!t.trainable) continue;
    trainable.push_back(t);
    w0.push_back(read_all(probe, t.name));
    g0.emplace_back(t.size());
    probe.read(t.name, g0.back().data(), TensorRole::gradient);
    for (float g : g0.back()) squared += static_cast<double>(g) * g;
  }
  const double norm = std::sqrt(squared);
  ASSERT_GT(norm, 0.0);

  OptimizerConfig loose = sgd, tight = sgd;
  loose.clip_norm = static_cast<float>(2.0 * norm);
  tight.clip_norm = static_cast<float>(0.25 * norm);
  Model plain(ModelConfig::tiny(), 8, sgd), above(ModelConfig::tiny(), 8, loose),
      clipped(ModelConfig::tiny(), 8, tight);
  for (Model* m : {&plain, &above, &clipped})
    m->train_step(batch.images.data(), batch.labels.data(), 8);
  const float scale = static_cast<float>(tight.clip_norm / norm);
  for (std::size_t k = 0; k < trainable.size(); ++k) {
    const std::string& name = trainable[k].name;
    ASSERT_EQ(read_all(above, name), read_all(plain, name)) << name;
    const std::vector<float> got = read_all(clipped, name);
    for (std::size_t i = 0; i < got.size(); ++i) {
      const float want = w0[k][i] - sgd.learning_rate * scale * g0[k][i];
      ASSERT_NEAR(got[i], want, 1e-6f + 1e-5f * std::fabs(want)) << name << " " << i;
    }
  }
}

// Serving one image, maps of 4x4 and 2x2 (stages 4 and 5 of ResNet-50) run their folded
// convolutions as products over the output positions (folded_conv.hpp) where oneDNN runs AVX-512
// (16-channel blocks), reading and writing one image's maps in place; two images take the 2x2
// map's products through copies; a batch of 8 runs them all as convolutions. All give the same
// probabilities, with the statistics and weights of a few steps, before and after another step.
TEST(ModelTest, OneImageAtATimeMatchesABatch) {
  ModelConfig c = ModelConfig::tiny(32, 4);
  c.stages = {{1, 16, 64, 1}, {2, 32, 64, 2}, {2, 64, 128, 2}};  // maps 7x7, 4x4, 2x2
  Model m(c, 8);
  Batch batch = random_batch(m, 8, 21);
  const std::size_t classes = 4;
  for (int step = 0; step < 10; ++step) {
    m.train_step(batch.images.data(), batch.labels.data(), 8);
    if (step < 8) continue;
    std::vector<float> together(8 * classes), alone(8 * classes), pairs(8 * classes);
    m.predict(batch.images.data(), 8, together.data());
    for (std::size_t i = 0; i < 8; ++i)
      m.predict(batch.images.data() + i * m.image_floats(), 1, alone.data() + i * classes);
    for (std::size_t i = 0; i < 8; i += 2)
      m.predict(batch.images.data() + i * m.image_floats(), 2, pairs.data() + i * classes);
    for (std::size_t j = 0; j < together.size(); ++j) {
      ASSERT_NEAR(alone[j], together[j], 2e-5f) << "step " << step << ", output " << j;
      ASSERT_NEAR(pairs[j], together[j], 2e-5f) << "step " << step << ", output " << j;
    }
    const auto [low, high] = std::minmax_element(together.begin(), together.end());
    EXPECT_GT(*high - *low, 0.05f);  // not a uniform guess
  }
  if (!test::onednn_avx512()) return;
  int products = 0;
  for (const std::string& k : m.kernels())
    products += k.find("folded product: signsnet:stripe_product") != std::string::npos;
  // Every convolution of the last two stages at one image, and of the last stage at two.
  EXPECT_EQ(products, 2 * (2 * 3 + 1) + 2 * 3 + 1);
}

TEST(ModelTest, ProfiledInferenceTimesEachPrimitiveOfPredict) {
  ModelConfig c = ModelConfig::tiny(32, 4);
  c.stages = {{1, 16, 64, 1}, {2, 32, 64, 2}, {2, 64, 128, 2}};
  Model m(c, 8);
  Batch batch = random_batch(m, 8, 5);
  m.train_step(batch.images.data(), batch.labels.data(), 8);
  std::vector<float> before(4), after(4);
  m.predict(batch.images.data(), 1, before.data());
  const auto first = m.profile_predict(batch.images.data(), 1);
  const auto second = m.profile_predict(batch.images.data(), 1);
  ASSERT_EQ(first.size(), second.size());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].first, second[i].first);
    EXPECT_GE(first[i].second, 0.0);
    names.push_back(first[i].first);
  }
  // From the input's copy to the softmax, through every stage, and nothing of the backward pass.
  ASSERT_FALSE(names.empty());
  // (The input's copy runs only where the stem reads another layout than the caller's.)
  EXPECT_TRUE(names.front() == "input reorder" || names.front().rfind("stem.conv", 0) == 0)
      << names.front();
  EXPECT_EQ(names.back(), "head.softmax fwd");
  for (const std::string stage : {"stem.conv", "stage2.", "stage3.", "stage4."})
    EXPECT_TRUE(std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return n.rfind(stage, 0) == 0;
    })) << stage;
  for (const std::string& n : names) EXPECT_EQ(n.find("bwd"), std::string::npos) << n;
  m.predict(batch.images.data(), 1, after.data());
  EXPECT_EQ(before, after);
  EXPECT_THAT([&] { m.profile_predict(batch.images.data(), 9); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("count: expected 1..8")));
}

TEST(ModelTest, OtherSeedGivesOtherWeights) {
  ModelConfig c = ModelConfig::tiny();
  Model a(c, 2);
  c.seed = 7;
  Model b(c, 2);
  EXPECT_NE(read_all(a, "stem.conv.weight"), read_all(b, "stem.conv.weight"));
}

TEST(ModelTest, TinyModelDrivesTheLossOnAFixedBatchToZero) {
  Model m(ModelConfig::tiny(16, 3), 16);
  Batch batch = random_batch(m, 16, 11);
  StepResult first = m.train_step(batch.images.data(), batch.labels.data(), 16), last;
  for (int i = 0; i < 150; ++i) last = m.train_step(batch.images.data(), batch.labels.data(), 16);
  EXPECT_GT(first.loss, 0.5f);
  EXPECT_LT(last.loss, 0.05f);
  EXPECT_EQ(last.correct, 16);
}

TEST(ModelTest, NoPrimitiveOrMemoryIsCreatedAfterTheFirstStep) {
  // The tiny model, and one whose 3x3 convolutions run in the Winograd domain (64 channels).
  ModelConfig winograd = ModelConfig::tiny(32, 3);
  winograd.stages[0].mid = 64;
  for (const ModelConfig& c : {ModelConfig::tiny(), winograd}) {
    Model m(c, 8);
    Batch batch = random_batch(m, 8, 5);
    m.train_step(batch.images.data(), batch.labels.data(), 8);
    m.evaluate(batch.images.data(), batch.labels.data(), 8);
    const ResourceCounts before = m.resources();
    for (int i = 0; i < 3; ++i) {
      m.train_step(batch.images.data(), batch.labels.data(), 8);
      m.evaluate(batch.images.data(), batch.labels.data(), 8);
    }
    const ResourceCounts after = m.resources();
    EXPECT_EQ(before.primitives, after.primitives);
    EXPECT_EQ(before.memories, after.memories);
    EXPECT_GT(before.primitives, 50);
  }
}

TEST(ModelTest, PartialBatchesTrainAndEvaluate) {
  Model m(ModelConfig::tiny(), 8);
  Batch batch = random_batch(m, 13, 6);
  StepResult r = m.train_step(batch.images.data(), batch.labels.data(), 5);
  EXPECT_EQ(r.count, 5);
  EXPECT_TRUE(std::isfinite(r.loss));
  StepResult e = m.evaluate(batch.images.data(), batch.labels.data(), 13);
  EXPECT_EQ(e.count, 13);
  std::vector<float> probs(13 * 3);
  m.predict(batch.images.data(), 13, probs.data());
  int correct = 0;
  for (int i = 0; i < 13; ++i) {
    const float* p = probs.data() + i * 3;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-5f);
    correct += static_cast<int>(std::max_element(p, p + 3) - p) == batch.labels[i];
  }
  EXPECT_EQ(correct, e.correct);
  EXPECT_THROW(m.train_step(batch.images.data(), batch.labels.data(), 9), std::invalid_argument);
}

TEST(ModelTest, RecalibratedStatisticsMakeInferenceMatchTraining) {
  Model m(ModelConfig::tiny(), 8);
  Batch batch = random_batch(m, 8, 9);
  for (int i = 0; i < 5; ++i) m.train_step(batch.images.data(), batch.labels.data(), 8);
  m.begin_bn_recalibration();
  m.accumulate_bn_statistics(batch.images.data(), 8);
  m.end_bn_recalibration();
  // With moving statistics equal to this batch's, inference computes what training computes.
  const float train_loss = m.compute_gradients(batch.images.data(), batch.labels.data(), 8).loss;
  const float eval_loss = m.evaluate(batch.images.data(), batch.labels.data(), 8).loss;
  EXPECT_NEAR(eval_loss, train_loss, 1e-3f * std::max(1.0f, train_loss));
}

// Recalibrates the moving statistics on `batch` (8 images); inference must then give the batch's
// training-mode loss. Returns the inference loss.
float expect_recalibrated_inference_matches_training(Model& m, const Batch& batch,
                                                     const char* when) {
  m.begin_bn_recalibration();
  m.accumulate_bn_statistics(batch.images.data(), 8);
  m.end_bn_recalibration();
  const float train = m.compute_gradients(batch.images.data(), batch.labels.data(), 8).loss;
  const float eval = m.evaluate(batch.images.data(), batch.labels.data(), 8).loss;
  EXPECT_NEAR(eval, train, 1e-4f * std::max(1.0f, train)) << when;
  return eval;
}

// Inference folds each BN into its convolution (identity blocks add into their input in place;
// a 3x3 over positions keeps its BN) and refolds after any change of weights or statistics:
// recalibrated on a batch, inference must give that batch's training-mode loss, before and after
// the weights change. Two blocks per stage; at 16x16 the stages see 3x3, 2x2 (over positions at
// 8 images), 1x1 and 1x1 maps.
TEST(ModelTest, FoldedInferenceFollowsWeightAndStatisticChanges) {
  ModelConfig c = ModelConfig::tiny(16, 3);
  for (StageConfig& st : c.stages) st.blocks = 2;
  Model m(c, 8);
  Batch batch = random_batch(m, 8, 21);
  auto expect_inference_matches_training = [&](const char* when) {
    return expect_recalibrated_inference_matches_training(m, batch, when);
  };
  for (int i = 0; i < 3; ++i) m.train_step(batch.images.data(), batch.labels.data(), 8);
  const float before = expect_inference_matches_training("after 3 steps");
  for (const char* name : {"stage2.block1.conv3.weight", "stage3.block0.conv2.weight"}) {
    std::vector<float> w = read_all(m, name);
    for (float& x : w) x *= -1.5f;
    m.write(name, w.data());
  }
  const float after = expect_inference_matches_training("after writing weights");
  EXPECT_NE(before, after);
  m.train_step(batch.images.data(), batch.labels.data(), 8);
  expect_inference_matches_training("after another step");
}

// With 64 channels, the 3x3 convolutions of stages 2 and 3 (7x7 and 4x4 maps at 32x32 input)
// train in the Winograd domain and, with their BN folded in, infer there too
// (core/winograd_conv.hpp): recalibrated on a batch, inference gives that batch's training-mode
// loss, before and after their weights change.
TEST(ModelTest, WinogradConvolutionsTrainAndInferConsistently) {
  // Inference too runs in the Winograd domain where its layouts stay blocked, as on AVX2; on
  // AVX-512 oneDNN's inference kernels pick channels-last on these maps. This test runs oneDNN at
  // AVX2 there (where that cannot be set, as when the whole binary runs in one process, it
  // skips); ConvTest covers training on AVX-512's 16-channel blocks.
  if (!test::at_most_avx2()) GTEST_SKIP() << "oneDNN already ran above AVX2 in this process";
  ModelConfig c = ModelConfig::tiny(32, 3);
  c.stages[0].mid = 64;
  c.stages[1].mid = 64;
  Model m(c, 8);
  Batch batch = random_batch(m, 8, 23);
  auto expect_inference_matches_training = [&](const char* when) {
    return expect_recalibrated_inference_matches_training(m, batch, when);
  };
  for (int i = 0; i < 3; ++i) m.train_step(batch.images.data(), batch.labels.data(), 8);
  const float before = expect_inference_matches_training("after 3 steps");
  std::string kernels;
  for (const std::string& k : m.kernels()) kernels += k + "\n";
  for (const char* layer : {"stage2.block0.conv2", "stage3.block0.conv2"}) {
    for (const char* op :
         {" fwd: jit_1x1", " bwd_w: jit_1x1", " bwd_d: jit_1x1", " fwd folded: jit_1x1"}) {
      EXPECT_NE(kernels.find(std::string(layer) + op), std::string::npos) << layer << op << " in\n"
                                                                          << kernels;
    }
  }
  std::vector<float> w = read_all(m, "stage3.block0.conv2.weight");
  for (float& x : w) x *= -1.5f;
  m.write("stage3.block0.conv2.weight", w.data());
  const float after = expect_inference_matches_training("after writing weights");
  EXPECT_NE(before, after);
  m.train_step(batch.images.data(), batch.labels.data(), 8);
  expect_inference_matches_training("after another step");
}

TEST(ModelTest, MovingStatisticsFollowKerasMomentum) {
  ModelConfig c = ModelConfig::tiny();
  c.bn_momentum = 0.5f;
  Model m(c, 8);
  Batch batch = random_batch(m, 8, 10);
  m.train_step(batch.images.data(), batch.labels.data(), 8);
  // moving_mean starts at 0: after one step it is (1 - momentum) * the batch mean.
  std::vector<float> mean = read_all(m, "stem.bn.moving_mean");
  std::vector<float> var = read_all(m, "stem.bn.moving_variance");
  double s = 0;
  for (float x : mean) s += std::fabs(x);
  EXPECT_GT(s, 0.0);
  for (float v : var) EXPECT_GT(v, 0.5f);  // 0.5 * 1 + 0.5 * batch variance
}

TEST(ModelTest, BadConfigsNameTheField) {
  ModelConfig c;
  c.classes = 1;
  try {
    Model m(c, 1);
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("classes"));
  }
  c = ModelConfig();
  c.bn_momentum = 1.5f;
  EXPECT_THROW(Model(c, 1), std::invalid_argument);
  EXPECT_THROW(Model(ModelConfig(), 0), std::invalid_argument);
  c = ModelConfig::tiny();
  c.stages[1].mid = 1 << 20;  // a million channels: refused before anything is built
  try {
    c.validate();
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("stages[1].mid/out"));
  }
  Model m(ModelConfig::tiny(), 2);
  EXPECT_THROW(m.set_label_smoothing(1.0f), std::invalid_argument);
}

}  // namespace
}  // namespace signsnet
