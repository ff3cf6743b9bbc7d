#include "flops.hpp"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>
#include <vector>

namespace signsnet::bench {
namespace {

bool starts_with(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

struct WeightedLayer {
  std::vector<std::int64_t> weight_shape;  // [O, I, KH, KW] or [O, I]
  std::vector<std::int64_t> output_shape;  // C, H, W (or classes)
};

std::map<std::string, WeightedLayer> weighted_layers(const Model& model) {
  std::map<std::string, std::vector<std::int64_t>> weight_shape;
  for (const TensorInfo& t : model.tensors())
    if (t.kind == TensorKind::weight) weight_shape[t.name.substr(0, t.name.rfind('.'))] = t.shape;
  std::map<std::string, WeightedLayer> layers;
  for (const LayerInfo& l : model.layers()) {
    auto it = weight_shape.find(l.name);
    if (it != weight_shape.end()) layers[l.name] = {it->second, l.output_shape};
  }
  return layers;
}

double product(const std::vector<std::int64_t>& dims, std::size_t from = 0) {
  double p = 1;
  for (std::size_t i = from; i < dims.size(); ++i) p *= static_cast<double>(dims[i]);
  return p;
}

// Mean over the outputs of a k-tap 'same' stride-1 axis of length n of the taps inside it.
double taps_inside(std::int64_t n, std::int64_t k) {
  const std::int64_t pad = (k - 1) / 2;
  std::int64_t inside = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t t = 0; t < k; ++t) inside += (i + t - pad >= 0 && i + t - pad < n);
  return static_cast<double>(inside) / static_cast<double>(n);
}

// Multiply-adds per image of every weighted layer: weights [O, I, KH, KW] (or [O, I]) applied at
// each output position.
std::map<std::string, double> macs_by_layer(const Model& model) {
  std::map<std::string, double> macs;
  for (const auto& [name, l] : weighted_layers(model))
    macs[name] = product(l.weight_shape) * product(l.output_shape, 1);
  return macs;
}

}  // namespace

double forward_flops(const Model& model, const std::string& prefix) {
  double total = 0;
  for (const auto& [name, macs] : macs_by_layer(model))
    if (starts_with(name, prefix)) total += 2 * macs;
  return total;
}

double backward_flops(const Model& model, const std::string& prefix) {
  double total = 0;
  for (const auto& [name, macs] : macs_by_layer(model))
    if (starts_with(name, prefix)) total += (name == "stem.conv" ? 2 : 4) * macs;
  return total;
}

double peak_gflops() {
  if (const char* v = std::getenv("SIGNSNET_PEAK_GFLOPS")) return std::atof(v);
  using namespace dnnl;
  const memory::dim n = 2048;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::desc md({n, n}, memory::data_type::f32, memory::format_tag::ab);
  matmul::primitive_desc pd(matmul::desc(md, md, md), eng);
  memory a(md, eng), b(md, eng), c(md, eng);
  float* pa = static_cast<float*>(a.get_data_handle());
  float* pb = static_cast<float*>(b.get_data_handle());
  for (memory::dim i = 0; i < n * n; ++i) pa[i] = pb[i] = 1.0f / static_cast<float>(1 + i % 7);
  matmul mm(pd);
  double best = 1e30;
  for (int rep = 0; rep < 4; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    mm.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    s.wait();
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
    if (rep > 0 && t.count() < best) best = t.count();  // the first run includes JIT
  }
  return 2.0 * n * n * n / best * 1e-9;
}

namespace {

// The widest loads the CPU has, chosen at load time (GCC; other compilers build the baseline).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SIGNSNET_BENCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIGNSNET_BENCH_CLONES
#endif

// ORs [begin, end) of `p` together in four independent chains, so that the loads, not a
// dependency, set the pace. `n` is a multiple of 64 floats.
SIGNSNET_BENCH_CLONES std::uint32_t or_all(const std::uint32_t* p, std::size_t n) {
  std::uint32_t a[16] = {}, b[16] = {}, c[16] = {}, d[16] = {};
  for (std::size_t i = 0; i < n; i += 64)
    for (int l = 0; l < 16; ++l) {
      a[l] |= p[i + l];
      b[l] |= p[i + 16 + l];
      c[l] |= p[i + 32 + l];
      d[l] |= p[i + 48 + l];
    }
  std::uint32_t r = 0;
  for (int l = 0; l < 16; ++l) r |= a[l] | b[l] | c[l] | d[l];
  return r;
}

}  // namespace

std::size_t weight_bytes(const Model& model) {
  std::size_t n = 0;
  for (const TensorInfo& t : model.tensors())
    if (t.kind == TensorKind::weight) n += static_cast<std::size_t>(product(t.shape));
  return n * sizeof(float);
}

double read_gbps(std::size_t bytes) {
  if (const char* v = std::getenv("SIGNSNET_READ_GBPS")) return std::atof(v);
  const int threads = omp_get_max_threads();
  const std::size_t chunk = (bytes / sizeof(std::uint32_t) / threads + 63) / 64 * 64;
  std::vector<std::uint32_t> buffer(chunk * threads);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<std::uint32_t>(i);
  double best = 1e30;
  for (int rep = 0; rep < 6; ++rep) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      // Each thread reads the part it wrote, as each inference pass re-reads the same weights.
      const std::uint32_t r = or_all(buffer.data() + chunk * omp_get_thread_num(), chunk);
      benchmark::DoNotOptimize(r);
    }
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
    if (rep > 0) best = std::min(best, t.count());  // the first pass warms the page tables
  }
  return static_cast<double>(buffer.size() * sizeof(std::uint32_t)) / best * 1e-9;
}

double layerwise_inference_floor_ms(const Model& model, int batch, double peak_gflops, double gbps,
                                    const std::string& prefix) {
  const double flop_s = peak_gflops * 1e9, byte_s = gbps * 1e9, images = batch;
  double seconds = 0;
  for (const auto& [name, l] : weighted_layers(model)) {
    if (!starts_with(name, prefix)) continue;
    const auto& w = l.weight_shape;
    const double weights = product(w), macs = weights * product(l.output_shape, 1) * images;
    double best = std::max(2 * macs / flop_s, 4 * weights / byte_s);
    if (w.size() == 4 && w[2] == 3 && w[3] == 3) {  // the blocks' 3x3 'same', stride 1
      const double h = l.output_shape[1], wd = l.output_shape[2], cio = w[0] * w[1];
      const double inside = taps_inside(l.output_shape[1], 3) * taps_inside(l.output_shape[2], 3);
      best = std::max(2 * cio * inside * h * wd * images / flop_s, 4 * weights / byte_s);
      for (const double m : {2.0, 4.0}) {
        const double tiles = std::ceil(h / m) * std::ceil(wd / m) * images, a = (m + 2) * (m + 2);
        best = std::min(best, std::max(2 * cio * a * tiles / flop_s, 4 * cio * a / byte_s));
      }
    }
    seconds += best;
  }
  return seconds * 1e3;
}

}  // namespace signsnet::bench
