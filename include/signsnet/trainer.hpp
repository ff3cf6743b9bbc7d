// The training loop: recipes, learning-rate schedules, epochs with validation, checkpoints and
// exact resume. No oneDNN, TBB or HDF5 types here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "signsnet/config.hpp"
#include "signsnet/data.hpp"
#include "signsnet/model.hpp"

namespace signsnet {

/// How the learning rate moves with the global step. Every schedule is a pure function of the
/// step, so a resumed run follows the same curve as an uninterrupted one.
struct ScheduleConfig {
  enum class Kind { constant, step, cosine, onecycle };
  Kind kind = Kind::constant;
  float warmup_epochs = 0;      ///< linear ramp from lr / steps to lr over these epochs
  float step_epochs = 10;       ///< step: multiply by gamma every step_epochs epochs
  float gamma = 0.1f;           ///< step: the factor
  float final_fraction = 0.0f;  ///< cosine, onecycle: the last lr as a fraction of the peak
};

const char* to_string(ScheduleConfig::Kind kind);
/// Parses "constant", "step", "cosine" or "onecycle"; throws std::invalid_argument otherwise.
ScheduleConfig::Kind parse_schedule_kind(const std::string& name);

/// The learning rate for optimizer step `step` (0-based) of a run of `total_steps` steps with
/// `steps_per_epoch` steps per epoch and peak rate `base_lr`.
float scheduled_learning_rate(const ScheduleConfig& schedule, float base_lr, std::int64_t step,
                              std::int64_t steps_per_epoch, std::int64_t total_steps);

/// Everything that shapes a training run besides the architecture.
struct TrainConfig {
  std::string recipe = "notebook";  ///< the preset these values started from (for the record)
  int epochs = 20;
  int batch = 32;
  OptimizerConfig optimizer;  ///< kind, lr (the peak), weight decay, momentum
  ScheduleConfig schedule;
  float label_smoothing = 0.0f;
  Augmentation augmentation;
  float bn_momentum = 0.99f;      ///< overrides ModelConfig::bn_momentum
  bool bn_recalibration = false;  ///< recompute BN statistics before each evaluation and at the end
  /// Evaluate (validation, test, and `evaluate`/`predict`/`report` on its checkpoints by default)
  /// with each image's probabilities averaged with its mirror's: twice the inference work.
  bool flip_tta = false;
  /// Start each block's last BN scale (`.bn3.gamma`) at 0, so every residual branch starts silent
  /// and each block as the identity of its shortcut (Goyal et al. 2017). Not in the notebook.
  bool zero_init_residual = false;
  double validation_fraction = 0.0;  ///< stratified, seeded split of the training set
  std::uint64_t seed = 0;            ///< weight init, split, shuffling, augmentation
  int threads = 0;                   ///< compute threads (0: leave as is)
  int loader_threads = 1;            ///< TBB workers assembling batches
  std::string checkpoint_dir;        ///< empty: no checkpoints
  bool keep_last = true;             ///< <checkpoint_dir>/last.h5 after every epoch
  bool keep_best = true;             ///< <checkpoint_dir>/best.h5 on a new best validation accuracy

  /// A named recipe: "notebook" (the Keras notebook) or "default" (signsnet's). The numbers live
  /// in lib/train/recipes.cpp. Throws std::invalid_argument for another name.
  static TrainConfig preset(const std::string& name);
  /// The recipe names, for help texts.
  static std::vector<std::string> preset_names();

