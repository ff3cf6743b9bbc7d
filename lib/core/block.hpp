// A bottleneck block: 1x1 -> BN+ReLU -> fxf -> BN+ReLU -> 1x1 -> BN, plus the shortcut (a 1x1
// convolution and BN in a convolutional block, the input itself in an identity block), then
// relu(main + shortcut).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/add_relu.hpp"
#include "core/batchnorm.hpp"
#include "core/conv.hpp"
#include "core/residual_join.hpp"
#include "core/subsample.hpp"

namespace signsnet::core {

struct BlockOptions {
  int mid = 64;
  int out = 256;
  int kernel = 3;
  int stride = 1;
  bool projection = true;  // convolutional block (shortcut convolution) or identity block
  float epsilon = 1e-3f;
  /// Training: the last batch norms, the add and the ReLU on signsnet's fused loops where the
  /// layouts allow (residual_join.hpp); false keeps oneDNN's primitives (for comparisons).
  bool fuse_join = true;
};

class Bottleneck {
 public:
  Bottleneck(Build& b, const std::string& name, const Act& in, const BlockOptions& o);

  const Act& out() const { return add_->out(); }
  void forward(dnnl::stream& s) const;
  /// Reads out().grad, writes the input's gradient (the sum of both branches).
  void backward(dnnl::stream& s) const;
  void for_each_bn(const std::function<void(const BatchNorm&)>& f) const;
  int reorders() const;
  /// True when training runs the block's end on the fused join (residual_join.hpp).
  bool joined() const { return join_ != nullptr; }

 private:
  std::unique_ptr<Subsample> subsample_;  // where the strided 1x1 convolutions need it
  std::unique_ptr<Conv> conv1_, conv2_, conv3_, shortcut_conv_;
  std::unique_ptr<BatchNorm> bn1_, bn2_, bn3_, shortcut_bn_;
  std::unique_ptr<AddRelu> add_;
  std::unique_ptr<ResidualJoin> join_;
  mutable bool join_ran_ = false;  // the last forward ran the join: the backward must too
  Op accumulate_;  // x.grad += the other branch's gradient (x: the input, or its subsample)
};

}  // namespace signsnet::core
