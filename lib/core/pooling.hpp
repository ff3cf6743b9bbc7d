// Max pooling (with its workspace) and average pooling, no padding ('valid').
#pragma once

#include <string>

#include "core/layer.hpp"

namespace signsnet::core {

class Pooling {
 public:
  Pooling(Build& b, const std::string& name, const Act& in, bool max, int kernel, int stride);

  const Act& out() const { return out_; }
  void forward(dnnl::stream& s) const { fwd_.run(s); }
  void backward(dnnl::stream& s) const { bwd_.run(s); }

 private:
  Act out_;
  Op fwd_, bwd_;
};

}  // namespace signsnet::core
