// load_hdf5: the SIGNS layout through the HDF5 C API. Every HDF5 failure becomes an exception
// naming the file and the dataset; HDF5's own printing of its error stack is switched off.
#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "data/error.hpp"
#include "data/hdf5_util.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using data_detail::fail;
using data_detail::Hdf5Dataset;
using data_detail::Hid;

// Checks the image shape against `limits` from the declared dims, before any allocation.
void check_image_dims(const std::string& path, const Hdf5Dataset& ds, const LoadLimits& limits) {
  const std::string field = ds.name + ".shape";
  const std::string got = data_detail::dims_text(ds.dims);
  if (ds.dims.size() != 4 || ds.dims[3] != 3) fail(path, field, "(N, H, W, 3)", got);
  if (ds.dims[0] == 0) fail(path, field, "at least 1 row", got);
  const auto n = static_cast<std::int64_t>(std::min<hsize_t>(ds.dims[0], INT64_MAX));
  if (n > limits.max_images) {
    fail(path, field, "at most " + std::to_string(limits.max_images) + " images", got);
  }
  for (int axis : {1, 2}) {
    if (ds.dims[axis] < 1 || ds.dims[axis] > static_cast<hsize_t>(limits.max_image_side)) {
      fail(path, field, "sides in 1.." + std::to_string(limits.max_image_side), got);
    }
  }
  // Each factor is bounded above, so the products fit in 64 bits.
  const auto image_bytes = static_cast<std::int64_t>(ds.dims[1] * ds.dims[2] * 3);
  if (image_bytes > limits.max_image_bytes) {
    fail(path, field, "at most " + std::to_string(limits.max_image_bytes) + " bytes per image",
         std::to_string(image_bytes) + " bytes " + got);
  }
  const std::int64_t bytes = n * image_bytes;
  if (bytes > limits.max_total_bytes) {
    fail(path, field, "at most " + std::to_string(limits.max_total_bytes) + " bytes",
         std::to_string(bytes) + " bytes " + got);
  }
}

void read_images(const std::string& path, hid_t file, const std::string& name,
                 const LoadLimits& limits, Dataset& data) {
  Hdf5Dataset ds = data_detail::open_dataset(path, file, name, "images");
  if (ds.type_class != H5T_INTEGER || ds.type_size != 1 || ds.is_signed) {
    fail(path, name + ".type", "uint8", ds.type_text);
  }
  check_image_dims(path, ds, limits);
  data.count = static_cast<int>(ds.dims[0]);
  data.height = static_cast<int>(ds.dims[1]);
  data.width = static_cast<int>(ds.dims[2]);
  data.channels = 3;
  data.pixels.resize(data.image_bytes() * data.count);
  data_detail::read_all(path, ds, H5T_NATIVE_UINT8, data.pixels.data());
}

// Labels may be stored (N,), (1, N) or (N, 1), as any integer type; HDF5 converts to int64.
void read_labels(const std::string& path, hid_t file, const std::string& name,
                 const std::string& images_name, std::vector<std::int64_t>& labels, int count) {
  Hdf5Dataset ds = data_detail::open_dataset(path, file, name, "labels");
  if (ds.type_class != H5T_INTEGER) fail(path, name + ".type", "an integer type", ds.type_text);
  const auto& d = ds.dims;
  const bool column = d.size() == 1 || (d.size() == 2 && (d[0] == 1 || d[1] == 1));
  const std::string got = data_detail::dims_text(d);
  if (!column) fail(path, name + ".shape", "(N,), (1, N) or (N, 1)", got);
  const hsize_t n = d.size() == 1 ? d[0] : d[0] * d[1];
  if (n != static_cast<hsize_t>(count)) {
    fail(path, name + ".shape", std::to_string(count) + " labels (the rows of " + images_name + ")",
         got);
  }
  labels.resize(n);
  data_detail::read_all(path, ds, H5T_NATIVE_INT64, labels.data());
}

// The class count: the caller's, else the class list's length, else the largest label + 1 (at
// most limits.max_classes: each class gets a name string, so a label of 2^31 must not make 2^31).
int class_count(const std::string& path, const Hdf5Names& names, std::size_t list_size,
                const std::vector<std::int64_t>& labels, int requested, const LoadLimits& limits) {
  const std::string& list_name = names.classes;
  if (requested > 0) {
    if (list_size > 0 && list_size != static_cast<std::size_t>(requested)) {
      fail(path, list_name, std::to_string(requested) + " classes (as requested)",
           std::to_string(list_size));
    }
    return requested;
  }
  if (list_size > 0) return static_cast<int>(list_size);
  const auto top = std::max_element(labels.begin(), labels.end());
  const std::int64_t most = std::min<std::int64_t>(limits.max_classes, INT32_MAX);
  if (*top >= most) {
    fail(path, names.labels + "[" + std::to_string(top - labels.begin()) + "]",
         "a class in [0, " + std::to_string(most) + ")", std::to_string(*top));
  }
  return static_cast<int>(std::max<std::int64_t>(*top + 1, 1));
}

void set_labels(const std::string& path, const std::string& name,
                const std::vector<std::int64_t>& raw, Dataset& data) {
  data.labels.resize(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] < 0 || raw[i] >= data.classes) {
      fail(path, name + "[" + std::to_string(i) + "]",
           "a class in [0, " + std::to_string(data.classes) + ")", std::to_string(raw[i]));
    }
    data.labels[i] = static_cast<std::int32_t>(raw[i]);
  }
}

void check_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "file", "an existing file", "no such file");
  if (std::filesystem::is_directory(path, ec)) fail(path, "file", "an HDF5 file", "a directory");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) fail(path, "file", "a readable HDF5 file", data_detail::hdf5_message());
  if (is_hdf5 == 0) fail(path, "format", "an HDF5 file", "no HDF5 signature");
  const data_detail::SuperblockProblem p = data_detail::hdf5_superblock_problem(path);
  if (!p.field.empty()) fail(path, p.field, p.expected, p.got);
}

}  // namespace

Dataset load_hdf5(const std::string& path, const Hdf5Names& names, int classes,
                  const LoadLimits& limits) {
  // HDF5 builds without thread safety must not be entered twice at once.
  static std::mutex hdf5_mutex;
  std::lock_guard<std::mutex> lock(hdf5_mutex);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  check_file(path);
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail(path, "file", "a readable HDF5 file", data_detail::hdf5_message());
  const Hdf5Names found = data_detail::resolve_names(path, file.get(), names);
  Dataset data;
  data.origin = path;
  read_images(path, file.get(), found.images, limits, data);
  std::vector<std::int64_t> raw_labels;
  read_labels(path, file.get(), found.labels, found.images, raw_labels, data.count);
  if (!found.classes.empty()) {
    data.class_names = data_detail::read_class_names(path, file.get(), found.classes, limits);
  }
  data.classes = class_count(path, found, data.class_names.size(), raw_labels, classes, limits);
  if (data.class_names.empty()) {
    for (int c = 0; c < data.classes; ++c) data.class_names.push_back(std::to_string(c));
  }
  set_labels(path, found.labels, raw_labels, data);
  data.sources.assign(data.count, std::string());
  return data;
}

}  // namespace signsnet
