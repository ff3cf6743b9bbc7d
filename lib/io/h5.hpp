// Small RAII and attribute helpers over the HDF5 C API, for the checkpoint code only.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet::io_detail {

/// Owns an HDF5 identifier and closes it with the matching H5?close.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer close) : id_(id), close_(close) {}
  H5Id(H5Id&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  H5Id& operator=(H5Id&& other) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() { reset(); }
  void reset();
  /// Gives up ownership without closing.
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

/// Silences HDF5's automatic error printing for its lifetime (errors become exceptions here).
class QuietHdf5 {
 public:
  QuietHdf5();
  ~QuietHdf5();
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// Throws CheckpointError "<file>: <field>: expected X, got Y".
[[noreturn]] void fail(const std::string& file, const std::string& field,
                       const std::string& expected, const std::string& got);

/// Writes attributes on `object` (a file or group); throw CheckpointError on failure.
void write_attr(const std::string& file, hid_t object, const std::string& name, std::int64_t v);
void write_attr(const std::string& file, hid_t object, const std::string& name, std::uint64_t v);
void write_attr(const std::string& file, hid_t object, const std::string& name, double v);
void write_attr(const std::string& file, hid_t object, const std::string& name,
                const std::string& v);
/// A 2-D int64 attribute of rows x cols.
void write_attr(const std::string& file, hid_t object, const std::string& name,
                const std::vector<std::int64_t>& v, hsize_t rows, hsize_t cols);

/// Reads attributes; a missing or mistyped one throws CheckpointError naming it.
std::int64_t read_int_attr(const std::string& file, hid_t object, const std::string& name);
std::uint64_t read_uint_attr(const std::string& file, hid_t object, const std::string& name);
double read_float_attr(const std::string& file, hid_t object, const std::string& name);
/// A string of at most `max_bytes` (checked on a fixed-length type before reading).
std::string read_string_attr(const std::string& file, hid_t object, const std::string& name,
                             std::int64_t max_bytes);
/// A 2-D int64 attribute; `cols` is the expected row length, `max_rows` checked before reading.
std::vector<std::int64_t> read_int_matrix_attr(const std::string& file, hid_t object,
                                               const std::string& name, hsize_t cols,
                                               std::int64_t max_rows);

/// Writes a float32 dataset of `shape` (a scalar vector of length 1 for shape {}).
void write_floats(const std::string& file, hid_t group, const std::string& name,
                  const std::vector<std::int64_t>& shape, const float* data);
/// Reads a float dataset of exactly `shape` into `out`; errors name `field` (e.g.
/// "/weights/stem.conv.weight").
void read_floats(const std::string& file, hid_t group, const std::string& name,
                 const std::string& field, const std::vector<std::int64_t>& shape, float* out);

/// "(64, 3, 7, 7)".
std::string shape_text(const std::vector<std::int64_t>& shape);

}  // namespace signsnet::io_detail
