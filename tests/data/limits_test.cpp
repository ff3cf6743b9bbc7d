// Resource bombs: image headers and HDF5 dims that declare huge sizes are refused, naming the
// file and the field, before the pixels are allocated. The bomb files are made here: a real
// header with the size fields raised, and little or no pixel data behind it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "data/image_decode.hpp"
#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using test::message_of;
using ::testing::HasSubstr;

using Bytes = std::vector<std::uint8_t>;

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void add_png_chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, crc32(0, out.data() + start, static_cast<uInt>(out.size() - start)));
}

// A PNG whose IHDR declares width x height 8-bit RGB, followed by one tiny IDAT: libpng reads the
// header and stops at the IDAT, where signsnet checks the size.
Bytes png_bomb(std::uint32_t width, std::uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8 bits, RGB, deflate, no filter, no interlace
  add_png_chunk(png, "IHDR", ihdr);
  add_png_chunk(png, "IDAT", {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
  add_png_chunk(png, "IEND", {});
  return png;
}

// A real 8x8 JPEG whose SOF0 frame header is changed to declare width x height.
Bytes jpeg_bomb(const std::string& scratch, std::uint16_t width, std::uint16_t height) {
  test::write_jpeg(scratch + "/small.jpg", 8, 8, 3, test::pattern(8, 8, 3));
  Bytes jpeg = test::read_bytes(scratch + "/small.jpg");
  for (std::size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // FF C0, length (2), precision (1), H, W
      jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<std::uint8_t>(height);
      jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<std::uint8_t>(width);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF0 marker in libjpeg's output";
  return jpeg;
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("limits"); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(LimitsTest, PngHeaderOf60000x60000IsRefused) {
  test::write_bytes(file("bomb.png"), png_bomb(60000, 60000));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_file(file("bomb.png"), 64, 64); }),
            file("bomb.png") + ": width: expected 1..16384, got 60000");
}

TEST_F(LimitsTest, PngWithinTheSideLimitButOverTheByteLimitIsRefused) {
  // 10000 x 10000 x 4 = 400 MB decoded, over the 256 MiB default.
  test::write_bytes(file("big.png"), png_bomb(10000, 10000));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_file(file("big.png"), 64, 64); }),
            file("big.png") +
                ": size: expected at most 268435456 bytes decoded, got 10000x10000 (400000000 "
                "bytes)");
  // The limit is the caller's: a tighter one refuses a small image too.
  test::write_bytes(file("small.png"), png_bomb(100, 100));
  LoadLimits tight;
  tight.max_image_bytes = 1000;
  EXPECT_THAT(
      message_of<std::runtime_error>([&] { load_image_file(file("small.png"), 64, 64, tight); }),
      HasSubstr("small.png: size: expected at most 1000 bytes decoded, got 100x100"));
}

TEST_F(LimitsTest, JpegHeaderOf60000x60000IsRefused) {
  test::write_bytes(file("bomb.jpg"), jpeg_bomb(dir_, 60000, 60000));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_file(file("bomb.jpg"), 64, 64); }),
            file("bomb.jpg") + ": width: expected 1..16384, got 60000");
  test::write_bytes(file("big.jpg"), jpeg_bomb(dir_, 12000, 9000));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_file(file("big.jpg"), 64, 64); }),
            file("big.jpg") +
                ": size: expected at most 268435456 bytes decoded, got 12000x9000 (432000000 "
                "bytes)");
}

TEST_F(LimitsTest, BombsInAFolderNameTheFile) {
  test::write_png8(file("0_ok.png"), 2, 2, 3, test::pattern(2, 2, 3));
  test::write_bytes(file("1_bomb.png"), png_bomb(60000, 60000));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_folder(dir_, 64, 64); }),
            file("1_bomb.png") + ": width: expected 1..16384, got 60000");
}

TEST_F(LimitsTest, AHugeLabelInAFileNameIsRefused) {
  // The class count is the largest label + 1, each class named: 10^9 names before this check.
  test::write_png8(file("999999999_a.png"), 2, 2, 3, test::pattern(2, 2, 3));
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_image_folder(dir_, 64, 64); }),
            file("999999999_a.png") + ": label: expected a class in [0, 1048576), got 999999999");
}

TEST_F(LimitsTest, Hdf5ImageOverTheByteLimitIsRefused) {
  {
    // Chunked and never written: 300 MB per image declared, a few KB on disk.
    test::H5Writer w(file("wide.h5"));
    w.add("train_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 10000, 10000, 3}, nullptr,
          {1, 64, 64, 3});
    w.add("train_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, nullptr, {2});
  }
  EXPECT_LT(test::read_bytes(file("wide.h5")).size(), 100000u);
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(file("wide.h5")); }),
            file("wide.h5") +
                ": train_set_x.shape: expected at most 268435456 bytes per image, got 300000000 "
                "bytes (2, 10000, 10000, 3)");
  LoadLimits loose;
  loose.max_image_bytes = std::int64_t{1} << 30;
  loose.max_total_bytes = 100 << 20;  // the whole data set is still over this one
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(file("wide.h5"), {}, 0, loose); }),
            file("wide.h5") +
                ": train_set_x.shape: expected at most 104857600 bytes, got 600000000 bytes (2, "
                "10000, 10000, 3)");
}

}  // namespace
}  // namespace signsnet
