// Batch assembly: one image per parallel_for iteration, each written straight into its slice of
// Batch::images. Images are independent, so the result does not depend on the thread count.
#include "data/batch_assembler.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "data/augment.hpp"
#include "data/rng.hpp"

namespace signsnet::data_detail {

BatchAssembler::BatchAssembler(const Dataset& data, const LoaderConfig& config)
    : data_(data), config_(config), arena_(config.threads) {
  const int channels = data.channels;
  const Normalization& norm = config.normalization;
  lut_.resize(static_cast<std::size_t>(channels) * 256);
  for (int c = 0; c < channels; ++c) {
    const double mean = norm.per_channel ? norm.mean[c] : 0.0;
    const double std = norm.per_channel ? norm.std[c] : 1.0;
    for (int v = 0; v < 256; ++v) lut_[c * 256 + v] = static_cast<float>((v / 255.0 - mean) / std);
    scale_.push_back(static_cast<float>(1.0 / std));
    offset_.push_back(static_cast<float>(-mean / std));
  }
}

// NCHW: plane c holds channel c; NHWC: the source order.
void BatchAssembler::write_plain(const std::uint8_t* src, float* dst) const {
  const int channels = data_.channels;
  const std::size_t pixels = static_cast<std::size_t>(data_.height) * data_.width;
  if (config_.layout == ImageLayout::nhwc) {
    for (std::size_t p = 0; p < pixels; ++p) {
      for (int c = 0; c < channels; ++c)
        dst[p * channels + c] = lut_[c * 256 + src[p * channels + c]];
    }
    return;
  }
  for (int c = 0; c < channels; ++c) {
    const float* lut = &lut_[c * 256];
    float* plane = dst + c * pixels;
    for (std::size_t p = 0; p < pixels; ++p) plane[p] = lut[src[p * channels + c]];
  }
}

void BatchAssembler::store(const float* hwc, float* dst) const {
  const int channels = data_.channels;
  const std::size_t pixels = static_cast<std::size_t>(data_.height) * data_.width;
  for (int c = 0; c < channels; ++c) {
    const float scale = scale_[c], offset = offset_[c];
    if (config_.layout == ImageLayout::nhwc) {
      for (std::size_t p = 0; p < pixels; ++p) {
        dst[p * channels + c] = hwc[p * channels + c] * scale + offset;
      }
    } else {
      float* plane = dst + c * pixels;
      for (std::size_t p = 0; p < pixels; ++p) plane[p] = hwc[p * channels + c] * scale + offset;
    }
  }
}

void BatchAssembler::write_augmented(const std::uint8_t* src, std::uint64_t key, float* dst) {
  Scratch& s = scratch_.local();
  s.augmented.resize(data_.image_bytes());
  const AugmentDraw draw = draw_augmentation(config_.augmentation, key);
  augment_image(src, data_.height, data_.width, data_.channels, draw, s.augmented.data(),
                s.photometric);
  store(s.augmented.data(), dst);
}

void BatchAssembler::fill(const std::vector<int>& order, int first, int count, int epoch,
                          Batch& out) {
  const std::size_t floats = data_.image_bytes();
  out.images.resize(floats * count);
  out.labels.resize(count);
  out.count = count;
  out.epoch = epoch;
  const bool augment = config_.augmentation.enabled();
  // Odd stream ids: the epoch's shuffle uses the even ones (see loader.cpp).
  const std::uint64_t epoch_stream = (static_cast<std::uint64_t>(epoch) << 1) | 1;
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<int>(0, count), [&](const tbb::blocked_range<int>& r) {
      for (int i = r.begin(); i != r.end(); ++i) {
        const int index = order[first + i];
        out.labels[i] = data_.labels[index];
        float* dst = out.images.data() + floats * i;
        if (augment) {
          write_augmented(data_.image(index), stream_key(config_.seed, epoch_stream, first + i),
                          dst);
        } else {
          write_plain(data_.image(index), dst);
        }
      }
    });
  });
}

}  // namespace signsnet::data_detail
