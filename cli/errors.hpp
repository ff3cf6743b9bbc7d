// The CLI's error kinds and exit codes. Library code throws its own types; the commands translate
// data-loading failures into DataError and bad flag combinations into UsageError, and main maps
// each type to one exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace signsnet::cli {

/// Exit codes of signsnet-cli (documented in --help and the README).
enum ExitCode : int {
  kOk = 0,
  kOther = 1,         ///< anything else (an internal error)
  kUsage = 2,         ///< unknown flag, bad value, bad combination of flags
  kDiverged = 3,      ///< training stopped on a NaN or infinite loss
  kData = 4,          ///< a data path is missing or a data file is unreadable
  kCheckpoint = 5,    ///< a checkpoint is missing, unreadable, or of another architecture/version
  kExport = 6,        ///< the ONNX file cannot be built or written
  kInterrupted = 130  ///< Ctrl-C during training (after saving a checkpoint)
};

/// A bad flag value or combination (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A missing or unreadable data set (exit code 4).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `f`; any std::exception it throws is rethrown as E with the same message. Used around
/// calls whose every failure belongs to one category (loading data, reading a checkpoint).
template <typename E, typename F>
auto as_error(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const E&) {
    throw;
  } catch (const std::exception& e) {
    throw E(e.what());
  }
}

}  // namespace signsnet::cli
