#include "core/block.hpp"

namespace signsnet::core {

Bottleneck::Bottleneck(Build& b, const std::string& name, const Act& in, const BlockOptions& o) {
  const Init init = o.projection ? Init::glorot_uniform : Init::uniform_005;
  // What the (possibly strided) 1x1 convolutions read, and their stride.
  Act x = in;
  int stride = o.stride;
  if (Subsample::wanted(b, in.desc(), o.mid, o.stride)) {
    subsample_ = std::make_unique<Subsample>(b, name + ".subsample", in, o.mid, o.stride);
    x = subsample_->out();
    stride = 1;
  }
  conv1_ = std::make_unique<Conv>(b, name + ".conv1", x, ConvOptions{o.mid, 1, stride, 0, init});
  bn1_ = std::make_unique<BatchNorm>(b, name + ".bn1", conv1_->out(), true, o.epsilon);
  conv2_ = std::make_unique<Conv>(b, name + ".conv2", bn1_->out(),
                                  ConvOptions{o.mid, o.kernel, 1, o.kernel / 2, init});
  bn2_ = std::make_unique<BatchNorm>(b, name + ".bn2", conv2_->out(), true, o.epsilon);
  conv3_ =
      std::make_unique<Conv>(b, name + ".conv3", bn2_->out(), ConvOptions{o.out, 1, 1, 0, init});
  // Both branches read the gradient of the sum: one buffer serves as both outputs' gradient.
  dnnl::memory sum_grad;
  if (b.training) sum_grad = b.rt.memory(conv3_->out().desc());
  bn3_ = std::make_unique<BatchNorm>(b, name + ".bn3", conv3_->out(), false, o.epsilon, sum_grad);
  dnnl::memory shortcut = in.value, other_grad = sum_grad;
  if (o.projection) {
    Act sc_in{x.value, b.training && x.grad ? b.rt.memory(x.desc()) : dnnl::memory()};
    shortcut_conv_ = std::make_unique<Conv>(b, name + ".shortcut.conv", sc_in,
                                            ConvOptions{o.out, 1, stride, 0, init});
    shortcut_bn_ = std::make_unique<BatchNorm>(b, name + ".shortcut.bn", shortcut_conv_->out(),
                                               false, o.epsilon, sum_grad);
    shortcut = shortcut_bn_->out().value;
    other_grad = sc_in.grad;
  }
  add_ = std::make_unique<AddRelu>(b, name + ".add", bn3_->out().value, shortcut, sum_grad);
  if (b.training && o.fuse_join &&
      ResidualJoin::unsupported(*bn3_, shortcut_bn_.get(), shortcut, add_->out(), sum_grad).empty())
    join_ = std::make_unique<ResidualJoin>(b, name + ".join", *bn3_, shortcut_bn_.get(), shortcut,
                                           add_->out(), sum_grad);
  if (!b.training || !x.grad) return;
  // An in-place binary add: oneDNN's sum primitive has only a reference kernel for blocked
  // layouts on AVX2, the binary one is jitted.
  const dnnl::memory::desc md = x.desc();
  dnnl::binary::primitive_desc pd(
      dnnl::binary::desc(dnnl::algorithm::binary_add, md, other_grad.get_desc(), md), b.rt.attr(),
      b.rt.engine());
  accumulate_ = b.rt.make<dnnl::binary>(
      pd, name + ".add grad_sum",
      {{DNNL_ARG_SRC_0, x.grad}, {DNNL_ARG_SRC_1, other_grad}, {DNNL_ARG_DST, x.grad}});
}

void Bottleneck::forward(dnnl::stream& s) const {
  if (subsample_) subsample_->forward(s);
  conv1_->forward(s);
  bn1_->forward(s);
  conv2_->forward(s);
  bn2_->forward(s);
  conv3_->forward(s);
  // Synchronized batch norm (statistics over all ranks) runs on the primitives.
  join_ran_ = join_ && !bn3_->sync_wanted();
  if (join_ran_) {
    if (shortcut_conv_) shortcut_conv_->forward(s);
    join_->forward(s);
    bn3_->forward_ran_elsewhere();
    if (shortcut_bn_) shortcut_bn_->forward_ran_elsewhere();
    return;
  }
  bn3_->forward(s);
  if (shortcut_conv_) {
    shortcut_conv_->forward(s);
    shortcut_bn_->forward(s);
  }
  add_->forward(s);
}

void Bottleneck::backward(dnnl::stream& s) const {
  if (join_ran_) {
    join_->backward(s);  // both batch norms' input gradients
  } else {
    add_->backward(s);
    bn3_->backward(s);
  }
  conv3_->backward(s);
  bn2_->backward(s);
  conv2_->backward(s);
  bn1_->backward(s);
  conv1_->backward(s);  // writes x.grad
  if (shortcut_conv_) {
    if (!join_ran_) shortcut_bn_->backward(s);
    shortcut_conv_->backward(s);
  }
  if (accumulate_.valid()) accumulate_.run(s);
  if (subsample_) subsample_->backward(s);
}

void Bottleneck::for_each_bn(const std::function<void(const BatchNorm&)>& f) const {
  for (const auto* bn : {bn1_.get(), bn2_.get(), bn3_.get(), shortcut_bn_.get()})
    if (bn) f(*bn);
}

int Bottleneck::reorders() const {
  int n = conv1_->reorders() + conv2_->reorders() + conv3_->reorders() + (subsample_ ? 2 : 0);
  for_each_bn([&](const BatchNorm& bn) { n += bn.reorders(); });
  return shortcut_conv_ ? n + shortcut_conv_->reorders() : n;
}

}  // namespace signsnet::core
