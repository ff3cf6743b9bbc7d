// Helpers for the data tests: scratch folders, writers for PNG, JPEG and HDF5 fixtures (made at
// run time, never committed), and exception-message capture.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet::test {

/// SIGNSNET_DATA_DIR, the real SIGNS data.
std::string data_dir();
bool have_real_data();

/// A fresh, empty folder SIGNSNET_TEST_TMP/<suite>.<test>/<name>, private to the running test.
std::string scratch_dir(const std::string& name);

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_bytes(const std::string& path);
/// Copies the first `size` bytes of `from` to `to`.
void write_truncated_copy(const std::string& from, const std::string& to, std::size_t size);

/// A deterministic test image: value = (seed * 37 + y * 11 + x * 5 + c * 70) % 256.
std::vector<std::uint8_t> pattern(int height, int width, int channels, int seed = 0);

/// `samples` holds height * width * channels values (8 or 16 bits each, as bit_depth says).
void write_png(const std::string& path, int width, int height, int channels, int bit_depth,
               const std::vector<std::uint16_t>& samples);
void write_png8(const std::string& path, int width, int height, int channels,
                const std::vector<std::uint8_t>& samples);
/// channels 1 or 3.
void write_jpeg(const std::string& path, int width, int height, int channels,
                const std::vector<std::uint8_t>& samples, int quality = 95);

/// Writes HDF5 datasets with the C API.
class H5Writer {
 public:
  explicit H5Writer(const std::string& path);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;
  /// Stores `data` (laid out as mem_type) as file_type; chunked and deflated when chunk is set.
  /// A null `data` declares the dataset without writing it (chunked datasets stay small).
  void add(const std::string& name, hid_t file_type, hid_t mem_type,
           const std::vector<hsize_t>& dims, const void* data,
           const std::vector<hsize_t>& chunk = {}, int deflate = 0);
  void add_strings(const std::string& name, const std::vector<std::string>& values);

 private:
  hid_t file_ = -1;
};

/// The SIGNS layout: <prefix>_x (n, h, w, 3) uint8 from pattern(), <prefix>_y int64 labels
/// i % classes, list_classes 0..classes-1.
void write_signs_h5(const std::string& path, int n, int height, int width, int classes,
                    const std::string& prefix = "train_set");

/// Runs `f`, which must throw E; returns what() (and records a failure if it did not throw).
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception type: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace signsnet::test

#define SIGNSNET_SKIP_WITHOUT_DATA()       \
  if (!::signsnet::test::have_real_data()) \
  GTEST_SKIP() << "no SIGNS data at " << ::signsnet::test::data_dir()
