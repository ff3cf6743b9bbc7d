// The augmentation transforms on small images, and the counter-based draws.
#include "data/augment.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/rng.hpp"
#include "data/test_support.hpp"

namespace signsnet::data_detail {
namespace {

constexpr int kH = 5, kW = 6, kC = 3;

std::vector<float> run(const std::vector<std::uint8_t>& src, const AugmentDraw& d) {
  std::vector<float> out(src.size()), scratch;
  augment_image(src.data(), kH, kW, kC, d, out.data(), scratch);
  return out;
}

float at(const std::vector<std::uint8_t>& img, int y, int x, int c) {
  return img[(y * kW + x) * kC + c] / 255.0f;
}

TEST(AugmentTest, NeutralDrawIsExactlyTheScaledImage) {
  const auto src = test::pattern(kH, kW, kC);
  const auto out = run(src, AugmentDraw{});
  for (std::size_t i = 0; i < src.size(); ++i) EXPECT_EQ(out[i], src[i] * (1.0f / 255.0f)) << i;
}

TEST(AugmentTest, ShiftPadsWithZeros) {
  const auto src = test::pattern(kH, kW, kC);
  AugmentDraw d;
  d.shift_x = 2;
  d.shift_y = -1;
  const auto out = run(src, d);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      const int sx = x - 2, sy = y + 1;
      const bool inside = sx >= 0 && sy < kH;
      for (int c = 0; c < kC; ++c) {
        EXPECT_FLOAT_EQ(out[(y * kW + x) * kC + c], inside ? at(src, sy, sx, c) : 0.0f);
      }
    }
  }
}

TEST(AugmentTest, FlipMirrorsColumns) {
  const auto src = test::pattern(kH, kW, kC);
  AugmentDraw d;
  d.flip = true;
  const auto out = run(src, d);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      for (int c = 0; c < kC; ++c)
        EXPECT_FLOAT_EQ(out[(y * kW + x) * kC + c], at(src, y, kW - 1 - x, c));
    }
  }
}

TEST(AugmentTest, QuarterTurnOnASquareMovesPixelsExactlyAndSmallTurnsStayClose) {
  constexpr int n = 5;
  const auto src = test::pattern(n, n, 1);
  std::vector<float> out(src.size()), scratch;
  AugmentDraw d;
  d.angle = static_cast<float>(M_PI / 2);
  augment_image(src.data(), n, n, 1, d, out.data(), scratch);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x)
      EXPECT_NEAR(out[y * n + x], src[(n - 1 - x) * n + y] / 255.0f, 1e-5);
  }
  d.angle = static_cast<float>(M_PI / 180);  // one degree: the centre pixel barely moves
  augment_image(src.data(), n, n, 1, d, out.data(), scratch);
  EXPECT_NEAR(out[2 * n + 2], src[2 * n + 2] / 255.0f, 1e-6);
  EXPECT_GT(std::fabs(out[0] - src[0] / 255.0f), 0.0f);  // a corner samples partly outside
}

TEST(AugmentTest, ZoomMagnifiesAboutTheCentre) {
  // A 7x7 image, one channel, centre (3, 3): at magnification 2, output pixel (y, x) samples
  // the input at (3 + (y - 3) / 2, 3 + (x - 3) / 2).
  constexpr int n = 7;
  const auto src = test::pattern(n, n, 1);
  std::vector<float> out(src.size()), scratch;
  AugmentDraw d;
  d.zoom = 2.0f;
  augment_image(src.data(), n, n, 1, d, out.data(), scratch);
  EXPECT_FLOAT_EQ(out[3 * n + 3], src[3 * n + 3] / 255.0f);
  EXPECT_FLOAT_EQ(out[1 * n + 5], src[2 * n + 4] / 255.0f);  // (1, 5) <- (2, 4)
  // (0, 3) <- (1.5, 3): halfway between two rows.
  EXPECT_NEAR(out[0 * n + 3], 0.5f * (src[1 * n + 3] + src[2 * n + 3]) / 255.0f, 1e-6);
  // At 0.5 the content shrinks: (3, 0) <- (3, -3), outside, so zero.
  d.zoom = 0.5f;
  augment_image(src.data(), n, n, 1, d, out.data(), scratch);
  EXPECT_EQ(out[3 * n + 0], 0.0f);
  EXPECT_FLOAT_EQ(out[3 * n + 4], src[3 * n + 5] / 255.0f);  // (3, 4) <- (3, 5)
}

