// load_hdf5 on files written here with the HDF5 C API, and on broken ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using test::H5Writer;
using test::message_of;
using ::testing::HasSubstr;

class Hdf5Test : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("hdf5"); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(Hdf5Test, ReadsSignsLayoutWithFoundNames) {
  const auto path = file("signs.h5");
  test::write_signs_h5(path, 7, 5, 4, 3);
  const Dataset d = load_hdf5(path);
  EXPECT_EQ(d.count, 7);
  EXPECT_EQ(d.height, 5);
  EXPECT_EQ(d.width, 4);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 2, 0, 1, 2, 0}));
  const auto img6 = test::pattern(5, 4, 3, 6);
  EXPECT_EQ(std::vector<std::uint8_t>(d.image(6), d.image(6) + d.image_bytes()), img6);
  EXPECT_EQ(d.origin, path);
  EXPECT_EQ(d.sources.size(), 7u);
}

TEST_F(Hdf5Test, ExplicitNamesAndAnyIntegerLabelShape) {
  const auto path = file("named.h5");
  const std::vector<std::uint8_t> px = test::pattern(2, 2, 3 * 4, 1);  // 4 images of 2x2x3
  const std::vector<std::uint16_t> column = {1, 0, 1, 1};
  const std::vector<std::int8_t> row = {0, 1, 1, 0};
  {
    H5Writer w(path);
    w.add("pictures", H5T_STD_U8LE, H5T_NATIVE_UINT8, {4, 2, 2, 3}, px.data());
    w.add("column", H5T_STD_U16BE, H5T_NATIVE_UINT16, {4, 1}, column.data());
    w.add("row", H5T_STD_I8LE, H5T_NATIVE_INT8, {1, 4}, row.data());
  }
  const Dataset a = load_hdf5(path, {"pictures", "column", ""});
  EXPECT_EQ(a.labels, (std::vector<std::int32_t>{1, 0, 1, 1}));
  EXPECT_EQ(a.classes, 2);
  const Dataset b = load_hdf5(path, {"pictures", "row", ""}, 4);
  EXPECT_EQ(b.labels, (std::vector<std::int32_t>{0, 1, 1, 0}));
  EXPECT_EQ(b.classes, 4);
  EXPECT_EQ(b.class_names.size(), 4u);
}

TEST_F(Hdf5Test, ChunkedDeflatedDatasetsAndStringClasses) {
  const auto path = file("deflate.h5");
  std::vector<std::uint8_t> px;
  for (int i = 0; i < 10; ++i) {
    const auto img = test::pattern(8, 8, 3, i);
    px.insert(px.end(), img.begin(), img.end());
  }
  const std::vector<std::int32_t> labels = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  {
    H5Writer w(path);
    w.add("test_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {10, 8, 8, 3}, px.data(), {3, 8, 8, 3}, 6);
    w.add("test_set_y", H5T_STD_I32LE, H5T_NATIVE_INT32, {10}, labels.data(), {4}, 9);
    w.add_strings("list_classes", {"fist", "one", "two"});
  }
  const Dataset d = load_hdf5(path);
  EXPECT_EQ(d.pixels, px);
  EXPECT_EQ(d.labels, labels);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"fist", "one", "two"}));
}

TEST_F(Hdf5Test, PrefersTheMatchingLabelDataset) {
  const auto path = file("twins.h5");
  const auto px = test::pattern(1, 1, 6);  // 2 images of 1x1x3
  const std::vector<std::int64_t> a = {0, 0}, b = {1, 1};
  {
    H5Writer w(path);
    w.add("a_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, a.data());
    w.add("b_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 1, 1, 3}, px.data());
    w.add("b_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, b.data());
  }
  EXPECT_EQ(load_hdf5(path).labels, (std::vector<std::int32_t>{1, 1}));
}

TEST_F(Hdf5Test, MissingFile) {
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(file("nope.h5")); });
  EXPECT_THAT(msg, HasSubstr("nope.h5: file: expected an existing file, got no such file"));
}

TEST_F(Hdf5Test, NotAnHdf5File) {
  const auto path = file("text.h5");
  test::write_bytes(path, {'h', 'e', 'l', 'l', 'o', '\n'});
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(path); });
  EXPECT_THAT(msg, HasSubstr("text.h5: format: expected an HDF5 file, got no HDF5 signature"));
}

