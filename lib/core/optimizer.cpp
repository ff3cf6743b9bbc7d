#include "core/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/vector_clones.hpp"

namespace signsnet::core {

namespace {

// The loops, in vector clones (vector_clones.hpp). optimizer.cpp is compiled with
// -ffp-contract=off, so the AVX2 and AVX-512 copies round every element exactly as the baseline
// does (no fused multiply-adds): the update does not depend on the machine's vector width.
SIGNSNET_VECTOR_CLONES void adam_loop(float* w, const float* g, float* m, float* v,
                                      std::ptrdiff_t n, float lr_t, float b1, float b2, float eps,
                                      float l2, float shrink, float gs) {
#pragma omp parallel for simd schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float gi = gs * g[i] + l2 * w[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = shrink * w[i] - lr_t * mi / (std::sqrt(vi) + eps);
  }
}

SIGNSNET_VECTOR_CLONES void sgd_loop(float* w, const float* g, float* buf, std::ptrdiff_t n,
                                     float lr, float mom, float wd, bool nesterov, float gs) {
#pragma omp parallel for simd schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float gi = gs * g[i] + wd * w[i];
    const float bi = mom * buf[i] + gi;
    buf[i] = bi;
    w[i] -= lr * (nesterov ? gi + mom * bi : bi);
  }
}

// The arena in chunks of kChunk floats, each chunk one thread's. The norm sums each chunk's
// squares in double and adds the chunks' sums in order afterwards: the result does not depend on
// the thread count.
constexpr std::ptrdiff_t kChunk = std::ptrdiff_t{1} << 16;

double squared_norm(const float* g, std::ptrdiff_t n) {
  const std::ptrdiff_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<std::size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    const std::ptrdiff_t end = std::min(n, (c + 1) * kChunk);
    double s = 0.0;
    for (std::ptrdiff_t i = c * kChunk; i < end; ++i) s += static_cast<double>(g[i]) * g[i];
    partial[static_cast<std::size_t>(c)] = s;
  }
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace

void Optimizer::update(const ArenaView& a) {
  ++step_;
  float grad_scale = 1.0f;
  if (c_.clip_norm > 0.0f) {
    const double norm = std::sqrt(squared_norm(a.grads, static_cast<std::ptrdiff_t>(a.size)));
    if (norm > c_.clip_norm) grad_scale = static_cast<float>(c_.clip_norm / norm);
  }
  if (c_.kind == OptimizerConfig::Kind::sgd)
    sgd(a, grad_scale);
  else
    adam(a, grad_scale);
}

void Optimizer::ascend(const ArenaView& a, float rho, std::vector<float>& saved) {
  const auto n = static_cast<std::ptrdiff_t>(a.size);
  saved.resize(a.size);
  const double norm = std::sqrt(squared_norm(a.grads, n));
  const float scale = norm > 0.0 ? static_cast<float>(rho / norm) : 0.0f;
  float* w = a.weights;
  float* keep = saved.data();
  const float* g = a.grads;
#pragma omp parallel for simd schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    keep[i] = w[i];
    w[i] += scale * g[i];
  }
}

void Optimizer::restore(const ArenaView& a, const std::vector<float>& saved) {
  const auto n = static_cast<std::ptrdiff_t>(a.size);
  const std::ptrdiff_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    const std::ptrdiff_t begin = c * kChunk;
    const std::ptrdiff_t count = std::min(n - begin, kChunk);
    std::memcpy(a.weights + begin, saved.data() + begin,
                static_cast<std::size_t>(count) * sizeof(float));
  }
}

// Keras' Adam: the bias corrections fold into the step size, and epsilon is added to sqrt(v)
// ("epsilon hat" in the paper), so results match Keras, not PyTorch, for the same epsilon.
void Optimizer::adam(const ArenaView& a, float grad_scale) const {
  const double t = static_cast<double>(step_);
  const float lr_t = static_cast<float>(c_.learning_rate * std::sqrt(1.0 - std::pow(c_.beta2, t)) /
                                        (1.0 - std::pow(c_.beta1, t)));
  const bool decoupled = c_.kind == OptimizerConfig::Kind::adamw;
  const float l2 = decoupled ? 0.0f : c_.weight_decay;
  const float shrink = decoupled ? 1.0f - c_.learning_rate * c_.weight_decay : 1.0f;
  adam_loop(a.weights, a.grads, a.first, a.second, static_cast<std::ptrdiff_t>(a.size), lr_t,
            c_.beta1, c_.beta2, c_.epsilon, l2, shrink, grad_scale);
}

void Optimizer::sgd(const ArenaView& a, float grad_scale) const {
  sgd_loop(a.weights, a.grads, a.first, static_cast<std::ptrdiff_t>(a.size), c_.learning_rate,
           c_.momentum, c_.weight_decay, c_.nesterov, grad_scale);
}

}  // namespace signsnet::core
