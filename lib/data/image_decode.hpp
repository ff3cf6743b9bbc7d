// Decoding JPEG and PNG files into 8-bit pixels. libjpeg and libpng stay behind this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "signsnet/data.hpp"

namespace signsnet::data_detail {

/// Decoded pixels, row-major HWC, 8 bits per channel; channels is 1 (gray), 2 (gray+alpha),
/// 3 (RGB) or 4 (RGBA).
struct RawImage {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

/// Reads a whole file; throws "<path>: file: expected a readable file, got ...".
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

/// Decodes JPEG or PNG bytes, recognized by their signature, never by the name. `name` is used in
/// error messages. Declared sizes are checked against `limits` before pixels are allocated.
RawImage decode_image(const std::string& name, const std::vector<std::uint8_t>& bytes,
                      const LoadLimits& limits);

RawImage decode_jpeg(const std::string& name, const std::vector<std::uint8_t>& bytes,
                     const LoadLimits& limits);
RawImage decode_png(const std::string& name, const std::vector<std::uint8_t>& bytes,
                    const LoadLimits& limits);

/// Throws when a declared width x height x channels image breaks `limits`.
void check_image_limits(const std::string& name, std::int64_t width, std::int64_t height,
                        const LoadLimits& limits);

}  // namespace signsnet::data_detail
