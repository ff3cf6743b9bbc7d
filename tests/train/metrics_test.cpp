// Confusion matrix, per-class figures and their renderings.
#include "signsnet/metrics.hpp"

#include <nlohmann/json.hpp>

#include "train/synthetic.hpp"

namespace signsnet {
namespace {

// labels    0 0 0 1 1 2
// predicted 0 0 1 1 2 2
Metrics sample() {
  return compute_metrics({0, 0, 0, 1, 1, 2}, {0, 0, 1, 1, 2, 2}, 3);
}

TEST(Metrics, ConfusionAndAccuracy) {
  const Metrics m = sample();
  EXPECT_EQ(m.at(0, 0), 2);
  EXPECT_EQ(m.at(0, 1), 1);
  EXPECT_EQ(m.at(1, 2), 1);
  EXPECT_EQ(m.at(2, 2), 1);
  EXPECT_EQ(m.correct, 4);
  EXPECT_DOUBLE_EQ(m.accuracy(), 4.0 / 6.0);
}

TEST(Metrics, PrecisionRecallF1) {
  const Metrics m = sample();
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 0.8);
  EXPECT_DOUBLE_EQ(m.per_class[2].precision, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[2].recall, 1.0);
  EXPECT_EQ(m.per_class[1].support, 2);
  EXPECT_NEAR(m.macro_recall, (2.0 / 3.0 + 0.5 + 1.0) / 3.0, 1e-12);
}

TEST(Metrics, ClassNeverPredictedHasZeroPrecision) {
  const Metrics m = compute_metrics({0, 1}, {0, 0}, 2);
  EXPECT_EQ(m.per_class[1].precision, 0.0);
  EXPECT_EQ(m.per_class[1].f1, 0.0);
}

TEST(Metrics, TextAndJson) {
  const Metrics m = sample();
  const std::string text = m.to_text({"zero", "one", "two"});
  EXPECT_NE(text.find("Confusion matrix"), std::string::npos);
  EXPECT_NE(text.find("zero"), std::string::npos);
  EXPECT_NE(text.find("accuracy: 0.6667 (4/6)"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(m.to_json());
  EXPECT_EQ(j["confusion"][0][1], 1);
  EXPECT_EQ(j["per_class"][2]["class"], "2");
  EXPECT_DOUBLE_EQ(j["per_class"][0]["f1"].get<double>(), 0.8);
  EXPECT_EQ(j["correct"], 4);
}

TEST(Metrics, BadInputIsNamed) {
  EXPECT_EQ(test::message_of<std::invalid_argument>([] {
              compute_metrics({0, 1}, {0}, 2);
            }),
            "metrics: predictions: expected 2 (one per label), got 1");
  EXPECT_EQ(test::message_of<std::invalid_argument>([] {
              compute_metrics({0, 3}, {0, 1}, 2);
            }),
            "metrics: labels[1]: expected a class in [0, 2), got 3");
}

}  // namespace
}  // namespace signsnet
