#include "core/optimizer.hpp"

#include <cmath>

namespace signsnet::core {

void Optimizer::update(const ArenaView& a) {
  ++step_;
  if (c_.kind == OptimizerConfig::Kind::sgd)
    sgd(a);
  else
    adam(a);
}

// Keras' Adam: the bias corrections fold into the step size, and epsilon is added to sqrt(v)
// ("epsilon hat" in the paper), so results match Keras, not PyTorch, for the same epsilon.
void Optimizer::adam(const ArenaView& a) const {
  const double t = static_cast<double>(step_);
  const float lr_t = static_cast<float>(c_.learning_rate * std::sqrt(1.0 - std::pow(c_.beta2, t)) /
                                        (1.0 - std::pow(c_.beta1, t)));
  const float b1 = c_.beta1, b2 = c_.beta2, eps = c_.epsilon;
  const bool decoupled = c_.kind == OptimizerConfig::Kind::adamw;
  const float l2 = decoupled ? 0.0f : c_.weight_decay;
  const float shrink = decoupled ? 1.0f - c_.learning_rate * c_.weight_decay : 1.0f;
  float* w = a.weights;
  float* m = a.first;
  float* v = a.second;
  const float* g = a.grads;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(a.size);
#pragma omp parallel for simd schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float gi = g[i] + l2 * w[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = shrink * w[i] - lr_t * mi / (std::sqrt(vi) + eps);
  }
}

void Optimizer::sgd(const ArenaView& a) const {
  const float lr = c_.learning_rate, mom = c_.momentum, wd = c_.weight_decay;
  const bool nesterov = c_.nesterov;
  float* w = a.weights;
  float* buf = a.first;
  const float* g = a.grads;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(a.size);
#pragma omp parallel for simd schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * w[i];
    const float bi = mom * buf[i] + gi;
    buf[i] = bi;
    w[i] -= lr * (nesterov ? gi + mom * bi : bi);
  }
}

}  // namespace signsnet::core