TEST_F(Hdf5Test, MissingImagesDatasetListsWhatIsThere) {
  const auto path = file("noimages.h5");
  const std::vector<std::int64_t> labels = {0};
  { H5Writer(path).add("train_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {1}, labels.data()); }
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(path); });
  EXPECT_THAT(msg, HasSubstr("noimages.h5: images: expected a dataset named *_x, got none "
                             "(datasets: train_set_y)"));
}

TEST_F(Hdf5Test, MisnamedDatasets) {
  const auto path = file("signs.h5");
  test::write_signs_h5(path, 2, 2, 2, 2);
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"train_x", "", ""}); });
  EXPECT_THAT(msg, HasSubstr("signs.h5: images: expected a dataset named \"train_x\", got none"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "labels", ""}); });
  EXPECT_THAT(msg, HasSubstr("signs.h5: labels: expected a dataset named \"labels\""));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "", "names"}); });
  EXPECT_THAT(msg, HasSubstr("signs.h5: classes: expected a dataset named \"names\""));
}

TEST_F(Hdf5Test, MissingLabels) {
  const auto path = file("nolabels.h5");
  const auto px = test::pattern(1, 1, 3);
  { H5Writer(path).add("x_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {1, 1, 1, 3}, px.data()); }
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(path); });
  EXPECT_THAT(msg, HasSubstr("nolabels.h5: labels: expected a dataset named *_y, got none"));
}

TEST_F(Hdf5Test, WrongImageRankAndChannels) {
  const auto path = file("rank.h5");
  const auto px = test::pattern(4, 4, 3);
  const std::vector<std::int64_t> labels = {0, 0, 0, 0};
  {
    H5Writer w(path);
    w.add("gray_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {4, 4, 3}, px.data());
    w.add("four_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {4, 1, 3, 4}, px.data());
    w.add("set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {4}, labels.data());
  }
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"gray_x", "", ""}); });
  EXPECT_THAT(msg, HasSubstr("rank.h5: gray_x.shape: expected (N, H, W, 3), got (4, 4, 3)"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"four_x", "", ""}); });
  EXPECT_THAT(msg, HasSubstr("rank.h5: four_x.shape: expected (N, H, W, 3), got (4, 1, 3, 4)"));
}

TEST_F(Hdf5Test, FloatImagesAndFloatLabels) {
  const auto path = file("float.h5");
  const std::vector<float> px(12, 0.5f);
  const std::vector<double> labels = {0, 1};
  const auto bytes = test::pattern(1, 2, 6);
  {
    H5Writer w(path);
    w.add("f_x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 1, 2, 3}, px.data());
    w.add("u_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 1, 2, 3}, bytes.data());
    w.add("f_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2}, labels.data());
  }
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"f_x", "f_y", ""}); });
  EXPECT_THAT(msg, HasSubstr("float.h5: f_x.type: expected uint8, got float32"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"u_x", "f_y", ""}); });
  EXPECT_THAT(msg, HasSubstr("float.h5: f_y.type: expected an integer type, got float64"));
}

