// Whole-data-set operations shared by the readers.
#pragma once

#include "signsnet/data.hpp"

namespace signsnet::data_detail {

/// A copy of `data` with every image resized to height x width (see resize_image).
Dataset resized(const Dataset& data, int height, int width);

}  // namespace signsnet::data_detail
