// A check of an HDF5 file's superblock before HDF5 opens it. HDF5 1.10.8 compares the file's
// size with the end-of-file address its superblock stores after adding the stored base address,
// so a cut file whose base address is raised by the missing length passes that check and then
// crashes H5Literate on a read past the end (tests/fuzz/README.md). A superblock at offset 0
// must have base address 0. Layouts: the HDF5 file format specification, versions 0 to 3.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <vector>

#include "data/hdf5_util.hpp"

namespace signsnet::data_detail {
namespace {

// Little-endian unsigned of `size` bytes (HDF5's "size of offsets": 2, 4 or 8).
std::uint64_t read_le(const std::vector<std::uint8_t>& b, std::size_t at, int size) {
  std::uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | b[at + i];
  return v;
}

}  // namespace

SuperblockProblem hdf5_superblock_problem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};                     // HDF5 reports an unreadable file itself
  std::vector<std::uint8_t> head(64, 0);  // a short file leaves zeros: read as base 0
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  // Only a superblock at offset 0 is checked; files with a user block are left to HDF5.
  static const std::uint8_t signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1A, '\n'};
  if (!std::equal(signature, signature + 8, head.begin())) return {};
  const int version = head[8];
  const int offsets = version <= 1 ? head[13] : head[9];
  if (version > 3 || (offsets != 2 && offsets != 4 && offsets != 8)) return {};
  // Versions 0 and 1: the base address is at 24 (28 with v1's indexed-storage K); versions 2
  // and 3: at 12. With base 0, HDF5's own end-of-file check catches a cut file.
  const std::size_t base_at = version == 0 ? 24 : version == 1 ? 28 : 12;
  const std::uint64_t base = read_le(head, base_at, offsets);
  if (base != 0) return {"superblock.base_address", "0", std::to_string(base)};
  return {};
}

}  // namespace signsnet::data_detail
