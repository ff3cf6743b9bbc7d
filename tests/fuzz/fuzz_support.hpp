// Shared by the fuzz targets: the bytes libFuzzer hands over, written to a private temp file for
// the loaders that take a path (HDF5 files), and the limits the targets run under.
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "signsnet/config.hpp"
#include "signsnet/data.hpp"

namespace signsnet::fuzz {

/// A file holding one input, removed when it goes out of scope. One per process and target, so
/// parallel fuzzing jobs (-jobs=N) do not overwrite each other's input.
class TempInput {
 public:
  TempInput(const char* target, const std::uint8_t* data, std::size_t size) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/signsnet-fuzz-" + target + "-" +
            std::to_string(::getpid()) + ".h5";
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) std::abort();  // the harness itself is broken: stop loudly
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
  }
  ~TempInput() { std::remove(path_.c_str()); }
  TempInput(const TempInput&) = delete;
  TempInput& operator=(const TempInput&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Aborts (a crash libFuzzer reports) when an HDF5 file, dataset, group, type or attribute that
/// signsnet opened is still open after a loader returned or threw. LeakSanitizer cannot tell
/// such a handle leak from HDF5's own leaks on damaged files (see README.md), this can.
inline void require_no_open_hdf5_objects() {
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
    std::fprintf(stderr, "signsnet left %ld HDF5 objects open\n",
                 static_cast<long>(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL)));
    std::abort();
  }
}

/// Limits small enough that a valid but large declared image or data set is refused quickly
/// (the defaults allow 256 MiB per image, far more than libFuzzer's 2 GB RSS limit per run
/// wants when it meets many such inputs). The checks themselves are what the bomb tests cover.
inline LoadLimits fuzz_limits() {
  LoadLimits limits;
  limits.max_images = 4096;
  limits.max_image_side = 2048;
  limits.max_image_bytes = 16 << 20;
  limits.max_total_bytes = 64 << 20;
  return limits;
}

/// The checkpoint target's model and its seeds': ModelConfig::tiny with a quarter of its widths,
/// so that a checkpoint is about 40 KB (tiny's 640 KB of tensors would slow every execution).
inline ModelConfig fuzz_model_config() {
  ModelConfig c = ModelConfig::tiny(16, 3);
  c.stem_channels = 4;
  for (StageConfig& s : c.stages) {
    s.mid /= 4;
    s.out /= 4;
  }
  return c;
}

}  // namespace signsnet::fuzz
