#include "flops.hpp"

#include <benchmark/benchmark.h>

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

double read_gbps() {
  if (const char* v = std::getenv("SIGNSNET_READ_GBPS")) return std::atof(v);
  using Vec = std::uint64_t __attribute__((vector_size(16)));  // one SSE2 register
  const std::size_t vectors = (std::size_t{256} << 20) / sizeof(Vec);
  std::vector<Vec> buffer(vectors);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < vectors; ++i) buffer[i] = Vec{i, ~i};  // touched by its reader
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel
    {
      // Four independent chains of 16-byte loads, so that memory, not a dependency, sets the pace.
      Vec a{}, b{}, c{}, d{};
#pragma omp for schedule(static)
      for (std::size_t i = 0; i < vectors; i += 4) {
        a |= buffer[i], b |= buffer[i + 1], c |= buffer[i + 2], d |= buffer[i + 3];
      }
      Vec all = (a | b) | (c | d);
      benchmark::DoNotOptimize(all);
    }
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start;
    if (rep > 0) best = std::min(best, t.count());  // the first pass warms the page tables
  }
  return static_cast<double>(vectors * sizeof(Vec)) / best * 1e-9;
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
