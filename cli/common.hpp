// Helpers shared by the subcommands: data location, model choice, loading, formatting.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "signsnet/checkpoint.hpp"
#include "signsnet/config.hpp"
#include "signsnet/data.hpp"
#include "signsnet/model.hpp"

namespace signsnet::cli {

/// MPI's world when signsnet-cli runs under mpirun with more than one rank (set by main), else
/// nullptr.
Communicator* world();
void set_world(Communicator* comm);

/// Where the SIGNS files are: `given` if not empty, else the first folder holding
/// train_signs.h5 or test_signs.h5 among $SIGNSNET_DATA, ./datasets and
/// ../shared/datasets/signs. Throws DataError naming --data.
std::string find_data_dir(const std::string& given);

/// "resnet50", "resnet101", "resnet152" or "tiny" at `input_size` x `input_size`.
/// Throws UsageError naming --config.
ModelConfig named_model(const std::string& name, int input_size, int classes);
std::vector<std::string> model_names();

/// The limits on what input files may declare, from --max-input-mb (0: the library's defaults).
struct InputLimits {
  LoadLimits data;
  CheckpointLimits checkpoint;
};
InputLimits input_limits(std::int64_t max_input_mb);
/// Declares --max-input-mb on `cmd`, stored in `mb`.
void add_max_input_flag(CLI::App& cmd, std::int64_t& mb);

/// Loads an .h5 file, an image folder or an image file at the model's input size; `flag` names
/// the source in errors. Throws DataError.
Dataset load_data(const std::string& path, const std::string& flag, const ModelConfig& model,
                  int classes = 0, const LoadLimits& limits = {});

/// Throws DataError "<flag>: expected an existing file or folder, got '<path>'".
void require_path(const std::string& path, const std::string& flag);

/// Parses "0,1,5" into row numbers. Throws UsageError naming `flag`.
std::vector<int> parse_rows(const std::string& text, const std::string& flag);

/// Sets the compute threads when `threads` > 0.
void apply_threads(int threads);

/// Builds the model a checkpoint describes and loads its weights and statistics (not the
/// optimizer moments); `state`, if given, receives the checkpoint's attributes. Throws
/// CheckpointError.
Model load_model(const std::string& checkpoint, int batch, const CheckpointLimits& limits = {},
                 CheckpointState* state = nullptr);

/// --flip-tta and --no-flip-tta: test-time flips on or off; neither leaves the choice to the
/// checkpoint's training recipe (TrainConfig::flip_tta).
struct FlipTtaFlags {
  bool on = false, off = false;
  /// `on` or `off` if given, else the flip_tta of the training config in `state`, read from
  /// `checkpoint` (false when it holds none). Throws CheckpointError naming the file.
  bool resolve(const CheckpointState& state, const std::string& checkpoint) const;
};
void add_flip_tta_flags(CLI::App& cmd, FlipTtaFlags& f);

/// "1,234,567".
std::string with_commas(long long value);

/// Writes `text` to `<path>.tmp`, then renames it over `path`: `path` is replaced whole or not at
/// all. On failure removes the temp file and throws std::runtime_error
/// "<path>: file: expected <expected>, got <OS error>".
void write_file_atomically(const std::string& path, const std::string& text,
                           const std::string& expected);

}  // namespace signsnet::cli
