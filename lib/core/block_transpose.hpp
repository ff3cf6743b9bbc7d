// The weights reorder backward-data plans once per training step for every convolution: from the
// forward blocking (OIhw16i16o on AVX-512, OIhw8i8o on AVX2, and their grouped forms) into the
// blocking oneDNN's backward-data kernels read (IOhw16o16i, OIhw8o8i): each BxB block of
// weights transposed, and on AVX-512 the two channel-block dimensions swapped. oneDNN's jit
// reorder and this kernel both run at copy speed on a warm buffer (512x512x3x3: 0.35 and 0.33
// ms); inside a training step the weights come from memory, and this kernel's streaming stores
// skip reading the destination's lines first: the step ran 1.009 and 1.043 times as fast as with
// oneDNN's reorder (AVX-512 machine, two models stepping in turn, 31 pairs each order).
#pragma once

#include <functional>

#include "core/runtime.hpp"

namespace signsnet::core {

/// A function doing the reorder `from` -> `to` where the pair of layouts is one of the above,
/// the CPU has the vector width the block needs (AVX-512 for 16, AVX2 for 8) and, for the
/// AVX-512 kernel's streaming stores, `to` is 64-byte aligned; else empty, and the caller keeps
/// oneDNN's reorder. The function reads the memories' handles when it runs.
std::function<void()> block_transpose(const dnnl::memory& from, const dnnl::memory& to);

}  // namespace signsnet::core
