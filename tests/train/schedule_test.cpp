// Learning-rate schedules: warm-up, shapes, end points.
#include "signsnet/trainer.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

float lr_at(const ScheduleConfig& s, std::int64_t step) {
  return scheduled_learning_rate(s, 1.0f, step, /*steps_per_epoch=*/10, /*total_steps=*/100);
}

TEST(Schedule, ConstantIsTheBaseRate) {
  ScheduleConfig s;
  EXPECT_EQ(lr_at(s, 0), 1.0f);
  EXPECT_EQ(lr_at(s, 99), 1.0f);
}

TEST(Schedule, WarmupRampsLinearlyToTheBase) {
  ScheduleConfig s;
  s.warmup_epochs = 1;  // 10 steps
  EXPECT_FLOAT_EQ(lr_at(s, 0), 0.1f);
  EXPECT_FLOAT_EQ(lr_at(s, 4), 0.5f);
  EXPECT_FLOAT_EQ(lr_at(s, 9), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(s, 10), 1.0f);
}

TEST(Schedule, StepMultipliesByGammaEveryStepEpochs) {
  ScheduleConfig s;
  s.kind = ScheduleConfig::Kind::step;
  s.step_epochs = 3;
  s.gamma = 0.5f;
  EXPECT_FLOAT_EQ(lr_at(s, 29), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(s, 30), 0.5f);
  EXPECT_FLOAT_EQ(lr_at(s, 60), 0.25f);
}

TEST(Schedule, CosineGoesFromPeakToFinalFraction) {
  ScheduleConfig s;
  s.kind = ScheduleConfig::Kind::cosine;
  s.warmup_epochs = 1;
  s.final_fraction = 0.1f;
  EXPECT_FLOAT_EQ(lr_at(s, 10), 1.0f);
  EXPECT_NEAR(lr_at(s, 99), 0.1f, 1e-6);
  EXPECT_NEAR(lr_at(s, 10 + 89 / 2), 0.55f, 0.02);
  for (int k = 11; k < 100; ++k) EXPECT_LE(lr_at(s, k), lr_at(s, k - 1)) << k;
}

TEST(Schedule, OneCycleRisesThenFalls) {
  ScheduleConfig s;
  s.kind = ScheduleConfig::Kind::onecycle;  // no warm-up given: 30% of the run
  EXPECT_NEAR(lr_at(s, 0), 1.0f / 25, 1e-6);
  EXPECT_FLOAT_EQ(lr_at(s, 30), 1.0f);
  EXPECT_LT(lr_at(s, 15), 1.0f);
  EXPECT_GT(lr_at(s, 15), 1.0f / 25);
  EXPECT_NEAR(lr_at(s, 99), 0.0f, 1e-6);
}

TEST(Schedule, KindsParseAndPrint) {
  for (const char* name : {"constant", "step", "cosine", "onecycle"})
    EXPECT_STREQ(to_string(parse_schedule_kind(name)), name);
  EXPECT_EQ(test::message_of<std::invalid_argument>([] { parse_schedule_kind("linear"); }),
            "schedule: expected constant, step, cosine or onecycle, got 'linear'");
}

}  // namespace
}  // namespace signsnet