TEST_F(Hdf5Test, LabelsOutsideTheClasses) {
  const auto path = file("range.h5");
  const auto px = test::pattern(1, 1, 9);
  const std::vector<std::int64_t> negative = {0, -1, 2}, big = {0, 1, 6};
  const std::vector<std::int64_t> list = {0, 1, 2, 3, 4, 5};
  {
    H5Writer w(path);
    w.add("a_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {3, 1, 1, 3}, px.data());
    w.add("neg_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {3}, negative.data());
    w.add("big_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {3}, big.data());
    w.add("list_classes", H5T_STD_I64LE, H5T_NATIVE_INT64, {6}, list.data());
  }
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "neg_y", ""}); });
  EXPECT_THAT(msg, HasSubstr("range.h5: neg_y[1]: expected a class in [0, 6), got -1"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "big_y", ""}); });
  EXPECT_THAT(msg, HasSubstr("range.h5: big_y[2]: expected a class in [0, 6), got 6"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "big_y", ""}, 5); });
  EXPECT_THAT(msg, HasSubstr("range.h5: list_classes: expected 5 classes (as requested), got 6"));
}

TEST_F(Hdf5Test, LabelCountDiffersFromImageCount) {
  const auto path = file("count.h5");
  const auto px = test::pattern(1, 1, 9);
  const std::vector<std::int64_t> two = {0, 1}, grid = {0, 1, 0, 1};
  {
    H5Writer w(path);
    w.add("a_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {3, 1, 1, 3}, px.data());
    w.add("a_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, two.data());
    w.add("grid_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2, 2}, grid.data());
  }
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path); });
  EXPECT_THAT(msg, HasSubstr("count.h5: a_y.shape: expected 3 labels (the rows of a_x), got (2,)"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"", "grid_y", ""}); });
  EXPECT_THAT(msg,
              HasSubstr("count.h5: grid_y.shape: expected (N,), (1, N) or (N, 1), got (2, 2)"));
}

// Found by fuzz_hdf5 (UBSan): with no class list the class count is the largest label + 1, and
// a uint64 label converted to INT64_MAX overflowed that sum; a label of 2^31 - 2 made 2^31 - 1
// classes, each given a name string. Labels are now checked against LoadLimits::max_classes.
TEST_F(Hdf5Test, HugeLabelWithoutAClassList) {
  const auto path = file("huge_label.h5");
  const std::vector<std::uint8_t> pixels(2 * 2 * 2 * 3, 7);
  const std::uint64_t labels[2] = {0, UINT64_MAX};
  {
    H5Writer w(path);
    w.add("train_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 2, 2, 3}, pixels.data());
    w.add("train_set_y", H5T_STD_U64LE, H5T_NATIVE_UINT64, {2}, labels);
  }
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(path); }),
            path + ": train_set_y[1]: expected a class in [0, 1048576), got 9223372036854775807");
  const std::int64_t big[2] = {1, (std::int64_t{1} << 31) - 2};
  {
    H5Writer w(path);
    w.add("train_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 2, 2, 3}, pixels.data());
    w.add("train_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, big);
  }
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(path); }),
            path + ": train_set_y[1]: expected a class in [0, 1048576), got 2147483646");
  LoadLimits few;
  few.max_classes = 2;
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(path, {}, 0, few); }),
            path + ": train_set_y[1]: expected a class in [0, 2), got 2147483646");
}

TEST_F(Hdf5Test, ZeroRows) {
  const auto path = file("empty.h5");
  test::write_signs_h5(path, 0, 64, 64, 6);
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(path); });
  EXPECT_THAT(
      msg, HasSubstr("empty.h5: train_set_x.shape: expected at least 1 row, got (0, 64, 64, 3)"));
}

