// HDF5 helpers: handles, error text, dataset lookup and the class list.
#include "data/hdf5_util.hpp"

#include <algorithm>

#include "data/error.hpp"

namespace signsnet::data_detail {
namespace {

herr_t collect_error(unsigned, const H5E_error2_t* error, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(error->desc ? error->desc : "");
  return 0;
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

bool is_dataset(hid_t file, const std::string& name) {
  Hid object(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
  return object.valid() && H5Iget_type(object.get()) == H5I_DATASET;
}

// Root-level datasets, sorted by name (HDF5's name index).
std::vector<std::string> root_datasets(hid_t file) {
  std::vector<std::string> links;
  H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &links);
  std::vector<std::string> datasets;
  for (const auto& name : links) {
    if (is_dataset(file, name)) datasets.push_back(name);
  }
  return datasets;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string first_ending(const std::vector<std::string>& names, const char* preferred,
                         const char* fallback) {
  for (const char* suffix : {preferred, fallback}) {
    for (const auto& n : names) {
      if (ends_with(n, suffix)) return n;
    }
  }
  return {};
}

std::string listing(const std::vector<std::string>& names) {
  std::string out = "none (datasets:";
  for (const auto& n : names) out += " " + n;
  return out + (names.empty() ? " none)" : ")");
}

std::string type_text(hid_t type) {
  const std::size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "HDF5 type class " + std::to_string(H5Tget_class(type));
  }
}

std::vector<std::string> read_strings(const std::string& path, const Hdf5Dataset& ds,
                                      std::size_t count);

}  // namespace

Hid& Hid::operator=(Hid&& other) noexcept {
  if (this != &other) {
    if (valid() && close_) close_(id_);
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

Hid::~Hid() {
  if (valid() && close_) close_(id_);
}

std::string hdf5_message() {
  std::vector<std::string> parts;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &parts);
  if (parts.empty()) return "an HDF5 error";
  if (parts.size() == 1) return parts.front();
  return parts.front() + " (" + parts.back() + ")";
}

std::string dims_text(const std::vector<hsize_t>& dims) {
  std::string out = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(dims[i]);
  }
  return out + (dims.size() == 1 ? ",)" : ")");
}

Hdf5Dataset open_dataset(const std::string& path, hid_t file, const std::string& name,
                         const std::string& role) {
  Hdf5Dataset ds;
  ds.name = name;
  ds.id = Hid(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.id.valid()) fail(path, role, "a dataset named " + quoted(name), hdf5_message());
  Hid space(H5Dget_space(ds.id.get()), H5Sclose);
  Hid type(H5Dget_type(ds.id.get()), H5Tclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0 || !type.valid()) fail(path, name, "a readable dataset", hdf5_message());
  ds.dims.resize(rank);
  H5Sget_simple_extent_dims(space.get(), ds.dims.data(), nullptr);
  ds.type_class = H5Tget_class(type.get());
  ds.type_size = H5Tget_size(type.get());
  ds.is_signed = ds.type_class == H5T_INTEGER && H5Tget_sign(type.get()) != H5T_SGN_NONE;
  ds.type_text = type_text(type.get());
  return ds;
}

void read_all(const std::string& path, const Hdf5Dataset& ds, hid_t mem_type, void* buffer) {
  if (H5Dread(ds.id.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) < 0) {
    fail(path, ds.name, "readable data", hdf5_message());
  }
}

Hdf5Names resolve_names(const std::string& path, hid_t file, const Hdf5Names& given) {
  const std::vector<std::string> all = root_datasets(file);
  Hdf5Names out = given;
  if (out.images.empty()) out.images = first_ending(all, "_set_x", "_x");
  if (out.images.empty()) fail(path, "images", "a dataset named *_x", listing(all));
  if (!is_dataset(file, out.images)) {
    fail(path, "images", "a dataset named " + quoted(out.images), listing(all));
  }
  if (out.labels.empty() && ends_with(out.images, "_x")) {
    // train_set_x pairs with train_set_y when both exist.
    const std::string twin = out.images.substr(0, out.images.size() - 1) + "y";
    if (std::find(all.begin(), all.end(), twin) != all.end()) out.labels = twin;
  }
  if (out.labels.empty()) out.labels = first_ending(all, "_set_y", "_y");
  if (out.labels.empty()) fail(path, "labels", "a dataset named *_y", listing(all));
  if (!is_dataset(file, out.labels)) {
    fail(path, "labels", "a dataset named " + quoted(out.labels), listing(all));
  }
  if (out.classes.empty()) {
    if (std::find(all.begin(), all.end(), "list_classes") != all.end())
      out.classes = "list_classes";
  } else if (!is_dataset(file, out.classes)) {
    fail(path, "classes", "a dataset named " + quoted(out.classes), listing(all));
  }
  return out;
}

std::vector<std::string> read_class_names(const std::string& path, hid_t file,
                                          const std::string& name, const LoadLimits& limits) {
  Hdf5Dataset ds = open_dataset(path, file, name, "classes");
  hsize_t count = 1;
  for (hsize_t d : ds.dims) count *= d;
  if (ds.dims.size() > 2 || count > static_cast<hsize_t>(limits.max_images)) {
    fail(path, name + ".shape", "a list of at most " + std::to_string(limits.max_images),
         dims_text(ds.dims));
  }
  if (ds.type_class == H5T_STRING) return read_strings(path, ds, count);
  if (ds.type_class != H5T_INTEGER) fail(path, name + ".type", "integers or strings", ds.type_text);
  std::vector<std::int64_t> values(count);
  read_all(path, ds, H5T_NATIVE_INT64, values.data());
  std::vector<std::string> names;
  for (std::int64_t v : values) names.push_back(std::to_string(v));
  return names;
}

namespace {

std::vector<std::string> read_strings(const std::string& path, const Hdf5Dataset& ds,
                                      std::size_t count) {
  Hid file_type(H5Dget_type(ds.id.get()), H5Tclose);
  Hid mem_type(H5Tcopy(H5T_C_S1), H5Tclose);
  std::vector<std::string> names;
  if (H5Tis_variable_str(file_type.get()) > 0) {
    H5Tset_size(mem_type.get(), H5T_VARIABLE);
    std::vector<char*> raw(count, nullptr);
    read_all(path, ds, mem_type.get(), raw.data());
    for (char* s : raw) names.emplace_back(s ? s : "");
    Hid space(H5Dget_space(ds.id.get()), H5Sclose);
    H5Dvlen_reclaim(mem_type.get(), space.get(), H5P_DEFAULT, raw.data());
    return names;
  }
  // One byte more than stored, so a null-padded string that fills its slot keeps its last byte.
  const std::size_t width = ds.type_size + 1;
  H5Tset_size(mem_type.get(), width);
  std::vector<char> raw(count * width, '\0');
  read_all(path, ds, mem_type.get(), raw.data());
  for (std::size_t i = 0; i < count; ++i) names.emplace_back(raw.data() + i * width);
  return names;
}

}  // namespace
}  // namespace signsnet::data_detail
