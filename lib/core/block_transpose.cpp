#include "core/block_transpose.hpp"

#include <omp.h>

#include <cstdint>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SIGNSNET_BLOCK_TRANSPOSE 1
#endif

namespace signsnet::core {
namespace {

// The geometry of one reorder: `groups` x `outer` x `inner` x `spatial` blocks of B x B floats.
// Source block (g, o, i, s) holds [i][o] (B input channels of B output channels each); the
// destination holds [o][i], at (g, i, o, s) where `swap` (AVX-512's blocking) else at (g, o, i, s).
struct Geometry {
  std::int64_t groups = 1, outer = 0, inner = 0, spatial = 0;
  bool swap = false;
};

#ifdef SIGNSNET_BLOCK_TRANSPOSE

// The source block of destination block t (the destination's blocks numbered in memory order),
// blocks of `floats` floats.
const float* source_block(const float* src, const Geometry& g, std::int64_t t, int floats) {
  const std::int64_t s = t % g.spatial;
  std::int64_t r = t / g.spatial;
  std::int64_t o, i;
  if (g.swap) {
    o = r % g.outer;
    r /= g.outer;
    i = r % g.inner;
    r /= g.inner;
  } else {
    i = r % g.inner;
    r /= g.inner;
    o = r % g.outer;
    r /= g.outer;
  }
  return src + (((r * g.outer + o) * g.inner + i) * g.spatial + s) * floats;
}

// GCC 12's AVX-512 intrinsics build their "undefined" operand by self-initialization, which
// -Wmaybe-uninitialized reports inside every unpack (a known false positive of the header).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void transpose_range16(const float* src, float* dst,
                                                          const Geometry& g, std::int64_t begin,
                                                          std::int64_t end) {
  for (std::int64_t t = begin; t < end; ++t) {
    const float* a = source_block(src, g, t, 256);
    float* d = dst + t * 256;
    __m512 x[16], y[16];
    for (int k = 0; k < 16; ++k) x[k] = _mm512_loadu_ps(a + 16 * k);
    // Rows of 16 floats: interleave pairs of rows by 1, 2, 4 and 8 elements.
    for (int k = 0; k < 16; k += 2) {
      y[k] = _mm512_unpacklo_ps(x[k], x[k + 1]);
      y[k + 1] = _mm512_unpackhi_ps(x[k], x[k + 1]);
    }
    for (int k = 0; k < 16; k += 4) {
      x[k] =
          _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(y[k]), _mm512_castps_pd(y[k + 2])));
      x[k + 1] =
          _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(y[k]), _mm512_castps_pd(y[k + 2])));
      x[k + 2] = _mm512_castpd_ps(
          _mm512_unpacklo_pd(_mm512_castps_pd(y[k + 1]), _mm512_castps_pd(y[k + 3])));
      x[k + 3] = _mm512_castpd_ps(
          _mm512_unpackhi_pd(_mm512_castps_pd(y[k + 1]), _mm512_castps_pd(y[k + 3])));
    }
    for (int k = 0; k < 16; k += 8)
      for (int j = 0; j < 4; ++j) {
        y[k + j] = _mm512_shuffle_f32x4(x[k + j], x[k + j + 4], 0x88);
        y[k + j + 4] = _mm512_shuffle_f32x4(x[k + j], x[k + j + 4], 0xdd);
      }
    for (int j = 0; j < 8; ++j) {
      x[j] = _mm512_shuffle_f32x4(y[j], y[j + 8], 0x88);
      x[j + 8] = _mm512_shuffle_f32x4(y[j], y[j + 8], 0xdd);
    }
    // Streaming stores: the destination is written whole, so reading its lines first (as
    // ordinary stores do) would only add traffic. `dst` is 64-byte aligned (checked).
    for (int k = 0; k < 16; ++k) _mm512_stream_ps(d + 16 * k, x[k]);
  }
}
#pragma GCC diagnostic pop

