// The weights reorder backward-data plans once per training step for every convolution: from the
// forward blocking (OIhw16i16o on AVX-512, OIhw8i8o on AVX2, and their grouped forms) into the
// blocking oneDNN's backward-data kernels read (IOhw16o16i, OIhw8o8i): each BxB block of
// weights transposed, and on AVX-512 the two channel-block dimensions swapped. oneDNN's jit
// reorder ran these at about a quarter of the memory bandwidth; this one moves whole blocks
// through vector registers.
#pragma once

#include <functional>

#include "core/runtime.hpp"

namespace signsnet::core {

/// A function doing the reorder `from` -> `to` where the pair of layouts is one of the above and
/// the CPU has the vector width the block needs (AVX-512 for 16, AVX2 for 8); else empty, and
/// the caller keeps oneDNN's reorder. The function reads the memories' handles when it runs.
std::function<void()> block_transpose(const dnnl::memory& from, const dnnl::memory& to);

}  // namespace signsnet::core
