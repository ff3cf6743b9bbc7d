#include "data/test_support.hpp"

#include <algorithm>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
// clang-format off
#include <jpeglib.h>
#include <png.h>
// clang-format on

namespace signsnet::test {

namespace fs = std::filesystem;

std::string data_dir() {
  return SIGNSNET_DATA_DIR;
}

bool have_real_data() {
  return fs::exists(data_dir() + "/train_signs.h5");
}

std::string scratch_dir(const std::string& name) {
  // One folder per test case: ctest -j runs test cases of one binary in parallel processes.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string owner =
      info ? std::string(info->test_suite_name()) + "." + info->name() : std::string("no_test");
  const fs::path dir = fs::path(SIGNSNET_TEST_TMP) / owner / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_truncated_copy(const std::string& from, const std::string& to, std::size_t size) {
  auto bytes = read_bytes(from);
  bytes.resize(std::min(size, bytes.size()));
  write_bytes(to, bytes);
}

std::vector<std::uint8_t> pattern(int height, int width, int channels, int seed) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(height) * width * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        px[(static_cast<std::size_t>(y) * width + x) * channels + c] =
            static_cast<std::uint8_t>((seed * 37 + y * 11 + x * 5 + c * 70) % 256);
      }
    }
  }
  return px;
}

void write_png(const std::string& path, int width, int height, int channels, int bit_depth,
               const std::vector<std::uint16_t>& samples) {
  static const int color_types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    throw std::runtime_error("libpng failed writing " + path);
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, bit_depth, color_types[channels], PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const int bytes = bit_depth / 8;
  std::vector<png_byte> row(static_cast<std::size_t>(width) * channels * bytes);
  for (int y = 0; y < height; ++y) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(width) * channels; ++i) {
      const std::uint16_t v = samples[static_cast<std::size_t>(y) * width * channels + i];
      if (bytes == 2) {
        row[2 * i] = static_cast<png_byte>(v >> 8);  // PNG stores 16-bit samples big-endian
        row[2 * i + 1] = static_cast<png_byte>(v & 0xFF);
      } else {
        row[i] = static_cast<png_byte>(v);
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

void write_png8(const std::string& path, int width, int height, int channels,
                const std::vector<std::uint8_t>& samples) {
  write_png(path, width, height, channels, 8, {samples.begin(), samples.end()});
}

void write_jpeg(const std::string& path, int width, int height, int channels,
                const std::vector<std::uint8_t>& samples, int quality) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPLE*>(
        samples.data() + static_cast<std::size_t>(cinfo.next_scanline) * width * channels);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

H5Writer::H5Writer(const std::string& path) {
  file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error("cannot create " + path);
}

H5Writer::~H5Writer() {
  H5Fclose(file_);
}

void H5Writer::add(const std::string& name, hid_t file_type, hid_t mem_type,
                   const std::vector<hsize_t>& dims, const void* data,
                   const std::vector<hsize_t>& chunk, int deflate) {
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunk.empty()) H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
  if (deflate > 0) H5Pset_deflate(plist, deflate);
  hid_t ds = H5Dcreate2(file_, name.c_str(), file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  if (ds < 0) throw std::runtime_error("cannot create dataset " + name);
  if (data) H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  H5Pclose(plist);
  H5Sclose(space);
}

void H5Writer::add_strings(const std::string& name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::vector<char> raw(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) values[i].copy(raw.data() + i * width, width);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, width);
  H5Tset_strpad(type, H5T_STR_NULLPAD);  // as h5py writes numpy byte strings
  add(name, type, type, {values.size()}, raw.data());
  H5Tclose(type);
}

void write_signs_h5(const std::string& path, int n, int height, int width, int classes,
                    const std::string& prefix) {
  std::vector<std::uint8_t> pixels;
  std::vector<std::int64_t> labels, list;
  for (int i = 0; i < n; ++i) {
    const auto img = pattern(height, width, 3, i);
    pixels.insert(pixels.end(), img.begin(), img.end());
    labels.push_back(i % classes);
  }
  for (int c = 0; c < classes; ++c) list.push_back(c);
  H5Writer w(path);
  const hsize_t un = n, uh = height, uw = width;
  w.add(prefix + "_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {un, uh, uw, 3}, pixels.data());
  w.add(prefix + "_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {un}, labels.data());
  w.add("list_classes", H5T_STD_I64LE, H5T_NATIVE_INT64, {hsize_t(classes)}, list.data());
}

}  // namespace signsnet::test
