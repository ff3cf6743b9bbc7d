#include "flops.hpp"

#include <chrono>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>

namespace signsnet::bench {
namespace {

bool starts_with(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

// Multiply-adds per image of every weighted layer: weights [O, I, KH, KW] (or [O, I]) applied at
// each output position.
std::map<std::string, double> macs_by_layer(const Model& model) {
  std::map<std::string, std::vector<std::int64_t>> weight_shape;
  for (const TensorInfo& t : model.tensors())
    if (t.kind == TensorKind::weight) weight_shape[t.name.substr(0, t.name.rfind('.'))] = t.shape;
  std::map<std::string, double> macs;
  for (const LayerInfo& l : model.layers()) {
    auto it = weight_shape.find(l.name);
    if (it == weight_shape.end()) continue;
    double per_position = 1;
    for (std::int64_t d : it->second) per_position *= static_cast<double>(d);
    double positions = 1;
    for (std::size_t i = 1; i < l.output_shape.size(); ++i) positions *= l.output_shape[i];
    macs[l.name] = per_position * positions;
  }
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

}  // namespace signsnet::bench
