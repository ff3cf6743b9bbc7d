// Lossless PNG encoding of 8-bit pixels (libpng's write API, to memory) and base64, for images
// embedded in the HTML report as data: URIs. libpng stays behind this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet::cli {

/// Encodes row-major HWC pixels (`channels` 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA) as a PNG
/// file's bytes. Throws std::invalid_argument on a bad size, std::runtime_error on a libpng error.
std::vector<std::uint8_t> encode_png(const std::uint8_t* pixels, int width, int height,
                                     int channels);

/// Standard base64 (RFC 4648, with padding).
std::string base64(const std::vector<std::uint8_t>& bytes);

/// "data:image/png;base64,..." for the pixels.
std::string png_data_uri(const std::uint8_t* pixels, int width, int height, int channels);

}  // namespace signsnet::cli