__attribute__((target("avx2"))) void transpose_range8(const float* src, float* dst,
                                                      const Geometry& g, std::int64_t begin,
                                                      std::int64_t end) {
  for (std::int64_t t = begin; t < end; ++t) {
    const float* a = source_block(src, g, t, 64);
    float* d = dst + t * 64;
    __m256 x[8], y[8];
    for (int k = 0; k < 8; ++k) x[k] = _mm256_loadu_ps(a + 8 * k);
    for (int k = 0; k < 8; k += 2) {
      y[k] = _mm256_unpacklo_ps(x[k], x[k + 1]);
      y[k + 1] = _mm256_unpackhi_ps(x[k], x[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
      x[k] = _mm256_shuffle_ps(y[k], y[k + 2], 0x44);
      x[k + 1] = _mm256_shuffle_ps(y[k], y[k + 2], 0xee);
      x[k + 2] = _mm256_shuffle_ps(y[k + 1], y[k + 3], 0x44);
      x[k + 3] = _mm256_shuffle_ps(y[k + 1], y[k + 3], 0xee);
    }
    for (int j = 0; j < 4; ++j) {
      y[j] = _mm256_permute2f128_ps(x[j], x[j + 4], 0x20);
      y[j + 4] = _mm256_permute2f128_ps(x[j], x[j + 4], 0x31);
    }
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(d + 8 * k, y[k]);
  }
}

#endif

}  // namespace

std::function<void()> block_transpose(const dnnl::memory& from, const dnnl::memory& to) {
#ifdef SIGNSNET_BLOCK_TRANSPOSE
  const dnnl::memory::desc fm = from.get_desc(), tm = to.get_desc();
  const dnnl::memory::dims d = fm.dims();
  if (d.size() != 4 && d.size() != 5) return {};
  if (fm.data_type() != dt::f32 || tm.data_type() != dt::f32) return {};
  const bool grouped = d.size() == 5;
  int block = 0;
  bool swap = false;
  if (fm == dnnl::memory::desc(d, dt::f32, grouped ? tag::gOIhw16i16o : tag::OIhw16i16o) &&
      tm == dnnl::memory::desc(d, dt::f32, grouped ? tag::gIOhw16o16i : tag::IOhw16o16i)) {
    if (!__builtin_cpu_supports("avx512f")) return {};
    block = 16;
    swap = true;
  } else if (fm == dnnl::memory::desc(d, dt::f32, grouped ? tag::gOIhw8i8o : tag::OIhw8i8o) &&
             tm == dnnl::memory::desc(d, dt::f32, grouped ? tag::gOIhw8o8i : tag::OIhw8o8i)) {
    if (!__builtin_cpu_supports("avx2")) return {};
    block = 8;
  } else {
    return {};
  }
  // The AVX-512 kernel streams whole 64-byte lines into the destination (oneDNN allocates at 64
  // bytes).
  const bool stream = block == 16;
  if (stream && reinterpret_cast<std::uintptr_t>(to.get_data_handle()) % 64 != 0) return {};
  const auto& padded = fm.data.padded_dims;
  const int o_dim = grouped ? 1 : 0;
  Geometry g;
  g.groups = grouped ? d[0] : 1;
  g.outer = padded[o_dim] / block;
  g.inner = padded[o_dim + 1] / block;
  g.spatial = d[o_dim + 2] * d[o_dim + 3];
  g.swap = swap;
  return [from, to, g, stream] {
    const auto* src = static_cast<const float*>(from.get_data_handle());
    auto* dst = static_cast<float*>(to.get_data_handle());
    SIGNSNET_CHECK(!stream || reinterpret_cast<std::uintptr_t>(dst) % 64 == 0,
                   "block_transpose: destination not 64-byte aligned");
    const std::int64_t blocks = g.groups * g.outer * g.inner * g.spatial;
#pragma omp parallel
    {
      const std::int64_t n = omp_get_num_threads(), k = omp_get_thread_num();
      const std::int64_t begin = blocks * k / n, end = blocks * (k + 1) / n;
      if (stream) {
        transpose_range16(src, dst, g, begin, end);
        _mm_sfence();  // the streamed stores reach memory before the primitives that read them
      } else {
        transpose_range8(src, dst, g, begin, end);
      }
    }
  };
#else
  (void)from;
  (void)to;
  return {};
#endif
}

}  // namespace signsnet::core
