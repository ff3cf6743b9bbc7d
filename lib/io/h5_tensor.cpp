// Float32 tensors as HDF5 datasets in plain (row-major) layout, readable by h5py as numpy arrays.
#include <numeric>

#include "io/h5.hpp"

namespace signsnet::io_detail {
namespace {

std::vector<hsize_t> to_dims(const std::vector<std::int64_t>& shape) {
  return std::vector<hsize_t>(shape.begin(), shape.end());
}

std::vector<std::int64_t> dataset_shape(hid_t dataset) {
  H5Id space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<std::int64_t>(dims.begin(), dims.end());
}

}  // namespace

void write_floats(const std::string& file, hid_t group, const std::string& name,
                  const std::vector<std::int64_t>& shape, const float* data) {
  const std::vector<hsize_t> dims = to_dims(shape);
  H5Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
             H5Sclose);
  H5Id ds(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                     H5P_DEFAULT),
          H5Dclose);
  if (!ds.valid()) fail(file, name, "a new dataset", "an HDF5 error");
  if (H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail(file, name, "a written dataset", "an HDF5 error (disk full?)");
}

void read_floats(const std::string& file, hid_t group, const std::string& name,
                 const std::string& field, const std::vector<std::int64_t>& shape, float* out) {
  if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0) fail(file, field, "a dataset", "none");
  H5Id ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail(file, field, "a dataset", "another kind of object");
  H5Id type(H5Dget_type(ds.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(file, field, "float values", "another type");
  const std::vector<std::int64_t> got = dataset_shape(ds.get());
  if (got != shape) fail(file, field, "shape " + shape_text(shape), shape_text(got));
  if (H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail(file, field, "readable data", "an HDF5 error");
}

}  // namespace signsnet::io_detail
