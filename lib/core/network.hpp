// One ResNet instance for one batch size and mode (training or inference). Networks of one
// model share its parameters; each owns its activations.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/block.hpp"
#include "core/dense.hpp"
#include "core/folded_conv.hpp"
#include "core/pooling.hpp"
#include "signsnet/config.hpp"
#include "signsnet/model.hpp"

namespace signsnet::core {

class Network {
 public:
  /// `input`: the layout images arrive in. Unset, the network takes what its first convolution
  /// reads (NCHW or NHWC) and NHWC for a blocked one; set, it reorders where the first
  /// convolution wants another layout, so that networks of one model read the same images.
  Network(Runtime& rt, ParamStore& params, const ModelConfig& config, int batch, bool training,
          std::optional<ImageLayout> input = std::nullopt);

  int batch() const { return batch_; }
  ImageLayout input_layout() const { return layout_; }
  /// Points the network at `images` (batch x image floats in input_layout()): no copy when the
  /// first convolution reads that layout, else one planned reorder.
  void set_input(const float* images);
  void forward();
  /// `divisor` scales the logits' gradient (0: this batch's size; data-parallel training passes
  /// the global batch's).
  StepResult loss(const std::int32_t* labels, float label_smoothing, int divisor = 0) const;
  /// Called during backward() each time a part of the gradients is final: every trainable
  /// parameter at arena offset `from` or above has its gradient (0 at the end).
  using GradientsReady = std::function<void(std::size_t from)>;
  void backward(const GradientsReady& ready = {});
  const float* probabilities() const { return head_->probabilities(); }
  void for_each_bn(const std::function<void(const BatchNorm&)>& f) const;
  /// Planned reorders a training step runs (weights into backward-data layouts).
  int reorders_per_step() const;
  /// Rows of the summary: name, type, output shape (parameters are counted by the model).
  const std::vector<LayerInfo>& layers() const { return layers_; }

 private:
  void build_input(Build& b, std::optional<ImageLayout> input);

  Runtime& rt_;
  int batch_;
  ImageLayout layout_ = ImageLayout::nchw;
  dnnl::memory user_input_;
  Op input_reorder_;
  std::unique_ptr<Conv> stem_conv_;
  std::unique_ptr<BatchNorm> stem_bn_;
  std::unique_ptr<Pooling> stem_pool_, head_pool_;
  std::vector<std::unique_ptr<Bottleneck>> blocks_;        // training networks
  std::vector<std::unique_ptr<FoldedBottleneck>> folded_;  // inference networks: BN folded
  std::unique_ptr<Dense> dense_;
  std::unique_ptr<SoftmaxCrossEntropy> head_;
  std::vector<LayerInfo> layers_;
  // The lowest gradient-arena offset of the head's and of each block's parameters.
  std::size_t head_offset_ = 0;
  std::vector<std::size_t> block_offsets_;
};

}  // namespace signsnet::core
