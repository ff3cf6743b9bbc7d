// load_image_folder, load_image_file and load_any on folders made here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

namespace fs = std::filesystem;
using test::message_of;
using ::testing::HasSubstr;

class FolderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("folder"); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  // A PNG whose pixels are all `value`, so resizing keeps them exact.
  void flat_png(const std::string& name, int h, int w, int channels, std::uint8_t value) {
    fs::create_directories(fs::path(file(name)).parent_path());
    test::write_png8(file(name), w, h, channels,
                     std::vector<std::uint8_t>(static_cast<std::size_t>(h) * w * channels, value));
  }
  std::string dir_;
};

TEST_F(FolderTest, LabelPrefixLayoutSortedByNameWithSpaces) {
  flat_png("2_b.png", 8, 8, 3, 20);
  flat_png("0_IMG_1 (1).png", 8, 8, 3, 0);
  flat_png("1_a.png", 8, 8, 3, 10);
  flat_png("0_IMG_1.png", 8, 8, 3, 5);
  test::write_bytes(file("README.txt"), {'x'});  // not an image extension: ignored
  const Dataset d = load_image_folder(dir_, 4, 4);
  ASSERT_EQ(d.count, 4);
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 0, 1, 2}));
  EXPECT_EQ(fs::path(d.sources[0]).filename(), "0_IMG_1 (1).png");
  EXPECT_EQ(fs::path(d.sources[1]).filename(), "0_IMG_1.png");
  EXPECT_EQ(d.image(0)[0], 0);
  EXPECT_EQ(d.image(1)[0], 5);
  EXPECT_EQ(d.image(3)[47], 20);
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(FolderTest, OneSubfolderPerClass) {
  flat_png("cat/b.png", 3, 3, 1, 7);
  flat_png("cat/a.png", 3, 3, 1, 6);
  flat_png("ant/z.png", 3, 3, 4, 9);
  const Dataset d = load_image_folder(dir_, 3, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 1}));
  EXPECT_EQ(d.image(0)[0], 9);
  EXPECT_EQ(d.image(1)[2], 6);
  EXPECT_EQ(d.image(2)[26], 7);
}

TEST_F(FolderTest, MixedSizesAndChannelsAreResized) {
  flat_png("0_big.png", 40, 30, 3, 100);
  flat_png("0_gray.png", 3, 5, 1, 50);
  flat_png("1_rgba.png", 16, 16, 4, 200);
  test::write_jpeg(file("1_photo.jpg"), 20, 10, 3, test::pattern(10, 20, 3));
  const Dataset d = load_image_folder(dir_, 8, 8, 0, {}, 2);
  ASSERT_EQ(d.count, 4);
  EXPECT_EQ(d.height, 8);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.image(0)[100], 100);
  EXPECT_EQ(d.image(1)[191], 50);
  EXPECT_EQ(d.image(3)[0], 200);
}

TEST_F(FolderTest, SameResultWhateverTheThreadCount) {
  for (int i = 0; i < 12; ++i) {
    test::write_jpeg(file(std::to_string(i % 3) + "_" + std::to_string(i) + ".jpg"), 24, 20, 3,
                     test::pattern(20, 24, 3, i));
  }
  const Dataset one = load_image_folder(dir_, 16, 16, 0, {}, 1);
  const Dataset two = load_image_folder(dir_, 16, 16, 0, {}, 2);
  EXPECT_EQ(one.pixels, two.pixels);
  EXPECT_EQ(one.labels, two.labels);
}

TEST_F(FolderTest, EmptyFolder) {
  EXPECT_THAT(
      message_of<std::runtime_error>([&] { load_image_folder(dir_, 8, 8); }),
      HasSubstr("folder: images: expected at least one .jpg, .jpeg or .png file, got none"));
}

TEST_F(FolderTest, MissingFolderAndFileInsteadOfFolder) {
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(file("absent"), 8, 8); }),
              HasSubstr("absent: path: expected an existing folder, got no such path"));
  flat_png("0_a.png", 2, 2, 3, 1);
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(file("0_a.png"), 8, 8); }),
              HasSubstr("0_a.png: path: expected a folder, got a file"));
}

