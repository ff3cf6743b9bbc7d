// The augmentation transforms on small images, and the counter-based draws.
#include "data/augment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

// The source column or row that fill mode `f` reads for index i of n.
int filled(int i, int n, Augmentation::Fill f) {
  if (i >= 0 && i < n) return i;
  if (f == Augmentation::Fill::edge) return i < 0 ? 0 : n - 1;
  return i < 0 ? -i - 1 : 2 * n - 1 - i;  // reflect, for |overhang| <= n
}

TEST(AugmentTest, ShiftFillsFromTheNearestOrMirroredBorder) {
  const auto src = test::pattern(kH, kW, kC);
  for (auto fill : {Augmentation::Fill::edge, Augmentation::Fill::reflect}) {
    SCOPED_TRACE(to_string(fill));
    AugmentDraw d;
    d.shift_x = 3;
    d.shift_y = -2;
    d.fill = fill;
    const auto out = run(src, d);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        const int sx = filled(x - 3, kW, fill), sy = filled(y + 2, kH, fill);
        for (int c = 0; c < kC; ++c)
          EXPECT_FLOAT_EQ(out[(y * kW + x) * kC + c], at(src, sy, sx, c)) << y << "," << x;
      }
    }
  }
}

TEST(AugmentTest, ReflectFillRepeatsWithTwiceTheImageAsItsPeriod) {
  // A shift larger than the image reads the mirror of the mirror: period 2 * width.
  const auto src = test::pattern(kH, kW, kC);
  AugmentDraw d;
  d.fill = Augmentation::Fill::reflect;
  d.shift_x = 2 * kW;
  const auto out = run(src, d);
  for (std::size_t i = 0; i < src.size(); ++i) EXPECT_FLOAT_EQ(out[i], src[i] / 255.0f) << i;
  d.shift_x = kW;  // exactly one mirror image
  const auto mirrored = run(src, d);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      for (int c = 0; c < kC; ++c)
        EXPECT_FLOAT_EQ(mirrored[(y * kW + x) * kC + c], at(src, y, kW - 1 - x, c));
    }
  }
}

TEST(AugmentTest, EdgeFillOfAUniformImageStaysUniformUnderRotationAndZoom) {
  // With the border extended, a plain background gains no dark corners when turned or shrunk;
  // with the zero fill it does.
  const std::vector<std::uint8_t> src(kH * kW * kC, 200);
  AugmentDraw d;
  d.angle = 0.3f;
  d.zoom = 0.7f;
  d.fill = Augmentation::Fill::edge;
  for (float v : run(src, d)) EXPECT_NEAR(v, 200.0f / 255.0f, 1e-5);
  d.fill = Augmentation::Fill::zero;
  const auto zero = run(src, d);
  EXPECT_LT(*std::min_element(zero.begin(), zero.end()), 0.5f);
}

TEST(AugmentTest, FillNamesRoundTrip) {
  for (auto f : {Augmentation::Fill::zero, Augmentation::Fill::edge, Augmentation::Fill::reflect})
    EXPECT_EQ(parse_fill(to_string(f)), f);
  EXPECT_THROW(parse_fill("nearest"), std::invalid_argument);
  Augmentation aug;
  aug.fill = Augmentation::Fill::reflect;
  EXPECT_EQ(draw_augmentation(aug, 7).fill, Augmentation::Fill::reflect);
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
