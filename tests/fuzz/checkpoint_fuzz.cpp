// Fuzz target: bytes -> a temp file -> read_checkpoint_state, then load_checkpoint into a tiny
// model (fuzz_model_config) (built once: building is slow and loading must work into any model of
// that shape).
#include <cstdint>
#include <exception>
#include <memory>

#include "fuzz_support.hpp"
#include "signsnet/checkpoint.hpp"

namespace {

// The seed corpus's checkpoints are written by make_seeds from this same config.
signsnet::Model& tiny_model() {
  static auto model = std::make_unique<signsnet::Model>(signsnet::fuzz::fuzz_model_config(), 2);
  return *model;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  signsnet::Model::set_threads(1);
  tiny_model();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const signsnet::fuzz::TempInput input("checkpoint", data, size);
  try {
    signsnet::read_checkpoint_state(input.path());
  } catch (const std::exception&) {
  }
  try {
    signsnet::load_checkpoint(input.path(), tiny_model());
  } catch (const std::exception&) {
  }
  signsnet::fuzz::require_no_open_hdf5_objects();
  return 0;
}
