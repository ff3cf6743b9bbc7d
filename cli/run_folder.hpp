// Reading what `signsnet-cli train --out DIR` left in DIR: config.json, log.jsonl and the
// checkpoints, for the report.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "signsnet/trainer.hpp"

namespace signsnet::cli {

/// A run folder's logs.
struct RunFolder {
  std::string dir;
  /// log.jsonl's epochs in order (a repeated epoch, from a resume, keeps its last line).
  std::vector<EpochReport> epochs;
  std::string config_json;  ///< config.json's text; empty when the file is absent
};

/// Reads `dir`/log.jsonl (required) and `dir`/config.json (optional). Throws DataError naming the
/// flag, the file, the line and the field.
RunFolder read_run_folder(const std::string& dir);

/// One epoch from a log.jsonl line; `where` names file and line in errors (DataError).
EpochReport parse_epoch_line(const std::string& line, const std::string& where);

/// `dir`/best.h5 if present, else `dir`/last.h5. Throws CheckpointError when neither exists.
std::string default_checkpoint(const std::string& dir);

/// A JSON object's leaves as ("optimizer.lr", "0.002") pairs, in key order. Throws DataError
/// "<where>: expected a JSON object, got ..." for anything else.
std::vector<std::pair<std::string, std::string>> flatten_json(const std::string& json,
                                                              const std::string& where);

}  // namespace signsnet::cli
