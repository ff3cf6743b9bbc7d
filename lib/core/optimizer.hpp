// Adam (Keras form), AdamW and SGD with momentum: one parallel pass over the parameter arena,
// in whatever layout the parameters have (padding stays zero: its gradient is zero).
#pragma once

#include <cstddef>
#include <cstdint>

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
  /// Applies one update and counts the step.
  void update(const ArenaView& a);

 private:
  void adam(const ArenaView& a) const;
  void sgd(const ArenaView& a) const;
  OptimizerConfig c_;
  std::int64_t step_ = 0;
};

}  // namespace signsnet::core
