// The training loop on a tiny model: exact resume (after an epoch and mid-epoch), stop requests,
// divergence, checkpoints and reports.
#include "signsnet/trainer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>

#include "signsnet/checkpoint.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

const ModelConfig kTiny = ModelConfig::tiny(16, 3);

// The default recipe's features (schedule with warm-up, smoothing, augmentation, validation,
// recalibration) at a size that trains in well under a second per epoch.
TrainConfig tiny_config(const std::string& dir) {
  TrainConfig c = TrainConfig::preset("default");
  c.epochs = 4;
  c.batch = 8;
  c.augmentation.shift = 2;
  c.validation_fraction = 0.25;  // 48 images: 36 train (5 steps, the last of 4), 12 validation
  c.seed = 11;
  c.checkpoint_dir = dir;
  return c;
}

const Dataset& data() {
  static const Dataset d = test::synthetic_dataset(48, 16, 3);
  return d;
}

void expect_same_state(const Model& a, const Model& b) {
  EXPECT_EQ(a.step(), b.step());
  for (TensorRole role : {TensorRole::value, TensorRole::first_moment, TensorRole::second_moment})
    EXPECT_TRUE(test::all_tensors(a, role) == test::all_tensors(b, role))
        << "role " << static_cast<int>(role);
}

TEST(Trainer, ResumeAfterTwoEpochsEqualsFourStraight) {
  Trainer straight(kTiny, tiny_config(""), data());
  const TrainOutcome all = straight.run();
  ASSERT_EQ(all.epochs_done, 4);

  const std::string dir = test::scratch("trainer_resume");
  Trainer first(kTiny, tiny_config(dir), data());
  EXPECT_EQ(first.run(2).epochs_done, 2);
  Trainer second(kTiny, tiny_config(dir), data());
  second.resume(dir + "/last.h5");
  const TrainOutcome rest = second.run();
  EXPECT_EQ(rest.epochs_done, 4);
  ASSERT_EQ(rest.history.size(), 2u);
  EXPECT_EQ(rest.history[1].val_loss, all.history[3].val_loss);
  EXPECT_EQ(rest.history[1].loss, all.history[3].loss);
  expect_same_state(straight.model(), second.model());
  EXPECT_EQ(test::all_tensors(straight.model(), TensorRole::value),
            test::all_tensors(second.model(), TensorRole::value));
}

TEST(Trainer, StopMidEpochSavesAndResumesExactly) {
  Trainer straight(kTiny, tiny_config(""), data());
  straight.run(3);

  const std::string dir = test::scratch("trainer_stop");
  std::atomic<bool> stop{false};
  Trainer first(kTiny, tiny_config(dir), data());
  first.set_stop_flag(&stop);
  first.on_step([&](const StepReport& r) { stop = r.step == 7; });  // epoch 2, batch 2 of 5
  const TrainOutcome cut = first.run();
  EXPECT_TRUE(cut.stopped);
  EXPECT_EQ(cut.steps, 7);
  EXPECT_EQ(cut.checkpoint, dir + "/last.h5");
  EXPECT_EQ(read_checkpoint_state(cut.checkpoint).step, 7);

  Trainer second(kTiny, tiny_config(dir), data());
  second.resume(cut.checkpoint);
  const TrainOutcome rest = second.run(3);
  EXPECT_FALSE(rest.stopped);
  expect_same_state(straight.model(), second.model());
}

// The same seed and thread count give bit-identical histories and tensors, with batches
// assembled by two TBB workers. Checked at 1 and 2 compute threads.
TEST(Trainer, SameSeedAndThreadsAreBitIdentical) {
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    TrainConfig c = tiny_config("");
    c.epochs = 2;
    c.threads = threads;
    c.loader_threads = 2;
    Trainer a(kTiny, c, data());
    Trainer b(kTiny, c, data());
    const TrainOutcome ra = a.run(), rb = b.run();
    ASSERT_EQ(ra.history.size(), 2u);
    ASSERT_EQ(rb.history.size(), 2u);
    for (std::size_t e = 0; e < ra.history.size(); ++e) {
      EXPECT_EQ(ra.history[e].loss, rb.history[e].loss);
      EXPECT_EQ(ra.history[e].accuracy, rb.history[e].accuracy);
      EXPECT_EQ(ra.history[e].val_loss, rb.history[e].val_loss);
      EXPECT_EQ(ra.history[e].val_accuracy, rb.history[e].val_accuracy);
      EXPECT_EQ(ra.history[e].lr, rb.history[e].lr);
    }
    expect_same_state(a.model(), b.model());
    // A different seed is a different run: the comparison above can fail.
    c.seed += 1;
    Trainer other(kTiny, c, data());
    other.run();
    EXPECT_NE(test::all_tensors(a.model(), TensorRole::value),
              test::all_tensors(other.model(), TensorRole::value));
  }
}

