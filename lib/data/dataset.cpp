// subset, stratified_split and resizing of whole data sets.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/dataset_ops.hpp"
#include "data/error.hpp"
#include "data/resize.hpp"
#include "data/rng.hpp"

namespace signsnet {
namespace {

Dataset empty_like(const Dataset& data) {
  Dataset out;
  out.class_names = data.class_names;
  out.height = data.height;
  out.width = data.width;
  out.channels = data.channels;
  out.classes = data.classes;
  out.origin = data.origin;
  return out;
}

}  // namespace

Dataset subset(const Dataset& data, const std::vector<int>& indices) {
  Dataset out = empty_like(data);
  out.count = static_cast<int>(indices.size());
  out.pixels.resize(data.image_bytes() * indices.size());
  const bool has_sources = data.sources.size() == static_cast<std::size_t>(data.count);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const int i = indices[k];
    if (i < 0 || i >= data.count) {
      data_detail::fail_argument("subset", "indices[" + std::to_string(k) + "]",
                                 "an image in [0, " + std::to_string(data.count) + ")",
                                 std::to_string(i));
    }
    std::memcpy(out.pixels.data() + k * data.image_bytes(), data.image(i), data.image_bytes());
    out.labels.push_back(data.labels[i]);
    if (has_sources) out.sources.push_back(data.sources[i]);
  }
  return out;
}

Split stratified_split(const Dataset& data, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    data_detail::fail_argument("stratified_split", "fraction", "a value in [0, 1]",
                               std::to_string(fraction));
  }
  std::vector<std::vector<int>> by_class(std::max(data.classes, 0));
  for (int i = 0; i < data.count; ++i) {
    const int label = data.labels[i];
    if (label < 0 || label >= data.classes) {
      data_detail::fail(data.origin, "labels[" + std::to_string(i) + "]",
                        "a class in [0, " + std::to_string(data.classes) + ")",
                        std::to_string(label));
    }
    by_class[label].push_back(i);
  }
  std::vector<char> to_validation(data.count, 0);
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    auto& members = by_class[c];
    data_detail::shuffle_with(members, data_detail::stream_key(seed, 0x5EB117, c));
    const auto take = static_cast<std::size_t>(std::lround(fraction * members.size()));
    for (std::size_t k = 0; k < take; ++k) to_validation[members[k]] = 1;
  }
  std::vector<int> train, validation;
  for (int i = 0; i < data.count; ++i) (to_validation[i] ? validation : train).push_back(i);
  return {subset(data, train), subset(data, validation)};
}

namespace data_detail {

Dataset resized(const Dataset& data, int height, int width) {
  Dataset out = empty_like(data);
  out.count = data.count;
  out.labels = data.labels;
  out.sources = data.sources;
  out.height = height;
  out.width = width;
  out.pixels.resize(out.image_bytes() * data.count);
  for (int i = 0; i < data.count; ++i) {
    resize_image(data.image(i), data.height, data.width, out.pixels.data() + out.image_bytes() * i,
                 height, width, data.channels);
  }
  return out;
}

}  // namespace data_detail
}  // namespace signsnet