TEST_F(FolderTest, TruncatedImageInAFolderNamesTheFile) {
  flat_png("0_good.png", 8, 8, 3, 1);
  test::write_jpeg(file("full.bin"), 32, 32, 3, test::pattern(32, 32, 3));
  test::write_truncated_copy(file("full.bin"), file("1_cut.jpg"), 300);
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(dir_, 8, 8); }),
              HasSubstr("1_cut.jpg: JPEG data: expected a complete JPEG stream, got"));
}

TEST_F(FolderTest, NotAnImageAndTheFirstErrorByName) {
  test::write_bytes(file("3_text.png"), {'a', 'b', 'c'});
  test::write_bytes(file("4_text.jpg"), {'a', 'b', 'c'});
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(dir_, 8, 8, 0, {}, 2); }),
              HasSubstr("3_text.png: format: expected a JPEG or PNG signature, got neither"));
}

TEST_F(FolderTest, BadLabelPrefixAndLabelBeyondClasses) {
  flat_png("cat.png", 2, 2, 3, 1);
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(dir_, 2, 2); }),
              HasSubstr("cat.png: label: expected a name like {label}_*.jpg, got \"cat.png\""));
  fs::remove(file("cat.png"));
  flat_png("7_x.png", 2, 2, 3, 1);
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(dir_, 2, 2, 6); }),
              HasSubstr("7_x.png: label: expected a class in [0, 6), got 7"));
}

TEST_F(FolderTest, BadTargetSize) {
  flat_png("0_a.png", 2, 2, 3, 1);
  EXPECT_THAT(message_of<std::invalid_argument>([&] { load_image_folder(dir_, 0, 8); }),
              HasSubstr("load_image_folder: height: expected 1..16384, got 0"));
}

TEST_F(FolderTest, TooManyImagesForTheLimits) {
  for (int i = 0; i < 3; ++i) flat_png("0_" + std::to_string(i) + ".png", 2, 2, 3, 1);
  LoadLimits limits;
  limits.max_images = 2;
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_folder(dir_, 2, 2, 0, limits); }),
              HasSubstr("folder: images: expected at most 2, got 3"));
}

TEST_F(FolderTest, SingleImageFile) {
  flat_png("one.png", 10, 20, 2, 90);
  const Dataset d = load_image_file(file("one.png"), 5, 5);
  EXPECT_EQ(d.count, 1);
  EXPECT_EQ(d.labels, std::vector<std::int32_t>{-1});
  EXPECT_EQ(d.pixels, std::vector<std::uint8_t>(75, 90));
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_image_file(file("two.png"), 5, 5); }),
              HasSubstr("two.png: path: expected an existing image file, got no such path"));
}

TEST_F(FolderTest, LoadAnyDispatches) {
  flat_png("imgs/1_a.png", 4, 4, 3, 3);
  test::write_signs_h5(file("set.h5"), 3, 6, 6, 2);
  EXPECT_EQ(load_any(file("imgs"), 4, 4).labels, std::vector<std::int32_t>{1});
  EXPECT_EQ(load_any(file("imgs/1_a.png"), 2, 2).labels, std::vector<std::int32_t>{-1});
  const Dataset h5 = load_any(file("set.h5"), 3, 3);
  EXPECT_EQ(h5.count, 3);
  EXPECT_EQ(h5.height, 3);
  EXPECT_EQ(h5.pixels.size(), 3u * 27);
  EXPECT_EQ(load_any(file("set.h5"), 6, 6).pixels.size(), 3u * 108);
  EXPECT_THAT(message_of<std::runtime_error>([&] { load_any(file("gone.h5"), 4, 4); }),
              HasSubstr("gone.h5: path: expected an existing file or folder, got no such path"));
}

}  // namespace
}  // namespace signsnet
