// Helpers for the core layer tests: a runtime with its parameter store, plain <-> blocked copies
// through oneDNN reorders, seeded random data and element-wise comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/layer.hpp"
#include "core/params.hpp"
#include "core/runtime.hpp"
#include "naive.hpp"
#include "signsnet/model.hpp"

namespace signsnet::test {

using core::dt;
using core::tag;
using naive::Vec;

/// One runtime and parameter store per test: a layer is built in build(), then finalize().
struct LayerEnv {
  core::Runtime rt;
  core::ParamStore params{rt};

  core::Build build(bool training, int batch) { return core::Build{rt, params, training, batch}; }
  void finalize(std::uint64_t seed = 7) {
    params.finalize(seed);
    rt.bind_scratchpad();
  }
  void wait() { rt.stream().wait(); }
};

/// Limits oneDNN to AVX2 for the rest of this process (ctest runs each test in its own), so
/// that paths built for AVX2's 8-channel blocks are tested on AVX-512 machines too. False where
/// oneDNN already ran above AVX2 in this process.
inline bool at_most_avx2() {
  // The setting can be refused (an error) or, once oneDNN has read it, accepted and ignored:
  // what counts is the ISA oneDNN reports afterwards.
  try {
    dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx2);
  } catch (const dnnl::error&) {
  }
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx2 || isa == dnnl::cpu_isa::avx || isa == dnnl::cpu_isa::sse41;
}

/// True where oneDNN runs (at least) AVX-512 in this process: its effective ISA, a mask of
/// features, contains avx512_core's.
inline bool onednn_avx512() {
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (static_cast<unsigned>(dnnl::get_effective_cpu_isa()) & avx512) == avx512;
}

/// The channel-blocked layout this machine's convolutions pick (nChw16c with AVX-512, nChw8c
/// with AVX2).
inline tag native_blocked_tag() {
  static const tag t = [] {
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    const dnnl::memory::dims d = {8, 64, 4, 4};
    dnnl::convolution_forward::desc cd(dnnl::prop_kind::forward_training,
                                       dnnl::algorithm::convolution_direct, {d, dt::f32, tag::any},
                                       {{64, 64, 1, 1}, dt::f32, tag::any}, {d, dt::f32, tag::any},
                                       {1, 1}, {0, 0}, {0, 0});
    const dnnl::memory::desc src = dnnl::convolution_forward::primitive_desc(cd, eng).src_desc();
    return src == dnnl::memory::desc(d, dt::f32, tag::nChw16c) ? tag::nChw16c : tag::nChw8c;
  }();
  return t;
}

inline dnnl::memory::desc desc4(const naive::Shape& s, tag t) {
  return {{s.n, s.c, s.h, s.w}, dt::f32, t};
}

/// An activation of shape `s` in layout `t`, with a gradient buffer when `with_grad`.
inline core::Act make_act(core::Runtime& rt, const naive::Shape& s, tag t, bool with_grad = true) {
  const auto md = desc4(s, t);
  return core::Act{rt.memory(md), with_grad ? rt.memory(md) : dnnl::memory()};
}

/// The plain layout (x, nc or nchw) with the dims of `md`.
inline dnnl::memory::desc plain_desc(const dnnl::memory::desc& md) {
  const auto d = md.dims();
  const tag t = d.size() == 1 ? tag::x : d.size() == 2 ? tag::nc : tag::nchw;
  return {d, dt::f32, t};
}

inline std::size_t elements(const dnnl::memory::desc& md) {
  std::size_t n = 1;
  for (auto d : md.dims()) n *= static_cast<std::size_t>(d);
  return n;
}

/// Copies plain data into `m` (any layout) with a reorder; padding is written as zeros.
inline void write_plain(core::Runtime& rt, dnnl::memory m, const Vec& v) {
  const auto pmd = plain_desc(m.get_desc());
  ASSERT_EQ(v.size(), elements(pmd));
  dnnl::memory src(pmd, rt.engine(), const_cast<float*>(v.data()));
  dnnl::reorder(src, m).execute(rt.stream(), src, m);
  rt.stream().wait();
}

/// Reads `m` (any layout) back as plain data.
inline Vec read_plain(core::Runtime& rt, dnnl::memory m) {
  const auto pmd = plain_desc(m.get_desc());
  Vec v(elements(pmd));
  dnnl::memory dst(pmd, rt.engine(), v.data());
  dnnl::reorder(m, dst).execute(rt.stream(), m, dst);
  rt.stream().wait();
  return v;
}

inline Vec read_param(const core::ParamStore& p, const std::string& name,
                      TensorRole role = TensorRole::value) {
  const core::Slot& s = p.at(name);
  Vec v(static_cast<std::size_t>(s.info.size()));
  p.read(s, role, v.data());
  return v;
}

inline void write_param(core::ParamStore& p, const std::string& name, const Vec& v,
                        TensorRole role = TensorRole::value) {
  core::Slot* s = p.find(name);
  ASSERT_NE(s, nullptr) << name;
  ASSERT_EQ(v.size(), static_cast<std::size_t>(s->info.size())) << name;
  p.write(*s, role, v.data());
}

inline Vec uniform(std::mt19937& g, std::size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (float& x : v) x = d(g);
  return v;
}

/// Every element within rel * |want| + abs of `want`; lists the first few that are not.
inline ::testing::AssertionResult AllNear(const Vec& got, const Vec& want, double rel = 1e-4,
                                          double abs = 1e-5) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  std::ostringstream msg;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tol = rel * std::fabs(want[i]) + abs;
    if (std::fabs(static_cast<double>(got[i]) - want[i]) <= tol) continue;  // NaN fails here
    if (++bad <= 8) msg << "\n  [" << i << "] got " << got[i] << ", want " << want[i];
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << got.size() << " elements differ:" << msg.str();
}

inline Vec relu_mask_times(const Vec& y, const Vec& dy) {
  Vec r(dy.size());
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = y[i] > 0 ? dy[i] : 0.0f;
  return r;
}

}  // namespace signsnet::test
