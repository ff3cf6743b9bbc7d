// The report's SVG charts on known data: tick choice, coordinates, gaps, legend, escaping.
#include "svg_chart.hpp"

#include <gtest/gtest.h>

#include <string>

#include "text_count.hpp"

namespace signsnet::cli {
namespace {

TEST(NiceTicks, PicksOneTwoOrFiveTimesAPowerOfTen) {
  const Ticks unit = nice_ticks(0, 1);
  EXPECT_DOUBLE_EQ(unit.step, 0.2);
  EXPECT_EQ(unit.values, (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  const Ticks loss = nice_ticks(0.93, 1.88);
  EXPECT_DOUBLE_EQ(loss.step, 0.2);
  EXPECT_DOUBLE_EQ(loss.lo, 0.8);
  EXPECT_DOUBLE_EQ(loss.hi, 2.0);
  const Ticks big = nice_ticks(0, 2400);
  EXPECT_DOUBLE_EQ(big.step, 500);
  EXPECT_DOUBLE_EQ(big.hi, 2500);
}

TEST(NiceTicks, EpochsGetWholeSteps) {
  EXPECT_EQ(nice_ticks(1, 3, 6, true).values, (std::vector<double>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(nice_ticks(1, 20, 6, true).step, 5);
  EXPECT_DOUBLE_EQ(nice_ticks(1, 2, 6, true).step, 1);
}

TEST(NiceTicks, AFlatOrEmptyRangeStillHasTicks) {
  const Ticks flat = nice_ticks(0.5, 0.5);
  EXPECT_LT(flat.lo, 0.5);
  EXPECT_GT(flat.hi, 0.5);
  EXPECT_GE(flat.values.size(), 2u);
  EXPECT_GE(nice_ticks(NAN, NAN).values.size(), 2u);
}

LineChart three_points() {
  LineChart c;
  c.title = "Accuracy";
  c.x_label = "epoch";
  c.y_label = "accuracy";
  c.y_min = 0;
  c.y_max = 1;
  Series s;
  s.name = "training";
  s.color = "#1f77b4";
  s.x = {1, 2, 3};
  s.y = {0, 0.5, 1};
  c.series = {s};
  return c;
}

// Plot area: x from 58 to 464 (480 - 16), y from 40 to 254 (300 - 46); x is padded by 3% of
// the range on both sides (0.94 to 3.06).
TEST(LineChart, PlacesPointsOnThePlotArea) {
  const std::string svg = render_line_chart(three_points());
  EXPECT_EQ(svg.rfind("<svg class=\"chart line-chart\" viewBox=\"0 0 480 300\"", 0), 0u) << svg;
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_NE(svg.find("points=\"69.5,254.0 261.0,147.0 452.5,40.0\""), std::string::npos) << svg;
  EXPECT_EQ(occurrences(svg, "<circle"), 3);
  EXPECT_NE(svg.find("<title>training, epoch 2: 0.5000</title>"), std::string::npos);
  for (const char* tick : {">0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<", ">1<", ">2<", ">3<"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find("rotate(-90)\" text-anchor=\"middle\">accuracy</text>"), std::string::npos);
  EXPECT_EQ(svg.find("http"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(LineChart, MissingValuesLeaveAGap) {
  LineChart c = three_points();
  c.series[0].x = {1, 2, 3, 4, 5};
  c.series[0].y = {0.1, 0.2, NAN, 0.4, 0.5};
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(occurrences(svg, "<polyline"), 2);
  EXPECT_EQ(occurrences(svg, "<circle"), 4);
}

TEST(LineChart, LegendNamesEverySeriesEscaped) {
  LineChart c = three_points();
  Series val = c.series[0];
  val.name = "val <&> \"x\"";
  val.color = "#ff7f0e";
  val.dashed = true;
  c.series.push_back(val);
  const std::string svg = render_line_chart(c);
  EXPECT_NE(svg.find(">val &lt;&amp;&gt; &quot;x&quot;</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">training</text>"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "stroke-dasharray=\"6 4\""), 2);  // its legend sample and its line
  EXPECT_EQ(svg.find("<&>"), std::string::npos);
}

TEST(LineChart, ManyPointsDrawNoMarkersAndAMarkerLineWhenAsked) {
  LineChart c = three_points();
  c.series[0].x.clear();
  c.series[0].y.clear();
  for (int i = 1; i <= 100; ++i) c.series[0].x.push_back(i), c.series[0].y.push_back(i / 100.0);
  c.marker_x = 50;
  c.marker_label = "checkpoint";
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(occurrences(svg, "<circle"), 0);
  EXPECT_NE(svg.find("class=\"marker\""), std::string::npos);
  EXPECT_NE(svg.find(">checkpoint</text>"), std::string::npos);
}

TEST(HeatMap, OneCellPerPairWithCountsAndRowShares) {
  const HeatMap m{"Confusion", {"a", "b"}, {3, 1, 0, 4}};
  const std::string svg = render_heatmap(m);
  EXPECT_EQ(svg.rfind("<svg class=\"chart heatmap\"", 0), 0u);
  EXPECT_EQ(occurrences(svg, "<g class=\"cell\""), 4);
  EXPECT_NE(svg.find("data-row=\"0\" data-col=\"1\" data-count=\"1\""), std::string::npos);
  EXPECT_NE(svg.find("<title>true a, predicted b: 1 (25.0% of true a)</title>"), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("fill=\"#08306b\""), std::string::npos);  // b's row: all on the diagonal
  EXPECT_NE(svg.find(">Predicted class</text>"), std::string::npos);
  EXPECT_NE(svg.find(">True class</text>"), std::string::npos);
}

TEST(HeatMap, RejectsAMatrixOfTheWrongSize) {
  EXPECT_THROW(render_heatmap({"x", {"a", "b"}, {1, 2, 3}}), std::invalid_argument);
  EXPECT_THROW(render_heatmap({"x", {}, {}}), std::invalid_argument);
}

}  // namespace
}  // namespace signsnet::cli