  /// Throws std::invalid_argument naming the field when a value is out of range.
  void validate() const;
  /// A JSON object with every field (stored in checkpoints and logs).
  std::string to_json() const;
  /// Reads to_json()'s output; fields that are absent keep their defaults. `where` names the
  /// source in errors ("<where>: train_config.<field>: expected X, got Y").
  static TrainConfig from_json(const std::string& json, const std::string& where);
};

/// Progress inside an epoch, after each optimizer step.
struct StepReport {
  int epoch = 0;  ///< 1-based
  int epochs = 0;
  int batch = 0;  ///< 1-based index of the step within the epoch
  int batches = 0;
  std::int64_t step = 0;  ///< optimizer steps taken so far (global)
  float loss = 0;         ///< running mean over the epoch so far
  float accuracy = 0;     ///< running mean over the epoch so far
  float lr = 0;           ///< the learning rate of this step
  double seconds = 0;     ///< since the epoch started
};

/// One finished epoch. Validation figures are negative when there is no validation set.
struct EpochReport {
  int epoch = 0;  ///< 1-based
  int epochs = 0;
  int batches = 0;
  std::int64_t step = 0;
  float loss = 0;
  float accuracy = 0;
  float val_loss = -1;
  float val_accuracy = -1;
  float lr = 0;                  ///< the learning rate of the epoch's last step
  double seconds = 0;            ///< training and validation
  double images_per_second = 0;  ///< training steps only
  bool best = false;             ///< a new best validation accuracy (best.h5 written)
};

/// Loss, accuracy and per-image outputs of a model on a data set (inference mode).
struct Evaluation {
  float loss = 0;
  float accuracy = 0;
  int count = 0;
  std::vector<std::int32_t> predictions;  ///< arg-max class per image
  std::vector<float> probabilities;       ///< count x classes, row-major
};

/// Runs `model` over `data` in order, `batch` images at a time; no BN recalibration. With
/// `flip_tta`, each image's probabilities are the mean of those of the image and its mirror
/// (test-time augmentation: twice the inference work).
Evaluation evaluate_dataset(Model& model, const Dataset& data, int batch = 32,
                            int loader_threads = 1, bool flip_tta = false);

/// Thrown when a step's loss is NaN or infinite. Checkpoints written before stay untouched.
class TrainingDiverged : public std::runtime_error {
 public:
  TrainingDiverged(int epoch, std::int64_t step, float loss);
  int epoch() const { return epoch_; }
  std::int64_t step() const { return step_; }

 private:
  int epoch_;
  std::int64_t step_;
};

/// How run() ended.
struct TrainOutcome {
  int epochs_done = 0;     ///< completed epochs, in total
  std::int64_t steps = 0;  ///< optimizer steps, in total
  bool stopped = false;    ///< a stop request ended it early (a checkpoint was saved)
  std::string checkpoint;  ///< the last checkpoint written, if any
  float best_val_accuracy = -1;
  std::vector<EpochReport> history;  ///< the epochs of this run() call
};

/// Trains a Model on a data set: one optimizer step per batch, the schedule applied per step,
/// validation, BN recalibration and checkpoints per epoch. Not thread-safe (see Model), except
/// for the stop flag.
class Trainer {
 public:
  using StepCallback = std::function<void(const StepReport&)>;
  using EpochCallback = std::function<void(const EpochReport&)>;

  /// Builds the model (its seed and BN momentum taken from `config`) and splits off the
  /// validation set. Copies what it needs of `train`. Throws std::invalid_argument on a bad
  /// config, or when the data's image size, channels or classes do not match the model.
  Trainer(const ModelConfig& model, const TrainConfig& config, const Dataset& train);
  /// Data-parallel training over the ranks of `comm` (not owned; it must outlive the trainer).
  /// Every rank constructs its trainer with the same arguments (the same data, config and seed).
  /// `config.batch` is the global batch: each rank trains on its contiguous share of every
  /// global batch of the one shuffled order (LoaderConfig::shard), so the run follows the
  /// single-process run's data and schedule. Rank 0 alone writes checkpoints; every rank
  /// validates and resumes. Throws std::invalid_argument when a batch cannot give every rank
  /// an image.
  Trainer(const ModelConfig& model, const TrainConfig& config, const Dataset& train,
          Communicator* comm, const DistributedConfig& distributed = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void on_step(StepCallback callback);
  void on_epoch(EpochCallback callback);
  /// When `*flag` becomes true, run() finishes the current step, saves last.h5 and returns.
  void set_stop_flag(const std::atomic<bool>* flag);

  /// Restores weights, statistics, optimizer moments, step, epoch and progress from a checkpoint
  /// (also one saved mid-epoch). Throws CheckpointError on a mismatch.
  void resume(const std::string& checkpoint);
  /// Trains up to epoch `until_epoch` (default: config().epochs). Throws TrainingDiverged.
  TrainOutcome run(int until_epoch = -1);
  /// Evaluates on `data`, recalibrating BN first when the config asks for it.
  Evaluation evaluate(const Dataset& data);
  /// Writes a checkpoint of the current state to `path` (rank 0 only in data-parallel runs).
  void save(const std::string& path) const;
  /// The ranks this trainer works with (nullptr when alone).
  Communicator* communicator() const;

  Model& model();
  const TrainConfig& config() const;
  const Dataset& training_set() const;
  const Dataset& validation_set() const;  ///< empty (count 0) without a validation split
  int epochs_done() const;
  int batches_per_epoch() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signsnet
