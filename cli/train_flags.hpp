// The flags of `signsnet-cli train` and how they turn into a TrainConfig and a ModelConfig.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "signsnet/trainer.hpp"

namespace signsnet::cli {

struct TrainFlags {
  std::string data, train, test, out, resume;
  std::string preset = "default", optimizer = "adam", schedule = "constant";
  std::string config = "resnet50";
  int input_size = 64;
  int epochs = 20, batch = 32, threads = 0, loader_threads = 1;
  float lr = 1e-3f, weight_decay = 0, momentum = 0.9f, sam_rho = 0, clip_norm = 0, warmup = 0;
  float label_smoothing = 0;
  float final_fraction = 0, step_epochs = 10, gamma = 0.1f;
  bool augment = false, flip = false, recalibrate = false, flip_tta = false;
  bool zero_init_residual = false;
  int shift = 0;
  float rotation = 0, brightness = 0, contrast = 0, zoom = 0;
  std::string fill;
  double val_split = 0;
  std::uint64_t seed = 0;
  std::int64_t max_input_mb = 0;  ///< 0: the library's limits
  bool json = false;
  // Data-parallel training under mpirun.
  bool sync_bn = false, overlap = true;
  double bucket_mib = 4.0;
  CLI::App* app = nullptr;  // to ask which flags were given

  bool given(const std::string& flag) const { return app->count(flag) > 0; }
};

/// Declares the flags on `cmd` (the train subcommand).
void declare_train_flags(CLI::App& cmd, TrainFlags& f);
/// The preset (or, resuming, the checkpoint's config) with the given flags applied on top.
/// Throws UsageError naming the flag for a bad value.
TrainConfig make_train_config(const TrainFlags& f, TrainConfig base);
/// --sync-bn, --no-overlap and --bucket-mb as a DistributedConfig.
DistributedConfig make_distributed_config(const TrainFlags& f);

}  // namespace signsnet::cli
