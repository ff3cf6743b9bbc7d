// Loops built for AVX-512, AVX2 and the baseline, the widest copy the CPU runs chosen at load
// time: the library itself is compiled for the baseline (SSE2), so its own loops would otherwise
// run 4 floats at a time on every machine.
// GCC only: clang (the fuzz build) refuses to make a member function multiversioned after the
// class uses it, and builds the baseline loops.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SIGNSNET_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIGNSNET_VECTOR_CLONES
#endif
