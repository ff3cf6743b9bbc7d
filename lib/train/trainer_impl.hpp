// Trainer's state, shared by trainer.cpp (setup, checkpoints) and trainer_loop.cpp (epochs).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "signsnet/checkpoint.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet {

struct Trainer::Impl {
  Impl(const ModelConfig& model_config, const TrainConfig& c, Split split, Communicator* comm,
       const DistributedConfig& dist);

  TrainConfig config;
  Dataset train;
  Dataset validation;
  Communicator* comm = nullptr;  // data-parallel ranks (null or one rank: alone)
  int rank = 0, ranks = 1;
  Model model;
  std::unique_ptr<Loader> loader;

  int epoch = 0;                 // completed epochs
  float best_val_accuracy = -1;  // -1: none yet
  // Running sums of the epoch in progress (restored from a mid-epoch checkpoint).
  double loss_sum = 0;
  std::int64_t correct = 0;
  std::int64_t count = 0;
  std::int64_t recalibrated_at = -1;  // model step of the last BN recalibration
  std::string last_checkpoint;

  StepCallback step_callback;
  EpochCallback epoch_callback;
  const std::atomic<bool>* stop = nullptr;

  bool stop_requested() const { return stop && stop->load(std::memory_order_relaxed); }
  /// True when any rank's stop flag is set (every rank must ask at the same steps).
  bool stop_agreed();
  /// A loader over `data` with this rank's shard of every batch.
  LoaderConfig loader_config(bool shuffle) const;
  std::int64_t total_steps() const;
  CheckpointState state() const;
  /// Saves <checkpoint_dir>/<name>; returns its path ("" without a checkpoint dir).
  std::string save_named(const std::string& name);
  void recalibrate();
  StepReport step_report(int batch, int batches, float lr, double seconds) const;
  Evaluation evaluate(const Dataset& data);

  /// Runs the rest of epoch `epoch`; false when a stop request ended it early.
  bool train_epoch(double& train_seconds);
  /// Validation, recalibration, checkpoints and the report after an epoch's last step.
  EpochReport finish_epoch(double train_seconds, double started, TrainOutcome& outcome);
};

/// Seconds on a monotonic clock.
double now_seconds();

}  // namespace signsnet
