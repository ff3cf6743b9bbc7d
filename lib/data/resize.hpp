// Channel conversion and resizing of 8-bit HWC images.
#pragma once

#include <cstdint>
#include <vector>

#include "data/image_decode.hpp"

namespace signsnet::data_detail {

/// 1 (gray), 2 (gray+alpha), 3 or 4 (RGBA) channels -> RGB: gray is repeated, alpha dropped.
void to_rgb(const RawImage& in, std::vector<std::uint8_t>& rgb);

/// Resizes HWC uint8 pixels. Per axis: area averaging when it shrinks, bilinear (half-pixel
/// centres, edge clamped) when it grows, a plain copy when it keeps its size.
void resize_image(const std::uint8_t* src, int src_height, int src_width, std::uint8_t* dst,
                  int dst_height, int dst_width, int channels);

/// to_rgb then resize_image into `dst` (height * width * 3 bytes).
void fit_rgb(const RawImage& in, int height, int width, std::uint8_t* dst);

}  // namespace signsnet::data_detail
