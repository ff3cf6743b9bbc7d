// Writes normalized (optionally augmented) images into a batch in the model's layout, in
// parallel inside a task_arena of LoaderConfig::threads.
#pragma once

#include <tbb/enumerable_thread_specific.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <vector>

#include "signsnet/data.hpp"

namespace signsnet::data_detail {

class BatchAssembler {
 public:
  BatchAssembler(const Dataset& data, const LoaderConfig& config);

  /// Fills `out` with the images order[first, first + count) of epoch `epoch`; the image at
  /// position p of the epoch is augmented with the key (seed, epoch, p).
  void fill(const std::vector<int>& order, int first, int count, int epoch, Batch& out);

 private:
  void write_plain(const std::uint8_t* src, float* dst) const;
  void write_augmented(const std::uint8_t* src, std::uint64_t key, float* dst);
  void store(const float* hwc, float* dst) const;

  const Dataset& data_;
  LoaderConfig config_;
  std::vector<float> lut_;             ///< channel * 256 + byte -> normalized value
  std::vector<float> scale_, offset_;  ///< per channel, for values already in [0, 1]
  tbb::task_arena arena_;
  struct Scratch {
    std::vector<float> photometric, augmented;
  };
  tbb::enumerable_thread_specific<Scratch> scratch_;
};

}  // namespace signsnet::data_detail
