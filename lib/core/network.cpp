#include "core/network.hpp"

#include <algorithm>

namespace signsnet::core {

Network::Network(Runtime& rt, ParamStore& params, const ModelConfig& c, int batch, bool training,
                 std::optional<ImageLayout> input)
    : rt_(rt), batch_(batch) {
  Build b{rt, params, training, batch, &layers_};
  // ZeroPad 3 + 'valid' 7x7/2 convolution is one convolution with padding 3.
  stem_conv_ = std::make_unique<Conv>(
      b, "stem.conv", Act{}, ConvOptions{c.stem_channels, 7, 2, 3, Init::glorot_uniform},
      dnnl::memory::dims{batch, c.input_channels, c.input_height, c.input_width});
  build_input(b, input);
  stem_bn_ = std::make_unique<BatchNorm>(b, "stem.bn", stem_conv_->out(), true, c.bn_epsilon);
  stem_pool_ = std::make_unique<Pooling>(b, "stem.pool", stem_bn_->out(), true, 3, 2);
  const Act* x = &stem_pool_->out();
  for (std::size_t s = 0; s < c.stages.size(); ++s) {
    const StageConfig& st = c.stages[s];
    for (int i = 0; i < st.blocks; ++i) {
      const std::string name = "stage" + std::to_string(s + 2) + ".block" + std::to_string(i);
      const int stride = i == 0 ? st.stride : 1;
      if (!training) {
        folded_.push_back(std::make_unique<FoldedBottleneck>(b, name, *x, st.mid, st.out, c.kernel,
                                                             stride, i == 0, c.bn_epsilon));
        x = &folded_.back()->out();
        continue;
      }
      BlockOptions o{st.mid, st.out, c.kernel, stride, i == 0, c.bn_epsilon};
      b.lowest_trainable = SIZE_MAX;
      blocks_.push_back(std::make_unique<Bottleneck>(b, name, *x, o));
      block_offsets_.push_back(b.lowest_trainable);
      x = &blocks_.back()->out();
    }
  }
  // Keras' AvgPool 2x2 (valid); a feature map smaller than 2x2 (tiny inputs) pools 1x1.
  const int pool = std::min<long>({2, x->desc().dims()[2], x->desc().dims()[3]});
  head_pool_ = std::make_unique<Pooling>(b, "head.pool", *x, false, pool, pool);
  b.lowest_trainable = SIZE_MAX;
  dense_ = std::make_unique<Dense>(b, "head.dense", head_pool_->out(), c.classes);
  head_offset_ = b.lowest_trainable;
  head_ = std::make_unique<SoftmaxCrossEntropy>(b, "head.softmax", dense_->out());
}

void Network::build_input(Build& b, std::optional<ImageLayout> input) {
  const dnnl::memory::desc md = stem_conv_->src().get_desc();
  auto d = md.dims();
  auto plain = [&](ImageLayout l) {
    return dnnl::memory::desc(d, dt::f32, l == ImageLayout::nchw ? tag::nchw : tag::nhwc);
  };
  if (!input) {
    // Free to choose: the layout the first convolution reads, or NHWC when it wants a blocked
    // one. (oneDNN may choose differently for another batch size or for inference.)
    input = md == plain(ImageLayout::nchw) ? ImageLayout::nchw : ImageLayout::nhwc;
  }
  layout_ = *input;
  if (md == plain(layout_)) return;
  // The first convolution wants another layout: the images are reordered into it.
  user_input_ = b.rt.wrap(plain(layout_), DNNL_MEMORY_NONE);
  input_reorder_ = b.rt.reorder(user_input_, stem_conv_->src(), "input reorder");
}

void Network::set_input(const float* images) {
  void* p = const_cast<float*>(images);  // the network only reads its input
  if (input_reorder_.valid()) {
    user_input_.set_data_handle(p);
    input_reorder_.run(rt_.stream());
  } else {
    stem_conv_->src().set_data_handle(p);
  }
}

void Network::forward() {
  dnnl::stream& s = rt_.stream();
  stem_conv_->forward(s);
  stem_bn_->forward(s);
  stem_pool_->forward(s);
  for (const auto& blk : blocks_) blk->forward(s);
  for (const auto& blk : folded_) blk->forward(s);
  head_pool_->forward(s);
  dense_->forward(s);
  head_->forward(s);
  s.wait();
}

StepResult Network::loss(const std::int32_t* labels, float label_smoothing, int divisor) const {
  return head_->loss(labels, label_smoothing, divisor);
}

void Network::backward(const GradientsReady& ready) {
  dnnl::stream& s = rt_.stream();
  auto done = [&](std::size_t from) {
    if (!ready) return;
    s.wait();
    ready(from);
  };
  dense_->backward(s);
  done(head_offset_);
  head_pool_->backward(s);
  for (std::size_t i = blocks_.size(); i-- > 0;) {
    blocks_[i]->backward(s);
    done(block_offsets_[i]);
  }
  stem_pool_->backward(s);
  stem_bn_->backward(s);
  stem_conv_->backward(s);  // weights only: nothing reads the input's gradient
  s.wait();
  done(0);
}

void Network::for_each_bn(const std::function<void(const BatchNorm&)>& f) const {
  f(*stem_bn_);
  for (const auto& blk : blocks_) blk->for_each_bn(f);
  for (const auto& blk : folded_) blk->for_each_bn(f);
}

int Network::reorders_per_step() const {
  int n = stem_conv_->reorders() + stem_bn_->reorders() + dense_->reorders();
  for (const auto& blk : blocks_) n += blk->reorders();
  return n;
}

}  // namespace signsnet::core
