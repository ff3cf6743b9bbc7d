// Attribute and dataset helpers: every HDF5 failure becomes a CheckpointError naming the field.
#include "io/h5.hpp"

#include "signsnet/checkpoint.hpp"

namespace signsnet::io_detail {
namespace {

H5Id make_scalar_space() {
  return H5Id(H5Screate(H5S_SCALAR), H5Sclose);
}

H5Id create_attr(const std::string& file, hid_t object, const std::string& name, hid_t type,
                 hid_t space) {
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  H5Id attr(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(file, name, "a writable attribute", "an HDF5 error");
  return attr;
}

void write_scalar(const std::string& file, hid_t object, const std::string& name, hid_t file_type,
                  hid_t mem_type, const void* value) {
  H5Id space = make_scalar_space();
  H5Id attr = create_attr(file, object, name, file_type, space.get());
  if (H5Awrite(attr.get(), mem_type, value) < 0)
    fail(file, name, "a writable attribute", "an HDF5 error");
}

H5Id open_attr(const std::string& file, hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) fail(file, name, "an attribute", "none");
  H5Id attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail(file, name, "a readable attribute", "an HDF5 error");
  return attr;
}

// Reads a scalar numeric attribute converted to `mem_type`.
void read_scalar(const std::string& file, hid_t object, const std::string& name, H5T_class_t want,
                 hid_t mem_type, void* out) {
  H5Id attr = open_attr(file, object, name);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  const bool numeric = cls == H5T_INTEGER || (want == H5T_FLOAT && cls == H5T_FLOAT);
  if (!numeric || H5Sget_simple_extent_npoints(space.get()) != 1)
    fail(file, name, want == H5T_FLOAT ? "a number" : "an integer", "another type");
  if (H5Aread(attr.get(), mem_type, out) < 0) fail(file, name, "a readable value", "an HDF5 error");
}

}  // namespace

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

void H5Id::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = -1;
}

QuietHdf5::QuietHdf5() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5::~QuietHdf5() {
  H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

namespace {

// The operating system's message ("No space left on device") that HDF5's file driver put on the
// error stack of the last failed call, or "".
std::string system_error_on_stack() {
  std::string found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        const std::string desc = e->desc ? e->desc : "";
        const std::string key = "error message = '";
        const std::size_t at = desc.find(key);
        if (at == std::string::npos) return 0;
        const std::size_t end = desc.find('\'', at + key.size());
        *static_cast<std::string*>(out) = desc.substr(at + key.size(), end - at - key.size());
        return 1;  // stop at the first one
      },
      &found);
  return found;
}

}  // namespace

void fail(const std::string& file, const std::string& field, const std::string& expected,
          const std::string& got) {
  std::string why = got;
  if (got.find("HDF5 error") != std::string::npos) {
    const std::string system = system_error_on_stack();
    if (!system.empty()) why = system;
  }
  throw CheckpointError(file + ": " + field + ": expected " + expected + ", got " + why);
}

void write_attr(const std::string& file, hid_t object, const std::string& name, std::int64_t v) {
  write_scalar(file, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

void write_attr(const std::string& file, hid_t object, const std::string& name, std::uint64_t v) {
  write_scalar(file, object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

void write_attr(const std::string& file, hid_t object, const std::string& name, double v) {
  write_scalar(file, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

void write_attr(const std::string& file, hid_t object, const std::string& name,
                const std::string& v) {
  // Variable-length UTF-8: h5py returns it as a Python str.
  H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char* text = v.c_str();
  write_scalar(file, object, name, type.get(), type.get(), &text);
}

void write_attr(const std::string& file, hid_t object, const std::string& name,
                const std::vector<std::int64_t>& v, hsize_t rows, hsize_t cols) {
  const hsize_t dims[2] = {rows, cols};
  H5Id space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  H5Id attr = create_attr(file, object, name, H5T_STD_I64LE, space.get());
  if (H5Awrite(attr.get(), H5T_NATIVE_INT64, v.data()) < 0)
    fail(file, name, "a writable attribute", "an HDF5 error");
}

std::int64_t read_int_attr(const std::string& file, hid_t object, const std::string& name) {
  std::int64_t v = 0;
  read_scalar(file, object, name, H5T_INTEGER, H5T_NATIVE_INT64, &v);
  return v;
}

std::uint64_t read_uint_attr(const std::string& file, hid_t object, const std::string& name) {
  std::uint64_t v = 0;
  read_scalar(file, object, name, H5T_INTEGER, H5T_NATIVE_UINT64, &v);
  return v;
}

double read_float_attr(const std::string& file, hid_t object, const std::string& name) {
  double v = 0;
  read_scalar(file, object, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, &v);
  return v;
}

std::string read_string_attr(const std::string& file, hid_t object, const std::string& name,
                             std::int64_t max_bytes) {
  H5Id attr = open_attr(file, object, name);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != H5T_STRING) fail(file, name, "a string", "another type");
  // A string array would make HDF5 write past the one string read below.
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    fail(file, name, "one string", std::to_string(H5Sget_simple_extent_npoints(space.get())));
  if (H5Tis_variable_str(type.get()) > 0) {
    char* text = nullptr;  // read with the file's own type: HDF5 does not convert charsets
    if (H5Aread(attr.get(), type.get(), &text) < 0 || !text)
      fail(file, name, "a readable string", "an HDF5 error");
    std::string out(text);
    H5free_memory(text);
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size > static_cast<std::size_t>(max_bytes))
    fail(file, name, "at most " + std::to_string(max_bytes) + " bytes", std::to_string(size));
  std::string out(size, '\0');
  if (H5Aread(attr.get(), type.get(), out.data()) < 0)
    fail(file, name, "a readable string", "an HDF5 error");
  return out.substr(0, out.find('\0'));
}

std::vector<std::int64_t> read_int_matrix_attr(const std::string& file, hid_t object,
                                               const std::string& name, hsize_t cols,
                                               std::int64_t max_rows) {
  H5Id attr = open_attr(file, object, name);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank == 2) H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  if (rank != 2 || dims[1] != cols || H5Tget_class(type.get()) != H5T_INTEGER) {
    fail(file, name, "an integer array (n, " + std::to_string(cols) + ")",
         "rank " + std::to_string(rank) + " with " + std::to_string(dims[1]) + " columns");
  }
  if (dims[0] > static_cast<hsize_t>(max_rows))
    fail(file, name, "at most " + std::to_string(max_rows) + " rows", std::to_string(dims[0]));
  std::vector<std::int64_t> v(dims[0] * dims[1]);
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, v.data()) < 0)
    fail(file, name, "a readable array", "an HDF5 error");
  return v;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace signsnet::io_detail
