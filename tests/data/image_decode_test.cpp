// JPEG and PNG decoding, channel conversion and resizing.
#include "data/image_decode.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "data/resize.hpp"
#include "data/test_support.hpp"

namespace signsnet::data_detail {
namespace {

using test::message_of;
using ::testing::HasSubstr;

class DecodeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("decode"); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  RawImage decode(const std::string& path) const {
    return decode_image(path, read_file_bytes(path), LoadLimits{});
  }
  std::string dir_;
};

TEST_F(DecodeTest, PngChannelCountsDecodeExactly) {
  for (int channels = 1; channels <= 4; ++channels) {
    const auto px = test::pattern(5, 7, channels, channels);
    const auto path = file("c" + std::to_string(channels) + ".png");
    test::write_png8(path, 7, 5, channels, px);
    const RawImage img = decode(path);
    EXPECT_EQ(img.width, 7);
    EXPECT_EQ(img.height, 5);
    EXPECT_EQ(img.channels, channels);
    EXPECT_EQ(img.pixels, px) << channels << " channels";
  }
}

TEST_F(DecodeTest, SixteenBitPngBecomesEightBit) {
  const std::vector<std::uint16_t> samples = {0, 0xFFFF, 0x8080, 0x1234, 0xABCD, 0x00FF};
  test::write_png(file("deep.png"), 2, 1, 3, 16, samples);
  const RawImage img = decode(file("deep.png"));
  ASSERT_EQ(img.channels, 3);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_NEAR(img.pixels[i], samples[i] * 255.0 / 65535.0, 0.5001) << i;
  }
}

TEST_F(DecodeTest, JpegRgbAndGray) {
  std::vector<std::uint8_t> rgb;  // smooth, so JPEG's chroma subsampling loses little
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      for (int c = 0; c < 3; ++c) rgb.push_back(static_cast<std::uint8_t>(4 * x + 2 * y + 30 * c));
    }
  }
  test::write_jpeg(file("rgb.jpg"), 16, 16, 3, rgb, 100);
  const RawImage a = decode(file("rgb.jpg"));
  EXPECT_EQ(a.channels, 3);
  ASSERT_EQ(a.pixels.size(), rgb.size());
  double diff = 0;
  for (std::size_t i = 0; i < rgb.size(); ++i) diff += std::abs(a.pixels[i] - rgb[i]);
  EXPECT_LT(diff / rgb.size(), 2.0);  // lossy, but close at quality 100
  test::write_jpeg(file("gray.jpg"), 9, 4, 1, test::pattern(4, 9, 1), 90);
  const RawImage b = decode(file("gray.jpg"));
  EXPECT_EQ(b.channels, 1);
  EXPECT_EQ(b.width, 9);
  EXPECT_EQ(b.height, 4);
}

TEST_F(DecodeTest, TruncatedJpegIsAnError) {
  test::write_jpeg(file("full.jpg"), 32, 32, 3, test::pattern(32, 32, 3));
  const auto size = test::read_bytes(file("full.jpg")).size();
  test::write_truncated_copy(file("full.jpg"), file("cut.jpg"), size * 2 / 3);
  const auto msg = message_of<std::runtime_error>([&] { decode(file("cut.jpg")); });
  EXPECT_THAT(msg, HasSubstr("cut.jpg: JPEG data: expected a complete JPEG stream, got"));
  test::write_truncated_copy(file("full.jpg"), file("header.jpg"), 40);
  EXPECT_THAT(message_of<std::runtime_error>([&] { decode(file("header.jpg")); }),
              HasSubstr("header.jpg: JPEG data: expected a complete JPEG stream"));
}

TEST_F(DecodeTest, TruncatedPngIsAnError) {
  test::write_png8(file("full.png"), 32, 32, 3, test::pattern(32, 32, 3));
  const auto size = test::read_bytes(file("full.png")).size();
  for (std::size_t cut : {size / 2, size - 4, std::size_t{20}}) {
    test::write_truncated_copy(file("full.png"), file("cut.png"), cut);
    const auto msg = message_of<std::runtime_error>([&] { decode(file("cut.png")); });
    EXPECT_THAT(msg, HasSubstr("cut.png: PNG data: expected a complete PNG stream, got")) << cut;
  }
}

TEST_F(DecodeTest, NotAnImage) {
  test::write_bytes(file("notes.jpg"), {'n', 'o', 't', 'e', 's'});
  EXPECT_THAT(message_of<std::runtime_error>([&] { decode(file("notes.jpg")); }),
              HasSubstr("notes.jpg: format: expected a JPEG or PNG signature, got neither"));
  test::write_bytes(file("empty.png"), {});
  EXPECT_THAT(message_of<std::runtime_error>([&] { decode(file("empty.png")); }),
              HasSubstr("empty.png: format: expected a JPEG or PNG signature, got an empty file"));
}

TEST_F(DecodeTest, DeclaredSizeCheckedAgainstLimits) {
  test::write_png8(file("wide.png"), 300, 2, 1, test::pattern(2, 300, 1));
  LoadLimits limits;
  limits.max_image_side = 256;
  const auto bytes = read_file_bytes(file("wide.png"));
  EXPECT_THAT(
      message_of<std::runtime_error>([&] { decode_image(file("wide.png"), bytes, limits); }),
      HasSubstr("wide.png: width: expected 1..256, got 300"));
}

TEST(ResizeTest, AreaAveragingWhenShrinking) {
  // 4x4 gray -> 2x2: each output is the mean of a 2x2 block.
  const std::vector<std::uint8_t> src = {0, 2, 10, 20, 4, 6, 30, 40, 1, 1, 0, 0, 1, 1, 0, 100};
  std::vector<std::uint8_t> dst(4);
  resize_image(src.data(), 4, 4, dst.data(), 2, 2, 1);
  EXPECT_EQ(dst, (std::vector<std::uint8_t>{3, 25, 1, 25}));
  // 3 -> 2 weighs the middle pixel half into each output.
  const std::vector<std::uint8_t> row = {0, 90, 180};
  std::vector<std::uint8_t> out(2);
  resize_image(row.data(), 1, 3, out.data(), 1, 2, 1);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{30, 150}));
}

TEST(ResizeTest, BilinearWhenEnlargingAndCopyWhenEqual) {
  const std::vector<std::uint8_t> row = {0, 100};
  std::vector<std::uint8_t> out(4);
  resize_image(row.data(), 1, 2, out.data(), 1, 4, 1);
  // Half-pixel centres: source positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0, 25, 75, 100}));
  const auto img = test::pattern(6, 5, 3);
  std::vector<std::uint8_t> same(img.size());
  resize_image(img.data(), 6, 5, same.data(), 6, 5, 3);
  EXPECT_EQ(same, img);
  const std::vector<std::uint8_t> flat(2 * 3 * 3, 77);
  std::vector<std::uint8_t> big(7 * 5 * 3);
  resize_image(flat.data(), 2, 3, big.data(), 7, 5, 3);
  EXPECT_EQ(big, std::vector<std::uint8_t>(big.size(), 77));
}

TEST(ResizeTest, ToRgbRepeatsGrayAndDropsAlpha) {
  RawImage ga{2, 1, 2, {10, 255, 20, 0}};
  std::vector<std::uint8_t> rgb;
  to_rgb(ga, rgb);
  EXPECT_EQ(rgb, (std::vector<std::uint8_t>{10, 10, 10, 20, 20, 20}));
  RawImage rgba{1, 1, 4, {1, 2, 3, 4}};
  to_rgb(rgba, rgb);
  EXPECT_EQ(rgb, (std::vector<std::uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace signsnet::data_detail
