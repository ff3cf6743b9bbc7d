// signsnet-fuzz-seeds DATA_DIR OUT_DIR: writes the fuzzers' seed corpus at run time (it is never
// committed): a few SIGNS JPEGs and PNGs, small HDF5 files from the real data and synthetic ones,
// tiny checkpoints written by the library, and for each a truncated and a bit-flipped copy.
#include <hdf5.h>

#include <algorithm>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>
// clang-format off
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include "data/image_decode.hpp"
#include "fuzz_support.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/data.hpp"

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

void save(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

// Half of the file, and the file with 16 random bits flipped (seeded: the same corpus each run).
void save_broken_copies(const fs::path& path) {
  const Bytes bytes = signsnet::data_detail::read_file_bytes(path.string());
  const std::string stem = path.stem().string(), ext = path.extension().string();
  save(path.parent_path() / (stem + "-truncated" + ext),
       Bytes(bytes.begin(), bytes.begin() + bytes.size() / 2));
  Bytes flipped = bytes;
  std::mt19937_64 rng(bytes.size());
  for (int i = 0; i < 16 && !flipped.empty(); ++i)
    flipped[rng() % flipped.size()] ^= 1u << (rng() % 8);
  save(path.parent_path() / (stem + "-flipped" + ext), flipped);
}

// RGB or gray pixels as a baseline or progressive JPEG.
void write_jpeg(const fs::path& path, const Bytes& pixels, int width, int height, int channels,
                bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 80, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row =
        const_cast<std::uint8_t*>(pixels.data()) + cinfo.next_scanline * width * channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  save(path, Bytes(out, out + size));
  std::free(out);
}

void write_png(const fs::path& path, const Bytes& pixels, int width, int height,
               png_uint_32 format) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr))
    throw std::runtime_error(path.string() + ": " + image.message);
}

std::vector<fs::path> signs_jpegs(const fs::path& data, std::size_t count) {
  std::vector<fs::path> files;
  const fs::path dir = data / "images" / "train_signs";
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  files.resize(std::min(files.size(), count));
  return files;
}

Bytes gradient(int width, int height, int channels) {
  Bytes px(static_cast<std::size_t>(width) * height * channels);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7 + i / 13);
  return px;
}

void image_seeds(const fs::path& data, const fs::path& out) {
  fs::create_directories(out / "jpeg");
  fs::create_directories(out / "png");
  int n = 0;
  for (const fs::path& file : signs_jpegs(data, 3)) {
    const std::string name = "signs" + std::to_string(n++);
    fs::copy_file(file, out / "jpeg" / (name + ".jpg"), fs::copy_options::overwrite_existing);
    fs::permissions(out / "jpeg" / (name + ".jpg"), fs::perms::owner_write, fs::perm_options::add);
    const auto raw = signsnet::data_detail::decode_image(
        file.string(), signsnet::data_detail::read_file_bytes(file.string()), {});
    write_png(out / "png" / (name + ".png"), raw.pixels, raw.width, raw.height, PNG_FORMAT_RGB);
    if (n == 1)
      write_jpeg(out / "jpeg" / "signs-progressive.jpg", raw.pixels, raw.width, raw.height, 3,
                 true);
  }
  write_jpeg(out / "jpeg" / "gray.jpg", gradient(9, 7, 1), 9, 7, 1, false);
  write_png(out / "png" / "gray-alpha.png", gradient(5, 3, 2), 5, 3, PNG_FORMAT_GA);
  write_png(out / "png" / "rgba16.png", gradient(4 * 2, 4, 4), 4, 4, PNG_FORMAT_LINEAR_RGB_ALPHA);
}

class H5File {
 public:
  explicit H5File(const fs::path& path)
      : id_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    if (id_ < 0) throw std::runtime_error(path.string() + ": cannot create");
  }
  ~H5File() { H5Fclose(id_); }
  // A contiguous dataset, or chunked (whole dataset, one chunk) and deflated.
  void add(const char* name, hid_t file_type, hid_t mem_type, std::vector<hsize_t> dims,
           const void* values, bool deflate = false) {
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (deflate) {
      H5Pset_chunk(dcpl, static_cast<int>(dims.size()), dims.data());
      H5Pset_deflate(dcpl, 6);
    }
    const hid_t ds = H5Dcreate2(id_, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  hid_t id() const { return id_; }

 private:
  hid_t id_;
};

void hdf5_seeds(const fs::path& data, const fs::path& out) {
  fs::create_directories(out / "hdf5");
  if (fs::exists(data / "test_signs.h5")) {
    // The first 2 photos of the real test set, in its own layout.
    const signsnet::Dataset test = signsnet::load_hdf5((data / "test_signs.h5").string());
    const signsnet::Dataset two = signsnet::subset(test, {0, 1});
    std::vector<std::int64_t> labels(two.labels.begin(), two.labels.end()), classes;
    for (int c = 0; c < test.classes; ++c) classes.push_back(c);
    H5File f(out / "hdf5" / "signs-2.h5");
    f.add("test_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 64, 64, 3}, two.pixels.data());
    f.add("test_set_y", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, labels.data());
    f.add("list_classes", H5T_STD_I64LE, H5T_NATIVE_INT64, {classes.size()}, classes.data());
  }
  // Synthetic: chunked and deflated images, (1, N) uint8 labels, variable-length string classes.
  const Bytes px = gradient(4, 3 * 4, 3);
  const std::uint8_t labels[3] = {0, 1, 1};
  const char* names[2] = {"fist", "one"};
  H5File f(out / "hdf5" / "synthetic.h5");
  f.add("train_set_x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {3, 4, 4, 3}, px.data(), true);
  f.add("train_set_y", H5T_STD_U8LE, H5T_NATIVE_UINT8, {1, 3}, labels);
  const hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, H5T_VARIABLE);
  f.add("list_classes", str, str, {2}, names);
  H5Tclose(str);
}

void checkpoint_seeds(const fs::path& out) {
  fs::create_directories(out / "checkpoint");
  signsnet::Model::set_threads(1);
  // The model the checkpoint fuzz target loads into.
  const signsnet::Model model(signsnet::fuzz::fuzz_model_config(), 2);
  signsnet::CheckpointState state;
  state.train_config_json = R"({"epochs":1})";
  signsnet::save_checkpoint((out / "checkpoint" / "tiny.h5").string(), model, state, true);
  signsnet::save_checkpoint((out / "checkpoint" / "tiny-weights.h5").string(), model, state, false);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: signsnet-fuzz-seeds DATA_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path data = argv[1], out = argv[2];
  try {
    image_seeds(data, out);
    hdf5_seeds(data, out);
    checkpoint_seeds(out);
    for (const char* target : {"jpeg", "png", "hdf5", "checkpoint"}) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(out / target)) files.push_back(e.path());
      for (const auto& file : files) save_broken_copies(file);  // listed first: originals only
      std::cout << target << ": " << files.size() << " files, " << files.size() * 3
                << " seeds with their truncated and bit-flipped copies\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "signsnet-fuzz-seeds: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
