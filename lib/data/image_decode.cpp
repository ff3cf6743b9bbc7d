// Reading image files and choosing the decoder by the file's signature.
#include "data/image_decode.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "data/error.hpp"

namespace signsnet::data_detail {

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "file", "a readable file", "cannot open it");
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path, "file", "a readable file", "no size");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    fail(path, "file", std::to_string(size) + " bytes", "a read error");
  }
  return bytes;
}

void check_image_limits(const std::string& name, std::int64_t width, std::int64_t height,
                        const LoadLimits& limits) {
  const auto side = std::to_string(limits.max_image_side);
  if (width < 1 || width > limits.max_image_side) {
    fail(name, "width", "1.." + side, std::to_string(width));
  }
  if (height < 1 || height > limits.max_image_side) {
    fail(name, "height", "1.." + side, std::to_string(height));
  }
  // Four channels is the most a decoder hands back; both sides are bounded, so no overflow.
  const std::int64_t bytes = width * height * 4;
  const std::int64_t most = std::min(limits.max_image_bytes, limits.max_total_bytes);
  if (bytes > most) {
    fail(name, "size", "at most " + std::to_string(most) + " bytes decoded",
         std::to_string(width) + "x" + std::to_string(height) + " (" + std::to_string(bytes) +
             " bytes)");
  }
}

RawImage decode_image(const std::string& name, const std::vector<std::uint8_t>& bytes,
                      const LoadLimits& limits) {
  static const std::uint8_t jpeg_magic[3] = {0xFF, 0xD8, 0xFF};
  static const std::uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (bytes.size() >= 3 && std::memcmp(bytes.data(), jpeg_magic, 3) == 0) {
    return decode_jpeg(name, bytes, limits);
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), png_magic, 8) == 0) {
    return decode_png(name, bytes, limits);
  }
  fail(name, "format", "a JPEG or PNG signature",
       bytes.empty() ? "an empty file" : "neither (not an image)");
}

}  // namespace signsnet::data_detail
