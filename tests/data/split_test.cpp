// stratified_split and subset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using test::message_of;
using ::testing::HasSubstr;

// 1x1 RGB images whose first byte is their index; `per_class[c]` images of class c.
Dataset make_data(const std::vector<int>& per_class) {
  Dataset d;
  d.height = d.width = 1;
  d.classes = static_cast<int>(per_class.size());
  for (int c = 0; c < d.classes; ++c) {
    for (int k = 0; k < per_class[c]; ++k) {
      d.pixels.insert(d.pixels.end(), {static_cast<std::uint8_t>(d.count), 0, 0});
      d.labels.push_back(c);
      d.sources.push_back("img" + std::to_string(d.count++));
    }
  }
  return d;
}

std::vector<int> per_class(const Dataset& d) {
  std::vector<int> counts(d.classes, 0);
  for (int label : d.labels) ++counts[label];
  return counts;
}

TEST(SplitTest, EachClassSplitsInProportion) {
  const Dataset d = make_data({30, 30, 30, 20, 10, 5});
  const Split s = stratified_split(d, 0.2, 1);
  EXPECT_EQ(per_class(s.validation), (std::vector<int>{6, 6, 6, 4, 2, 1}));
  EXPECT_EQ(per_class(s.train), (std::vector<int>{24, 24, 24, 16, 8, 4}));
  EXPECT_EQ(s.train.count + s.validation.count, d.count);
  EXPECT_EQ(s.train.pixels.size(), s.train.count * 3u);
  std::set<std::uint8_t> ids;
  for (const Dataset* part : {&s.train, &s.validation}) {
    for (int i = 0; i < part->count; ++i) ids.insert(part->image(i)[0]);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(d.count));  // disjoint, and nothing lost
}

TEST(SplitTest, SeededAndOrderPreserving) {
  const Dataset d = make_data({50, 50});
  const Split a = stratified_split(d, 0.3, 5), b = stratified_split(d, 0.3, 5);
  const Split c = stratified_split(d, 0.3, 6);
  EXPECT_EQ(a.validation.sources, b.validation.sources);
  EXPECT_NE(a.validation.sources, c.validation.sources);
  for (int i = 1; i < a.train.count; ++i) EXPECT_LT(a.train.image(i - 1)[0], a.train.image(i)[0]);
  EXPECT_EQ(a.train.classes, 2);
  EXPECT_EQ(a.validation.height, 1);
}

TEST(SplitTest, BadFractionAndBadLabels) {
  Dataset d = make_data({4, 4});
  EXPECT_THAT(message_of<std::invalid_argument>([&] { stratified_split(d, 1.5, 0); }),
              HasSubstr("stratified_split: fraction: expected a value in [0, 1], got 1.5"));
  d.labels[3] = 9;
  d.origin = "mem";
  EXPECT_THAT(message_of<std::runtime_error>([&] { stratified_split(d, 0.5, 0); }),
              HasSubstr("mem: labels[3]: expected a class in [0, 2), got 9"));
}

TEST(SubsetTest, PicksImagesInTheGivenOrder) {
  const Dataset d = make_data({3, 3});
  const Dataset s = subset(d, {5, 0, 5});
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.labels, (std::vector<std::int32_t>{1, 0, 1}));
  EXPECT_EQ(s.pixels, (std::vector<std::uint8_t>{5, 0, 0, 0, 0, 0, 5, 0, 0}));
  EXPECT_EQ(s.sources[1], "img0");
  EXPECT_THAT(message_of<std::invalid_argument>([&] { subset(d, {6}); }),
              HasSubstr("subset: indices[0]: expected an image in [0, 6), got 6"));
}

}  // namespace
}  // namespace signsnet
