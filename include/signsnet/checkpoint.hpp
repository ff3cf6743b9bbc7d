// HDF5 checkpoints: weights, BN statistics, optimizer moments and training progress. Written
// atomically (temp file, fsync, rename). No HDF5 types here.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "signsnet/config.hpp"
#include "signsnet/model.hpp"

namespace signsnet {

/// The checkpoint format this library writes and reads.
constexpr int kCheckpointFormatVersion = 1;

/// A checkpoint that cannot be written, read, or does not fit the model. Messages read
/// "<file>: <field>: expected X, got Y".
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Everything in a checkpoint besides the tensors.
struct CheckpointState {
  int format_version = kCheckpointFormatVersion;
  std::string library_version;    ///< filled on save
  int epoch = 0;                  ///< completed epochs
  std::int64_t step = 0;          ///< optimizer steps taken
  std::uint64_t seed = 0;         ///< the run's seed (all randomness derives from it and the epoch)
  ModelConfig model;              ///< filled on save from the model
  std::string train_config_json;  ///< TrainConfig::to_json()
  float best_val_accuracy = -1;   ///< -1: none yet
  // The epoch in progress when saved mid-epoch (a stop request): its running sums.
  double epoch_loss_sum = 0;  ///< sum over its images of the batch loss
  std::int64_t epoch_correct = 0;
  std::int64_t epoch_count = 0;
  bool has_optimizer = true;  ///< the file holds /optimizer/m and /optimizer/v
};

/// Limits on what a checkpoint may declare, checked on its attributes before a model of that
/// architecture is built or anything of that size is allocated. A file over a limit throws
/// CheckpointError naming the file and the attribute.
struct CheckpointLimits {
  /// float32 bytes of one copy of the declared model's parameters and statistics, estimated from
  /// the architecture attributes (ResNet-50: 94 MB, ResNet-152: 241 MB).
  std::int64_t max_parameter_bytes = std::int64_t{1} << 30;
  std::int64_t max_input_side = 4096;  ///< input_height and input_width
  std::int64_t max_classes = 1 << 20;
  std::int64_t max_stages = 64;             ///< rows of the `stages` attribute
  std::int64_t max_string_bytes = 1 << 20;  ///< a string attribute (train_config)
};

/// Which tensors load_checkpoint restores.
enum class LoadParts { weights, weights_and_optimizer };

/// Writes `model` and `state` to `path` via `<path>.tmp` in the same folder, fsync and rename, so
/// `path` is either the old or the new file. On failure removes the temp file and throws
/// CheckpointError. `with_optimizer` adds Adam/SGD moments.
void save_checkpoint(const std::string& path, const Model& model, const CheckpointState& state,
                     bool with_optimizer = true);

/// Reads the attributes only (no model needed). Throws CheckpointError for a missing or
/// unreadable file, another format version, a missing or malformed attribute, or an architecture
/// over `limits`.
CheckpointState read_checkpoint_state(const std::string& path, const CheckpointLimits& limits = {});

/// Checks that `model`'s architecture is the checkpoint's, then copies its tensors into `model`
/// (and the optimizer step with the moments). Throws CheckpointError naming file and field.
CheckpointState load_checkpoint(const std::string& path, Model& model,
                                LoadParts parts = LoadParts::weights_and_optimizer,
                                const CheckpointLimits& limits = {});

/// The float32 bytes of one copy of the parameters and statistics of `config`'s model, computed
/// from the config alone (saturates instead of overflowing).
std::int64_t estimated_parameter_bytes(const ModelConfig& config);

/// Throws CheckpointError "<where>: <field>: expected <expected's value>, got <got's value>" for
/// the first architecture field (input size, channels, classes, stem, kernel, stages, bn_epsilon)
/// that differs.
void check_same_architecture(const std::string& where, const ModelConfig& expected,
                             const ModelConfig& got);

/// The signsnet version compiled into the library, e.g. "0.1.0".
const char* library_version();

}  // namespace signsnet
