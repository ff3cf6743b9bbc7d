// Model and optimizer configuration: plain structs, no oneDNN types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet {

/// Memory layout of a batch of images as float32, outermost dimension first.
enum class ImageLayout { nchw, nhwc };

/// One stage of bottleneck blocks: `blocks` blocks of [mid, mid, out] channels. The first block
/// is a convolutional block whose 1x1 convolutions (main and shortcut) use `stride`.
struct StageConfig {
  int blocks = 3;
  int mid = 64;
  int out = 256;
  int stride = 1;
};

/// The network's shape and initialization. The defaults are the reference Keras ResNet-50:
/// ZeroPad 3 -> Conv 7x7/2 -> BN -> ReLU -> MaxPool 3x3/2 -> stages -> AvgPool 2x2 -> Dense.
struct ModelConfig {
  int input_height = 64;
  int input_width = 64;
  int input_channels = 3;
  int classes = 6;
  int stem_channels = 64;
  int kernel = 3;  ///< f, the middle convolution of each bottleneck block ('same' padding)
  std::vector<StageConfig> stages = {{3, 64, 256, 1}, {4, 128, 512, 2}, {6, 256, 1024, 2},
                                     {3, 512, 2048, 2}};
  float bn_epsilon = 1e-3f;
  float bn_momentum = 0.99f;  ///< Keras convention: moving = m * moving + (1 - m) * batch
  std::uint64_t seed = 0;     ///< seed of the weight initializers

  static ModelConfig resnet50();
  static ModelConfig resnet101();
  static ModelConfig resnet152();
  /// One block per stage and narrow widths: for tests and quick experiments.
  static ModelConfig tiny(int input_size = 16, int classes = 3);

  /// Throws std::invalid_argument naming the field when a value is out of range.
  void validate() const;
};

/// The optimizer and its hyper-parameters. The defaults are Keras' Adam.
struct OptimizerConfig {
  enum class Kind { adam, adamw, sgd };
  Kind kind = Kind::adam;
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;
  float weight_decay = 0.0f;  ///< decoupled for AdamW, L2 added to the gradient for SGD and Adam
  float momentum = 0.9f;      ///< SGD only
  bool nesterov = false;      ///< SGD only
  /// Sharpness-aware minimization (Foret et al. 2021) around the optimizer above when > 0: each
  /// step takes the gradient at w + rho * g / |g| instead of at w (two forward and backward
  /// passes per step). 0: off.
  float sam_rho = 0.0f;
  /// Gradient clipping by global norm (Keras' global_clipnorm, PyTorch's clip_grad_norm_): when
  /// the L2 norm of all trainable gradients together exceeds this, they are scaled down to it
  /// before the update. 0: off.
  float clip_norm = 0.0f;
};

const char* to_string(OptimizerConfig::Kind kind);
/// Parses "adam", "adamw" or "sgd"; throws std::invalid_argument otherwise.
OptimizerConfig::Kind parse_optimizer_kind(const std::string& name);

}  // namespace signsnet
