// The residual join: relu(main + shortcut), as a binary add with a ReLU post-op.
#pragma once

#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

class AddRelu {
 public:
  /// `sum_grad` receives d loss / d (main + shortcut): both branches read it in backward.
  AddRelu(Build& b, const std::string& name, const dnnl::memory& main, const dnnl::memory& shortcut,
          const dnnl::memory& sum_grad);

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const { fwd_.run(s); }
  /// ReLU backward from the output: the output itself tells where the ReLU was active.
  void backward(dnnl::stream& s) const { bwd_.run(s); }

 private:
  Act out_;
  Op fwd_, bwd_;
};

}  // namespace signsnet::core
