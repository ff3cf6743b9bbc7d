// Small RAII and query helpers over the HDF5 C API, for hdf5_reader.cpp only.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "signsnet/data.hpp"

namespace signsnet::data_detail {

/// Owns an HDF5 identifier and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer close) : id_(id), close_(close) {}
  Hid(Hid&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Hid& operator=(Hid&& other) noexcept;
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

/// An open dataset with its declared shape and element type.
struct Hdf5Dataset {
  Hid id;
  std::string name;
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t type_size = 0;
  bool is_signed = false;
  std::string type_text;  ///< e.g. "uint8", "float32", "string"
};

/// What is wrong with an HDF5 file's superblock at offset 0: a base address other than 0. Empty
/// `field` when nothing is. Checked before H5Fopen: HDF5 1.10.8 crashes on a cut file whose base
/// address makes up the missing length.
struct SuperblockProblem {
  std::string field, expected, got;
};
SuperblockProblem hdf5_superblock_problem(const std::string& path);

/// The outermost and innermost descriptions on HDF5's error stack, for messages.
std::string hdf5_message();
/// "(1080, 64, 64, 3)".
std::string dims_text(const std::vector<hsize_t>& dims);
/// Opens `name`, reading only its metadata; `role` ("images", "labels") names it in errors.
Hdf5Dataset open_dataset(const std::string& path, hid_t file, const std::string& name,
                         const std::string& role);
/// Reads the whole dataset converted to `mem_type`.
void read_all(const std::string& path, const Hdf5Dataset& ds, hid_t mem_type, void* buffer);
/// Fills empty names: *_set_x or *_x, the matching *_y, and list_classes when present.
Hdf5Names resolve_names(const std::string& path, hid_t file, const Hdf5Names& given);
/// Reads a class list of integers or strings (fixed or variable length).
std::vector<std::string> read_class_names(const std::string& path, hid_t file,
                                          const std::string& name, const LoadLimits& limits);

}  // namespace signsnet::data_detail
