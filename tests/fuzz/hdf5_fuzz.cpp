// Fuzz target: bytes -> a temp file -> load_hdf5, the loader of train_signs.h5-style files, with
// dataset names found as for the SIGNS files. Any std::exception is a clean rejection; a crash,
// a sanitizer report or a leak is a bug.
#include <cstdint>
#include <exception>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const signsnet::fuzz::TempInput input("hdf5", data, size);
  try {
    const signsnet::Dataset d =
        signsnet::load_hdf5(input.path(), {}, 0, signsnet::fuzz::fuzz_limits());
    // Touch what was loaded, so a size that disagrees with the buffer shows up under ASan.
    volatile std::uint8_t sink = 0;
    for (int i = 0; i < d.count; ++i) sink ^= d.image(i)[d.image_bytes() - 1];
  } catch (const std::exception&) {
  }
  signsnet::fuzz::require_no_open_hdf5_objects();
  return 0;
}
