// Adam (Keras form), AdamW and SGD with momentum: one parallel pass over the parameter arena,
// in whatever layout the parameters have (padding stays zero: its gradient is zero).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "signsnet/config.hpp"

namespace signsnet::core {

struct ArenaView {
  float* weights;
  const float* grads;
  float* first;
  float* second;
  std::size_t size;
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerConfig& c) : c_(c) {}
  const OptimizerConfig& config() const { return c_; }
  void set_learning_rate(float lr) { c_.learning_rate = lr; }
  std::int64_t step() const { return step_; }
  void set_step(std::int64_t s) { step_ = s; }
  /// Applies one update and counts the step. With clip_norm > 0 the gradients enter the update
  /// scaled by min(1, clip_norm / |g|), |g| over the whole arena (the arena is left as it is).
  void update(const ArenaView& a);

  /// Sharpness-aware minimization's ascent (Foret et al. 2021): copies the weights into `saved`,
  /// then moves them to w + rho * g / |g|, the norm taken over the whole arena. The caller
  /// computes the gradient there, puts `saved` back with restore() and then calls update().
  /// The norm's sum runs over fixed chunks in a fixed order: the same on any thread count.
  static void ascend(const ArenaView& a, float rho, std::vector<float>& saved);
  static void restore(const ArenaView& a, const std::vector<float>& saved);

 private:
  void adam(const ArenaView& a, float grad_scale) const;
  void sgd(const ArenaView& a, float grad_scale) const;
  OptimizerConfig c_;
  std::int64_t step_ = 0;
};

}  // namespace signsnet::core