TEST_F(Hdf5Test, HugeDeclaredDimsFailBeforeAllocating) {
  const auto path = file("huge.h5");
  {
    // Chunked and never written: the file stays tiny whatever its declared size.
    H5Writer w(path);
    w.add("big_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {1u << 30, 64, 64, 3}, nullptr, {1, 64, 64, 3});
    w.add("wide_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {1, 1u << 20, 64, 3}, nullptr, {1, 64, 64, 3});
    w.add("bulk_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {1u << 20, 1024, 1024, 3}, nullptr,
          {1, 64, 64, 3});
    w.add("big_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {1u << 30}, nullptr, {1024});
  }
  auto msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"big_x", "big_y", ""}); });
  EXPECT_THAT(
      msg,
      HasSubstr(
          "huge.h5: big_x.shape: expected at most 4194304 images, got (1073741824, 64, 64, 3)"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"wide_x", "big_y", ""}); });
  EXPECT_THAT(
      msg, HasSubstr("huge.h5: wide_x.shape: expected sides in 1..16384, got (1, 1048576, 64, 3)"));
  msg = message_of<std::runtime_error>([&] { load_hdf5(path, {"bulk_x", "big_y", ""}); });
  EXPECT_THAT(msg, HasSubstr("huge.h5: bulk_x.shape: expected at most 8589934592 bytes, got"));
  LoadLimits tight;
  tight.max_images = 100;
  msg = message_of<std::runtime_error>([&] {
    test::write_signs_h5(file("small.h5"), 101, 2, 2, 2);
    load_hdf5(file("small.h5"), {}, 0, tight);
  });
  EXPECT_THAT(
      msg,
      HasSubstr("small.h5: train_set_x.shape: expected at most 100 images, got (101, 2, 2, 3)"));
}

TEST_F(Hdf5Test, TruncatedFile) {
  const auto full = file("full.h5");
  std::string source = test::data_dir() + "/test_signs.h5";
  if (!test::have_real_data()) {
    test::write_signs_h5(full, 50, 32, 32, 6);
    source = full;
  }
  const auto size = test::read_bytes(source).size();
  const auto cut = file("cut.h5");
  test::write_truncated_copy(source, cut, size / 2);
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(cut); });
  EXPECT_THAT(msg, HasSubstr("cut.h5: file: expected a readable HDF5 file, got"));
  EXPECT_THAT(msg, HasSubstr("truncated file"));
}

// Found by fuzz_hdf5 (tests/fuzz/README.md): HDF5 1.10.8 checks a file's length against the
// end-of-file address in its superblock plus the stored base address. A cut file whose base
// address is raised by the cut length passed, and H5Literate then crashed (SEGV) reading the
// root group's local heap past the end. signsnet now refuses a base address other than 0.
TEST_F(Hdf5Test, CutFileWithARaisedBaseAddress) {
  const auto path = file("based.h5");
  test::write_signs_h5(path, 3, 4, 4, 2);
  std::vector<std::uint8_t> bytes = test::read_bytes(path);
  ASSERT_EQ(bytes[8], 0);   // superblock version 0 ...
  ASSERT_EQ(bytes[13], 8);  // ... with 8-byte addresses: base address at 24
  const std::uint64_t kept = 1744, base = bytes.size() - kept;
  bytes.resize(kept);
  for (int i = 0; i < 8; ++i) bytes[24 + i] = static_cast<std::uint8_t>(base >> (8 * i));
  test::write_bytes(path, bytes);
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(path); }),
            path + ": superblock.base_address: expected 0, got " + std::to_string(base));
}

// fuzz_hdf5's crash input, minimized (1744 bytes, from the synthetic seed): the cut file above
// with damaged root-group addresses besides. Before the check, H5Literate crashed on it (SEGV).
TEST_F(Hdf5Test, FuzzRegressionH5LiterateSegv) {
  const std::string path = std::string(SIGNSNET_FUZZ_REGRESSIONS) + "/hdf5-h5literate-segv.h5";
  EXPECT_EQ(message_of<std::runtime_error>([&] { load_hdf5(path); }),
            path + ": superblock.base_address: expected 0, got 11504");
}

TEST_F(Hdf5Test, ADirectoryIsNotAFile) {
  const auto msg = message_of<std::runtime_error>([&] { load_hdf5(dir_); });
  EXPECT_THAT(msg, HasSubstr(": file: expected an HDF5 file, got a directory"));
}

}  // namespace
}  // namespace signsnet
