// PNG encoding round-trips through signsnet's own decoder; base64 matches RFC 4648.
#include "png_encode.hpp"

#include <gtest/gtest.h>

#include "data/image_decode.hpp"

namespace signsnet::cli {
namespace {

std::vector<std::uint8_t> pattern(int width, int height, int channels) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height * channels);
  std::uint32_t state = 12345;
  for (std::uint8_t& p : pixels) {
    state = state * 1664525u + 1013904223u;
    p = static_cast<std::uint8_t>(state >> 24);
  }
  return pixels;
}

TEST(PngEncode, RoundTripsThroughTheLibrarysDecoder) {
  for (int channels : {1, 2, 3, 4}) {
    SCOPED_TRACE(channels);
    const std::vector<std::uint8_t> pixels = pattern(7, 5, channels);
    const std::vector<std::uint8_t> png = encode_png(pixels.data(), 7, 5, channels);
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png[1], 'P');
    const data_detail::RawImage back = data_detail::decode_png("round-trip.png", png, {});
    EXPECT_EQ(back.width, 7);
    EXPECT_EQ(back.height, 5);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, pixels);
  }
}

TEST(PngEncode, RejectsBadSizes) {
  const std::vector<std::uint8_t> pixels(16);
  EXPECT_THROW(encode_png(pixels.data(), 0, 4, 3), std::invalid_argument);
  EXPECT_THROW(encode_png(pixels.data(), 2, 2, 5), std::invalid_argument);
  EXPECT_THROW(encode_png(nullptr, 2, 2, 3), std::invalid_argument);
}

TEST(Base64, MatchesTheRfcVectors) {
  auto b64 = [](const std::string& s) { return base64({s.begin(), s.end()}); };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64({0xff, 0xfe, 0x00}), "//4A");
}

TEST(PngEncode, DataUriIsBase64Png) {
  const std::vector<std::uint8_t> pixels = pattern(2, 2, 3);
  const std::string uri = png_data_uri(pixels.data(), 2, 2, 3);
  EXPECT_EQ(uri.rfind("data:image/png;base64,iVBORw0KGgo", 0), 0u) << uri;
}

}  // namespace
}  // namespace signsnet::cli
