// Image folders and single image files; load_any picks the reader for a path.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/dataset_ops.hpp"
#include "data/error.hpp"
#include "data/image_decode.hpp"
#include "data/resize.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

namespace fs = std::filesystem;
using data_detail::fail;

struct ImageEntry {
  std::string path;
  int label = 0;
};

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_image_file(const fs::directory_entry& e) {
  const std::string ext = lower_extension(e.path());
  const bool hidden = e.path().filename().string().front() == '.';
  return !hidden && e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png");
}

// "{label}_anything.jpg": the decimal digits before the first underscore.
int label_from_name(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::size_t underscore = name.find('_');
  const bool digits = underscore > 0 && underscore != std::string::npos && underscore <= 9 &&
                      std::all_of(name.begin(), name.begin() + underscore,
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) fail(file.string(), "label", "a name like {label}_*.jpg", data_detail::quoted(name));
  return std::stoi(name.substr(0, underscore));
}

// Image files of `folder`, sorted by name; their labels stay 0.
std::vector<fs::path> image_files(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (is_image_file(e)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> sorted_subfolders(const fs::path& folder) {
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_directory() && e.path().filename().string().front() != '.')
      folders.push_back(e.path());
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

// Either "{label}_*.jpg" files in `folder`, or one sub-folder per class (then names the classes).
std::vector<ImageEntry> list_images(const fs::path& folder, std::vector<std::string>& classes) {
  std::vector<ImageEntry> entries;
  for (const auto& file : image_files(folder))
    entries.push_back({file.string(), label_from_name(file)});
  if (!entries.empty()) return entries;
  for (const auto& sub : sorted_subfolders(folder)) {
    const int label = static_cast<int>(classes.size());
    classes.push_back(sub.filename().string());
    for (const auto& file : image_files(sub)) entries.push_back({file.string(), label});
  }
  return entries;
}

int folder_classes(const std::string& path, const std::vector<ImageEntry>& entries,
                   const std::vector<std::string>& folder_names, int requested,
                   const LoadLimits& limits) {
  int found = static_cast<int>(folder_names.size());
  for (const auto& e : entries) {
    // Each class gets a name string: "999999999_a.jpg" must not make a billion.
    if (e.label >= limits.max_classes) {
      fail(e.path, "label", "a class in [0, " + std::to_string(limits.max_classes) + ")",
           std::to_string(e.label));
    }
    found = std::max(found, e.label + 1);
  }
  if (requested <= 0) return found;
  for (const auto& e : entries) {
    if (e.label >= requested) {
      fail(e.path, "label", "a class in [0, " + std::to_string(requested) + ")",
           std::to_string(e.label));
    }
  }
  if (found > requested) {
    fail(path, "classes", "at most " + std::to_string(requested) + " class folders",
         std::to_string(found));
  }
  return requested;
}

// Folder names first; classes without a folder are named by their index.
std::vector<std::string> class_names(const std::vector<std::string>& folders, int classes) {
  std::vector<std::string> names = folders;
  for (int c = static_cast<int>(folders.size()); c < classes; ++c)
    names.push_back(std::to_string(c));
  return names;
}

void check_target_size(const char* where, int height, int width, const LoadLimits& limits) {
  const std::string range = "1.." + std::to_string(limits.max_image_side);
  if (height < 1 || height > limits.max_image_side) {
    data_detail::fail_argument(where, "height", range, std::to_string(height));
  }
  if (width < 1 || width > limits.max_image_side) {
    data_detail::fail_argument(where, "width", range, std::to_string(width));
  }
}

void check_folder_limits(const std::string& path, std::int64_t count, const Dataset& shape,
                         const LoadLimits& limits) {
  if (count == 0) fail(path, "images", "at least one .jpg, .jpeg or .png file", "none");
  if (count > limits.max_images) {
    fail(path, "images", "at most " + std::to_string(limits.max_images), std::to_string(count));
  }
  const std::int64_t bytes = count * static_cast<std::int64_t>(shape.image_bytes());
  if (bytes > limits.max_total_bytes) {
    fail(path, "size", "at most " + std::to_string(limits.max_total_bytes) + " bytes",
         std::to_string(bytes) + " bytes");
  }
}

void decode_into(const std::string& file, const LoadLimits& limits, Dataset& data, int index) {
  const auto bytes = data_detail::read_file_bytes(file);
  const auto raw = data_detail::decode_image(file, bytes, limits);
  std::uint8_t* dst = data.pixels.data() + data.image_bytes() * index;
  data_detail::fit_rgb(raw, data.height, data.width, dst);
}

// Decodes in parallel; errors are kept per file so the one reported is always the first by
// name, whatever the scheduling.
void decode_all(const std::vector<ImageEntry>& entries, const LoadLimits& limits, int threads,
                Dataset& data) {
  std::vector<std::string> errors(entries.size());
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, entries.size()), [&](const auto& r) {
      for (std::size_t i = r.begin(); i != r.end(); ++i) {
        try {
          decode_into(entries[i].path, limits, data, static_cast<int>(i));
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }
    });
  });
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
}

void check_exists(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "path", std::string("an existing ") + what, "no such path");
}

}  // namespace

Dataset load_image_folder(const std::string& path, int height, int width, int classes,
                          const LoadLimits& limits, int threads) {
  check_target_size("load_image_folder", height, width, limits);
  check_exists(path, "folder");
  if (!fs::is_directory(path)) fail(path, "path", "a folder", "a file");
  Dataset data;
  data.origin = path;
  data.height = height;
  data.width = width;
  std::vector<std::string> folder_names;
  const std::vector<ImageEntry> entries = list_images(path, folder_names);
  check_folder_limits(path, static_cast<std::int64_t>(entries.size()), data, limits);
  data.classes = folder_classes(path, entries, folder_names, classes, limits);
  data.class_names = class_names(folder_names, data.classes);
  data.count = static_cast<int>(entries.size());
  data.pixels.resize(data.image_bytes() * data.count);
  for (const auto& e : entries) {
    data.labels.push_back(e.label);
    data.sources.push_back(e.path);
  }
  decode_all(entries, limits, threads, data);
  return data;
}

Dataset load_image_file(const std::string& path, int height, int width, const LoadLimits& limits) {
  check_target_size("load_image_file", height, width, limits);
  check_exists(path, "image file");
  if (fs::is_directory(path)) fail(path, "path", "an image file", "a folder");
  Dataset data;
  data.origin = path;
  data.height = height;
  data.width = width;
  data.count = 1;
  data.pixels.resize(data.image_bytes());
  data.labels = {-1};
  data.sources = {path};
  decode_into(path, limits, data, 0);
  return data;
}

Dataset load_any(const std::string& path, int height, int width, int classes,
                 const LoadLimits& limits, int threads) {
  check_exists(path, "file or folder");
  if (fs::is_directory(path))
    return load_image_folder(path, height, width, classes, limits, threads);
  const std::string ext = lower_extension(path);
  if (ext == ".h5" || ext == ".hdf5") {
    check_target_size("load_any", height, width, limits);
    Dataset data = load_hdf5(path, {}, classes, limits);
    if (data.height == height && data.width == width) return data;
    return data_detail::resized(data, height, width);
  }
  return load_image_file(path, height, width, limits);
}

}  // namespace signsnet
