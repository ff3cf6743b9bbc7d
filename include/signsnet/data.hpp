// Data sets and the parallel batch loader. No HDF5, TBB or image-library types here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "signsnet/config.hpp"

namespace signsnet {

/// Images held once, as uint8 NHWC (row-major, RGB), with integer labels.
struct Dataset {
  std::vector<std::uint8_t> pixels;  ///< count * height * width * channels
  std::vector<std::int32_t> labels;  ///< count, each in [0, classes)
  std::vector<std::string> class_names;
  std::vector<std::string> sources;  ///< per image: the file it came from (image folders) or empty
  int count = 0;
  int height = 0;
  int width = 0;
  int channels = 3;
  int classes = 0;
  std::string origin;  ///< the file or folder it was read from

  const std::uint8_t* image(int i) const {
    return pixels.data() + static_cast<std::size_t>(i) * height * width * channels;
  }
  std::size_t image_bytes() const { return static_cast<std::size_t>(height) * width * channels; }
};

/// Dataset names inside an HDF5 file; empty ones are found (e.g. train_set_x / test_set_x).
struct Hdf5Names {
  std::string images;
  std::string labels;
  std::string classes;
};

/// Limits on what an input file may declare, checked against its header (HDF5 dims, JPEG or PNG
/// size) before anything is allocated. A file over a limit fails with "<file>: <field>: ...".
struct LoadLimits {
  std::int64_t max_images = 1 << 22;       ///< rows of an HDF5 data set, files of a folder
  std::int64_t max_image_side = 1 << 14;   ///< width and height of one image, in pixels
  std::int64_t max_image_bytes = 1 << 28;  ///< one decoded image (HDF5: H*W*3; JPEG/PNG: W*H*4)
  std::int64_t max_total_bytes = std::int64_t{8} << 30;  ///< a whole data set's pixels
  std::int64_t max_classes = 1 << 20;                    ///< classes implied by the largest label
};

/// Reads an HDF5 file in the SIGNS layout: images (N,H,W,3) uint8; labels (N,), (1,N) or (N,1)
/// of any integer type; an optional class list of integers or strings. Chunked and compressed
/// datasets load too. The class count is `classes` if > 0, else the class list's length, else the
/// largest label + 1. Throws std::runtime_error "<file>: <field>: expected X, got Y".
Dataset load_hdf5(const std::string& path, const Hdf5Names& names = {}, int classes = 0,
                  const LoadLimits& limits = {});

/// Reads JPEG and PNG files, either named "{label}_*.ext" in one folder or in one sub-folder per
/// class (sub-folder names sorted are the classes). Each image is resized to height x width
/// (area averaging when shrinking) and made RGB. Files are taken sorted by name. Decoding runs in
/// parallel on `threads` TBB workers (0: all cores); the first bad file by name is reported.
Dataset load_image_folder(const std::string& path, int height, int width, int classes = 0,
                          const LoadLimits& limits = {}, int threads = 0);

/// Reads one JPEG or PNG file, resized to height x width and made RGB; label -1.
Dataset load_image_file(const std::string& path, int height, int width,
                        const LoadLimits& limits = {});

/// Loads `path`: an .h5/.hdf5 file, an image file or a folder of images. HDF5 images of another
/// size are resized to height x width.
Dataset load_any(const std::string& path, int height, int width, int classes = 0,
                 const LoadLimits& limits = {}, int threads = 0);

/// The images at `indices` (in that order), with their labels and sources; class list kept.
/// Throws std::invalid_argument for an index outside [0, count).
Dataset subset(const Dataset& data, const std::vector<int>& indices);

/// A stratified, seeded split: round(fraction * n) of each class's n images go to `validation`,
/// chosen by `seed`; both parts keep the original order.
struct Split {
  Dataset train;
  Dataset validation;
};
Split stratified_split(const Dataset& data, double fraction, std::uint64_t seed);

/// Random augmentation, off by default; each field enables one transform.
struct Augmentation {
  /// What the shift, rotation and zoom bring in from outside the image (Keras's fill_mode).
  enum class Fill {
    zero,     ///< black (Keras "constant" with cval 0)
    edge,     ///< the nearest border pixel (Keras "nearest")
    reflect,  ///< the image mirrored at its border, border pixel repeated (Keras "reflect")
  };
  int shift = 0;                 ///< random translation up to this many pixels
  bool horizontal_flip = false;  ///< flip with probability 1/2
  float rotation_degrees = 0;    ///< uniform in [-r, r]
  float brightness = 0;          ///< add uniform [-b, b] (in units of the [0,1] range)
  float contrast = 0;            ///< scale around the image mean by uniform [1-c, 1+c]
  float zoom = 0;                ///< magnify about the centre by uniform [1-z, 1+z]
  Fill fill = Fill::zero;        ///< outside the image, for the geometric transforms
  bool enabled() const {
    return shift > 0 || horizontal_flip || rotation_degrees > 0 || brightness > 0 || contrast > 0 ||
           zoom > 0;
  }
};

/// "zero", "edge" or "reflect".
const char* to_string(Augmentation::Fill fill);
/// The inverse of to_string; anything else throws std::invalid_argument naming the choices.
Augmentation::Fill parse_fill(const std::string& name);

/// How pixel values become floats: x / 255, then optionally (x - mean[c]) / std[c].
struct Normalization {
  bool per_channel = false;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
};

struct LoaderConfig {
  int batch_size = 32;
  bool shuffle = true;
  bool drop_last = false;
  std::uint64_t seed = 0;
  ImageLayout layout = ImageLayout::nhwc;
  Normalization normalization;
  Augmentation augmentation;
  int threads = 1;  ///< TBB workers that assemble batches (an arena of this size)
  /// Data-parallel training: every rank shuffles the same global order, and each batch of
  /// batch_size images (the global batch) is cut into `shards` contiguous parts, of which this
  /// loader delivers part `shard`. Augmentation depends on an image's place in the global order,
  /// so the ranks together see exactly the images one loader with shards = 1 would.
  int shard = 0;
  int shards = 1;
  bool prefetch = true;  ///< assemble the next batch on a background thread during training
};

/// The images [first, last) of a batch of `count` that shard `shard` of `shards` gets in
/// data-parallel training: contiguous, in shard order, sizes differing by at most one.
struct ShardRange {
  int first = 0, last = 0;
  int size() const { return last - first; }
};
ShardRange shard_range(int count, int shard, int shards);

/// One batch, written in the layout the model reads.
struct Batch {
  std::vector<float> images;  ///< count * channels * height * width, in LoaderConfig::layout
  std::vector<std::int32_t> labels;
  int count = 0;
  int epoch = 0;
  int index = 0;  ///< batch index within the epoch
};

/// Assembles shuffled, normalized, optionally augmented batches in parallel with oneTBB and
/// prepares the next batch while the caller trains on the current one. The same seed gives the
/// same batches whatever the number of threads.
class Loader {
 public:
  /// Keeps a reference to `data` (not a copy): it must outlive the loader. Throws
  /// std::invalid_argument for a bad config.
  Loader(const Dataset& data, const LoaderConfig& config);
  /// A temporary data set would dangle: keep it in a variable first.
  Loader(Dataset&& data, const LoaderConfig& config) = delete;
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int batches_per_epoch() const;
  /// Starts epoch `epoch` (its order depends on seed and epoch only).
  void start_epoch(int epoch);
  /// Fills `out` with the next batch of the epoch; false when the epoch is done. Before any
  /// start_epoch, epoch 0 is started. `out`'s buffers are swapped with the loader's spare ones,
  /// so passing the same Batch every time keeps two buffers in use and allocates nothing.
  bool next(Batch& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signsnet
