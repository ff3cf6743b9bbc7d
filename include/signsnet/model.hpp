// The ResNet model: built once from a config, then trained and queried. No oneDNN types here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "signsnet/config.hpp"
#include "signsnet/distributed.hpp"

namespace signsnet {

/// Loss and accuracy of one batch.
struct StepResult {
  float loss = 0.0f;  ///< mean cross-entropy over the batch (with label smoothing if set)
  int correct = 0;    ///< images whose arg-max class equals the label
  int count = 0;      ///< images in the batch
  float accuracy() const { return count ? static_cast<float>(correct) / count : 0.0f; }
};

/// What a named tensor is.
enum class TensorKind { weight, bias, gamma, beta, moving_mean, moving_variance };

/// One named parameter or statistic, in plain layout: OIHW for convolutions, [out][in] for the
/// dense layer, per-channel vectors otherwise.
struct TensorInfo {
  std::string name;  ///< dotted, e.g. "stage3.block0.conv2.weight"
  TensorKind kind = TensorKind::weight;
  std::vector<std::int64_t> shape;
  bool trainable = true;
  std::int64_t size() const;
};

/// One row of the model summary.
struct LayerInfo {
  std::string name;  ///< dotted, e.g. "stage3.block0.conv2"
  std::string type;  ///< Conv2D, BatchNorm, MaxPool, AvgPool, Add, Dense, Softmax
  std::vector<std::int64_t> output_shape;  ///< N omitted: C, H, W (or classes)
  std::int64_t parameters = 0;
};

struct ParameterCounts {
  std::int64_t total = 0;
  std::int64_t trainable = 0;
  std::int64_t non_trainable = 0;
};

/// Counts of oneDNN objects a model has made, for checking that a training step creates none.
struct ResourceCounts {
  std::int64_t primitives = 0;
  std::int64_t memories = 0;
  std::int64_t reorders_per_step = 0;  ///< planned reorders and copies one training step runs
};

/// Selects how train_step treats a tensor that moves between the optimizer and the network.
enum class TensorRole { value, gradient, first_moment, second_moment };

/// A ResNet built from oneDNN primitives. Every primitive and buffer is created when the model
/// is built (and once for each further batch size it is asked to run); a step only executes.
/// Not thread-safe: call one model from one thread.
class Model {
 public:
  /// Builds the network for training batches of `batch_size` images and initializes it with the
  /// config's seed. Throws std::invalid_argument on a bad config.
  Model(const ModelConfig& config, int batch_size, const OptimizerConfig& optimizer = {});
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const;
  const OptimizerConfig& optimizer() const;
  int batch_size() const;

  /// Layout that train_step, evaluate and predict read images in (float32, usually x/255).
  ImageLayout input_layout() const;
  /// Floats per image: channels * height * width.
  std::size_t image_floats() const;

  /// One optimizer step on `count` images (1..batch_size; a count other than batch_size builds
  /// and keeps a network for that size). Uses batch statistics and updates the moving ones.
  StepResult train_step(const float* images, const std::int32_t* labels, int count);
  /// The forward and backward pass without the update: fills the gradients, leaves weights and
  /// moving statistics alone.
  StepResult compute_gradients(const float* images, const std::int32_t* labels, int count);
  /// Loss and accuracy in inference mode (moving statistics), any count.
  StepResult evaluate(const float* images, const std::int32_t* labels, int count);
  /// Class probabilities (count x classes, row-major) in inference mode, any count.
  void predict(const float* images, int count, float* probabilities);

  /// Replaces every moving mean and variance by the exact statistics of the given batches under
  /// the current weights. Call begin, then accumulate on each batch, then end.
  void begin_bn_recalibration();
  void accumulate_bn_statistics(const float* images, int count);
  void end_bn_recalibration();

  /// Data-parallel training with the other ranks of `comm` (not owned: it must outlive the model,
  /// or be unset with nullptr). Every rank builds the model with the same config and seed, so
  /// all start from the same weights, and calls train_step in lockstep on its share of each
  /// global batch. A step then sums the gradients over the ranks (in buckets started during the
  /// backward pass), so every rank takes the optimizer step one process would take on the whole
  /// global batch, and returns the global batch's loss and accuracy. With per-rank batch norm
  /// (the default) each rank normalizes with its own images' statistics; average_statistics()
  /// then brings the moving statistics together. Recalibration sums over all ranks.
  void set_communicator(Communicator* comm, const DistributedConfig& config = {});
  /// Replaces every BN moving mean and variance by its mean over the ranks (nothing alone).
  void average_statistics();

  void set_learning_rate(float lr);
  float learning_rate() const;
  /// Label smoothing for the training loss, in [0, 1).
  void set_label_smoothing(float epsilon);
  /// Optimizer steps taken so far (Adam's bias correction uses it).
  std::int64_t step() const;
  void set_step(std::int64_t step);

  /// Every parameter and statistic, in a stable order (the order of the network).
  std::vector<TensorInfo> tensors() const;
  /// Copies a tensor out in plain layout; `out` holds TensorInfo::size() floats. The role selects
  /// the value, its gradient, or the optimizer's moments (statistics have only values).
  void read(const std::string& name, float* out, TensorRole role = TensorRole::value) const;
  /// Copies a tensor in from plain layout. Throws std::out_of_range on an unknown name.
  void write(const std::string& name, const float* in, TensorRole role = TensorRole::value);

  std::vector<LayerInfo> layers() const;
  ParameterCounts parameter_counts() const;
  /// The summary table as text, with totals.
  std::string summary() const;
  ResourceCounts resources() const;
  /// oneDNN's implementation name for each primitive of the training network, e.g.
  /// "stage2.block0.conv1 fwd: brg:avx512_core".
  std::vector<std::string> kernels() const;

  /// One training step with every primitive timed on its own (slower than train_step: it waits
  /// after each). Names are "<layer> <fwd|bwd|bwd_d|bwd_w|...>", plus "optimizer".
  std::vector<std::pair<std::string, double>> profile_step(const float* images,
                                                           const std::int32_t* labels, int count);

  /// One inference pass (predict's, running BN statistics) over `count` images, at most the batch
  /// size, with every primitive timed on its own. Names as profile_step's: "<layer> fwd", ...
  std::vector<std::pair<std::string, double>> profile_predict(const float* images, int count);

  /// Sets the number of compute threads (OpenMP, used by oneDNN and the optimizer).
  static void set_threads(int threads);
  static int threads();

 private:
  std::vector<LayerInfo> layer_rows() const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signsnet
