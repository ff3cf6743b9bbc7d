// Per-epoch logs of a training run: <out>/log.csv and <out>/log.jsonl (appended on resume).
#pragma once

#include <fstream>
#include <string>

#include "signsnet/trainer.hpp"

namespace signsnet::cli {

class RunLog {
 public:
  /// Opens both files in `dir` for appending; writes the CSV header into a new file.
  explicit RunLog(const std::string& dir);
  void write(const EpochReport& r);

 private:
  std::string dir_;
  std::ofstream csv_;
  std::ofstream jsonl_;
};

/// One epoch as a JSON object (the log.jsonl line, also printed by `train --json`).
std::string epoch_json(const EpochReport& r);

}  // namespace signsnet::cli
