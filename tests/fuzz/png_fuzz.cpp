// Fuzz target: the PNG decode path (libpng behind decode_png), then the conversion to RGB and
// the resize every loaded image goes through.
#include <cstdint>
#include <exception>
#include <vector>

#include "data/image_decode.hpp"
#include "data/resize.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    const auto image =
        signsnet::data_detail::decode_png("input.png", bytes, signsnet::fuzz::fuzz_limits());
    std::vector<std::uint8_t> rgb(64 * 64 * 3);
    signsnet::data_detail::fit_rgb(image, 64, 64, rgb.data());
  } catch (const std::exception&) {
  }
  return 0;
}
