// Recipes, validation and the JSON form of TrainConfig.
#include "signsnet/trainer.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

TEST(TrainConfig, NotebookRecipeIsTheKerasNotebook) {
  const TrainConfig c = TrainConfig::preset("notebook");
  EXPECT_EQ(c.epochs, 20);
  EXPECT_EQ(c.batch, 32);
  EXPECT_EQ(c.optimizer.kind, OptimizerConfig::Kind::adam);
  EXPECT_FLOAT_EQ(c.optimizer.learning_rate, 1e-3f);
  EXPECT_EQ(c.schedule.kind, ScheduleConfig::Kind::constant);
  EXPECT_FALSE(c.augmentation.enabled());
  EXPECT_EQ(c.label_smoothing, 0.0f);
  EXPECT_FLOAT_EQ(c.bn_momentum, 0.99f);
  EXPECT_FALSE(c.bn_recalibration);
  EXPECT_FALSE(c.flip_tta);
  EXPECT_EQ(c.validation_fraction, 0.0);
}

TEST(TrainConfig, DefaultRecipe) {
  const TrainConfig c = TrainConfig::preset("default");
  EXPECT_EQ(c.schedule.kind, ScheduleConfig::Kind::cosine);
  EXPECT_EQ(c.schedule.warmup_epochs, 1.0f);
  EXPECT_FLOAT_EQ(c.label_smoothing, 0.1f);
  EXPECT_FLOAT_EQ(c.optimizer.learning_rate, 2e-3f);
  EXPECT_EQ(c.augmentation.shift, 2);
  EXPECT_FLOAT_EQ(c.augmentation.rotation_degrees, 5.0f);
  EXPECT_EQ(c.augmentation.brightness, 0.0f);
  EXPECT_EQ(c.augmentation.contrast, 0.0f);
  EXPECT_TRUE(c.augmentation.horizontal_flip);
  EXPECT_EQ(c.augmentation.fill, Augmentation::Fill::edge);
  EXPECT_FLOAT_EQ(c.bn_momentum, 0.9f);
  EXPECT_TRUE(c.bn_recalibration);
  EXPECT_TRUE(c.flip_tta);
  EXPECT_DOUBLE_EQ(c.validation_fraction, 0.0);
}

TEST(TrainConfig, UnknownPresetIsNamed) {
  EXPECT_EQ(test::message_of<std::invalid_argument>([] { TrainConfig::preset("fast"); }),
            "preset: expected default or notebook, got 'fast'");
}

TEST(TrainConfig, ValidateNamesTheField) {
  TrainConfig c;
  c.epochs = 0;
  EXPECT_EQ(test::message_of<std::invalid_argument>([&] { c.validate(); }),
            "train config: epochs: expected at least 1, got 0");
  c = TrainConfig{};
  c.label_smoothing = 1.5f;
  EXPECT_EQ(test::message_of<std::invalid_argument>([&] { c.validate(); }),
            "train config: label_smoothing: expected in [0, 1), got 1.5");
  c = TrainConfig{};
  c.optimizer.sam_rho = -0.1f;
  EXPECT_EQ(test::message_of<std::invalid_argument>([&] { c.validate(); }),
            "train config: sam_rho: expected >= 0, got -0.1");
  c.optimizer.sam_rho = 0.0f;
  c.optimizer.clip_norm = -1.0f;
  EXPECT_EQ(test::message_of<std::invalid_argument>([&] { c.validate(); }),
            "train config: clip_norm: expected >= 0, got -1");
}

TEST(TrainConfig, JsonRoundTripKeepsEveryField) {
  TrainConfig c = TrainConfig::preset("default");
  c.optimizer.kind = OptimizerConfig::Kind::sgd;
  c.optimizer.learning_rate = 0.0123f;
  c.optimizer.nesterov = true;
  c.optimizer.sam_rho = 0.05f;
  c.optimizer.clip_norm = 2.5f;
  c.schedule.kind = ScheduleConfig::Kind::onecycle;
  c.schedule.gamma = 0.3f;
  c.augmentation.horizontal_flip = true;
  c.augmentation.fill = Augmentation::Fill::edge;
  c.seed = 1234567890123ull;
  c.checkpoint_dir = "runs/x";
  c.keep_best = false;
  const std::string json = c.to_json();
  const TrainConfig r = TrainConfig::from_json(json, "f.h5");
  EXPECT_EQ(r.to_json(), json);
  EXPECT_EQ(r.optimizer.learning_rate, 0.0123f);
  EXPECT_EQ(r.optimizer.sam_rho, 0.05f);
  EXPECT_EQ(r.optimizer.clip_norm, 2.5f);
  EXPECT_EQ(r.seed, 1234567890123ull);
  EXPECT_TRUE(r.flip_tta);
  EXPECT_EQ(r.augmentation.fill, Augmentation::Fill::edge);
  // Checkpoints written before the fields existed were evaluated without flips and trained
  // with zeros brought in by the shifts and rotations.
  EXPECT_FALSE(TrainConfig::from_json("{}", "f.h5").flip_tta);
  EXPECT_EQ(TrainConfig::from_json("{}", "f.h5").augmentation.fill, Augmentation::Fill::zero);
  EXPECT_NE(json.find("\"lr\":0.0123,"), std::string::npos) << json;
}

TEST(TrainConfig, JsonErrorsNameTheField) {
  EXPECT_EQ(test::message_of<std::invalid_argument>(
                [] { TrainConfig::from_json(R"({"optimizer":{"lr":"big"}})", "f.h5"); }),
            "f.h5: train_config.optimizer.lr: expected a number, got string");
  EXPECT_EQ(test::message_of<std::invalid_argument>([] { TrainConfig::from_json("[1]", "f.h5"); }),
            "f.h5: train_config: expected a JSON object, got '[1]'");
  EXPECT_EQ(test::message_of<std::invalid_argument>([] {
              TrainConfig::from_json(R"({"augmentation":{"fill":"wrap"}})", "f.h5");
            }),
            "f.h5: train_config.augmentation.fill: expected zero, edge or reflect, got 'wrap'");
  EXPECT_EQ(test::message_of<std::invalid_argument>([] {
              TrainConfig::from_json(R"({"schedule":{"kind":"linear"}})", "f.h5");
            }),
            "f.h5: train_config.schedule.kind: expected constant, step, cosine or onecycle, got "
            "'linear'");
}

}  // namespace
}  // namespace signsnet