TEST(AugmentTest, BrightnessAndContrastClampToTheUnitRange) {
  const std::vector<std::uint8_t> src = {0, 51, 102, 153, 204, 255};
  std::vector<float> out(6), scratch;
  AugmentDraw d;
  d.brightness = 0.1f;
  augment_image(src.data(), 1, 2, 3, d, out.data(), scratch);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(out[i], std::min(1.0f, src[i] / 255.0f + 0.1f), 1e-6);
  d = {};
  d.contrast = 0.0f;  // everything becomes the mean, 0.5
  augment_image(src.data(), 1, 2, 3, d, out.data(), scratch);
  for (float v : out) EXPECT_NEAR(v, 0.5f, 1e-6);
  d.contrast = 2.0f;
  augment_image(src.data(), 1, 2, 3, d, out.data(), scratch);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[5], 1.0f);
  EXPECT_NEAR(out[2], 0.3f, 1e-6);  // (0.4 - 0.5) * 2 + 0.5
}

TEST(AugmentTest, DrawsStayInRangeAndRepeatForAKey) {
  const Augmentation aug{3, true, 10.0f, 0.2f, 0.3f, 0.15f};
  int flips = 0;
  for (std::uint64_t k = 0; k < 2000; ++k) {
    const AugmentDraw d = draw_augmentation(aug, stream_key(1, 2, k));
    EXPECT_LE(std::abs(d.shift_x), 3);
    EXPECT_LE(std::abs(d.shift_y), 3);
    EXPECT_LE(std::fabs(d.angle), 10.0f * M_PI / 180 + 1e-6);
    EXPECT_LE(std::fabs(d.brightness), 0.2f);
    EXPECT_GE(d.contrast, 0.7f - 1e-6f);
    EXPECT_LE(d.contrast, 1.3f + 1e-6f);
    EXPECT_GE(d.zoom, 0.85f - 1e-6f);
    EXPECT_LE(d.zoom, 1.15f + 1e-6f);
    flips += d.flip;
  }
  EXPECT_NEAR(flips, 1000, 120);
  const AugmentDraw a = draw_augmentation(aug, 99), b = draw_augmentation(aug, 99);
  EXPECT_EQ(a.shift_x, b.shift_x);
  EXPECT_EQ(a.angle, b.angle);
  const AugmentDraw none = draw_augmentation(Augmentation{}, 99);
  EXPECT_EQ(none.shift_x, 0);
  EXPECT_FALSE(none.flip);
  EXPECT_EQ(none.angle, 0.0f);
  EXPECT_EQ(none.brightness, 0.0f);
  EXPECT_EQ(none.contrast, 1.0f);
  EXPECT_EQ(none.zoom, 1.0f);
  // Zoom is drawn last: turning it on leaves every other draw as it was.
  Augmentation without = aug;
  without.zoom = 0;
  for (std::uint64_t k = 0; k < 50; ++k) {
    const AugmentDraw z = draw_augmentation(aug, k), w = draw_augmentation(without, k);
    EXPECT_EQ(z.shift_x, w.shift_x);
    EXPECT_EQ(z.shift_y, w.shift_y);
    EXPECT_EQ(z.flip, w.flip);
    EXPECT_EQ(z.angle, w.angle);
    EXPECT_EQ(z.brightness, w.brightness);
    EXPECT_EQ(z.contrast, w.contrast);
    EXPECT_EQ(w.zoom, 1.0f);
  }
}

}  // namespace
}  // namespace signsnet::data_detail