TEST(Trainer, DivergenceThrowsAndKeepsTheLastGoodCheckpoint) {
  const std::string dir = test::scratch("trainer_diverge");
  Trainer t(kTiny, tiny_config(dir), data());
  t.run(1);
  const std::vector<char> good = test::file_bytes(dir + "/last.h5");
  // Poison the classifier's bias: the next logits, and so the loss, are NaN.
  const TensorInfo w = t.model().tensors().back();
  ASSERT_EQ(w.kind, TensorKind::bias) << w.name;
  std::vector<float> v(w.size(), std::numeric_limits<float>::quiet_NaN());
  t.model().write(w.name, v.data());
  try {
    t.run();
    ADD_FAILURE() << "did not throw";
  } catch (const TrainingDiverged& e) {
    EXPECT_EQ(e.epoch(), 2);
    EXPECT_EQ(e.step(), 6);
    EXPECT_NE(std::string(e.what()).find("at epoch 2, step 6"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::file_bytes(dir + "/last.h5"), good);
}

TEST(Trainer, ReportsAndCheckpointsEachEpoch) {
  const std::string dir = test::scratch("trainer_reports");
  TrainConfig c = tiny_config(dir);
  c.epochs = 2;
  Trainer t(kTiny, c, data());
  EXPECT_EQ(t.training_set().count, 36);
  EXPECT_EQ(t.validation_set().count, 12);
  int steps = 0;
  std::vector<EpochReport> epochs;
  t.on_step([&](const StepReport& r) {
    ++steps;
    EXPECT_EQ(r.batches, 5);
  });
  t.on_epoch([&](const EpochReport& r) { epochs.push_back(r); });
  const TrainOutcome out = t.run();
  EXPECT_EQ(steps, 10);
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_EQ(epochs[1].epoch, 2);
  EXPECT_EQ(epochs[1].step, 10);
  EXPECT_GE(epochs[1].val_accuracy, 0.0f);
  EXPECT_TRUE(std::isfinite(epochs[1].val_loss));
  EXPECT_GT(epochs[1].images_per_second, 0.0);
  EXPECT_TRUE(epochs[0].best);
  EXPECT_TRUE(std::filesystem::exists(dir + "/last.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/best.h5"));
  EXPECT_EQ(out.best_val_accuracy, std::max(epochs[0].val_accuracy, epochs[1].val_accuracy));
  const CheckpointState s = read_checkpoint_state(dir + "/last.h5");
  EXPECT_EQ(s.epoch, 2);
  EXPECT_EQ(TrainConfig::from_json(s.train_config_json, "x").to_json(), c.to_json());
}

TEST(Trainer, NotebookRecipeLearnsTheSyntheticBands) {
  TrainConfig c = TrainConfig::preset("notebook");
  c.epochs = 6;
  c.batch = 8;
  c.bn_recalibration = true;  // 36 steps at momentum 0.99 leave the moving statistics stale
  Trainer t(kTiny, c, data());
  const TrainOutcome out = t.run();
  EXPECT_LT(out.history.back().loss, out.history.front().loss);
  EXPECT_GT(t.evaluate(data()).accuracy, 0.5f);
}

TEST(Trainer, ZeroInitResidualSilencesEachBlocksLastBnOnly) {
  TrainConfig c = TrainConfig::preset("notebook");
  c.batch = 8;
  c.zero_init_residual = true;
  Trainer t(kTiny, c, data());
  int zeroed = 0;
  for (const TensorInfo& info : t.model().tensors()) {
    if (info.kind != TensorKind::gamma) continue;
    std::vector<float> v(static_cast<std::size_t>(info.size()));
    t.model().read(info.name, v.data());
    const bool last_bn = info.name.find(".bn3.") != std::string::npos;
    zeroed += last_bn;
    for (float x : v) ASSERT_EQ(x, last_bn ? 0.0f : 1.0f) << info.name;
  }
  EXPECT_EQ(zeroed, 4);  // the tiny model's blocks
  EXPECT_NE(TrainConfig::from_json(c.to_json(), "t").zero_init_residual, false);
}

TEST(Evaluate, FlipTtaAveragesEachImageWithItsMirror) {
  Model model(kTiny, 8);
  Dataset mirrored = data();
  const int w = mirrored.width, c = mirrored.channels;
  for (int r = 0; r < mirrored.count * mirrored.height; ++r) {
    std::uint8_t* row = mirrored.pixels.data() + static_cast<std::size_t>(r) * w * c;
    for (int i = 0, j = w - 1; i < j; ++i, --j) std::swap_ranges(row + i * c, row + (i + 1) * c, row + j * c);
  }
  const Evaluation plain = evaluate_dataset(model, data(), 8);
  const Evaluation flipped = evaluate_dataset(model, mirrored, 8);
  const Evaluation tta = evaluate_dataset(model, data(), 8, 1, /*flip_tta=*/true);
  ASSERT_EQ(tta.probabilities.size(), plain.probabilities.size());
  bool differs = false;
  for (std::size_t k = 0; k < tta.probabilities.size(); ++k) {
    EXPECT_NEAR(tta.probabilities[k], 0.5f * (plain.probabilities[k] + flipped.probabilities[k]),
                1e-6f);
    differs |= std::fabs(plain.probabilities[k] - flipped.probabilities[k]) > 1e-4f;
  }
  EXPECT_TRUE(differs) << "the mirror changed nothing: the test shows nothing";
}

TEST(Trainer, DataOfAnotherSizeIsNamed) {
  const Dataset big = test::synthetic_dataset(6, 32, 3);
  EXPECT_EQ(test::message_of<std::invalid_argument>([&] { Trainer(kTiny, tiny_config(""), big); }),
            "synthetic: height: expected 16 (the model's), got 32");
}

TEST(Trainer, ResumeWithAnotherBatchSizeIsRejected) {
  const std::string dir = test::scratch("trainer_batch");
  Trainer(kTiny, tiny_config(dir), data()).run(1);
  TrainConfig c = tiny_config(dir);
  c.batch = 4;
  Trainer t(kTiny, c, data());
  const std::string msg = test::message_of<CheckpointError>([&] { t.resume(dir + "/last.h5"); });
  EXPECT_NE(msg.find(dir + "/last.h5: step: expected 9..18 after epoch 1"), std::string::npos)
      << msg;
}

}  // namespace
}  // namespace signsnet
