// signsnet-cli: the only place that catches. Each error type maps to one exit code and one line
// on stderr: "signsnet-cli: error: <message>".
#include <hdf5.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/distributed.hpp"
#include "signsnet/onnx.hpp"
#include "signsnet/trainer.hpp"

namespace {

using namespace signsnet::cli;

constexpr const char* kExitCodes =
    "Exit codes: 0 success, 1 other error, 2 bad flags or values, 3 training diverged (NaN/inf "
    "loss), 4 data error, 5 checkpoint error, 6 ONNX export error, 130 interrupted (a checkpoint "
    "was saved).";

// Under mpirun an error on one rank ends every rank (MPI_Abort), so that none waits forever in
// a collective for it; the line names the rank.
int fail(int code, std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (signsnet::Communicator* w = world()) {
    w->abort("signsnet-cli: error: rank " + std::to_string(w->rank()) + " of " +
                 std::to_string(w->size()) + ": " + message,
             code);
  }
  std::cerr << "signsnet-cli: error: " << message << std::endl;
  return code;
}

int run(int argc, char** argv) {
  CLI::App app{"signsnet-cli: train and use a ResNet-50 on the SIGNS hand signs", "signsnet-cli"};
  app.footer(kExitCodes);
  app.require_subcommand(0, 1);  // checked below, so unknown flags are reported first
  const std::function<int()> commands[] = {add_train_command(app), add_evaluate_command(app),
                                           add_predict_command(app), add_summary_command(app),
                                           add_export_command(app), add_report_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    return fail(kUsage, std::string(e.what()) + " (see signsnet-cli --help)");
  }
  if (world() && !app.got_subcommand("train"))
    throw UsageError("mpirun: only train runs on several ranks; run the other commands alone");
  for (const auto& command : commands) {
    const int code = command();
    if (code >= 0) return code;
  }
  return fail(kUsage, "expected a subcommand: train, evaluate, predict, summary, export or report");
}

}  // namespace

int main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG and is reported like a full
  // disk, instead of SIGXFSZ ending the process in the middle of a save.
  std::signal(SIGXFSZ, SIG_IGN);
  // HDF5 1.10 crashes in its exit-time cleanup after an H5Fclose that failed on a write error
  // (a disk that filled up during a save despite the check before it). Every file is closed
  // explicitly, so the process skips that cleanup.
  H5dont_atexit();
  // Started by mpirun: MPI's world, finalized when main returns (signsnet-cli train shares the
  // work with the other ranks; see README, "Training on several processes").
  std::unique_ptr<signsnet::Communicator> mpi;
  try {
    if (signsnet::launched_by_mpi() && signsnet::mpi_available()) {
      mpi = signsnet::mpi_world(&argc, &argv);
      set_world(mpi.get());
    }
  } catch (const std::exception& e) {
    return fail(kOther, e.what());
  }
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    return fail(kUsage, e.what());
  } catch (const signsnet::TrainingDiverged& e) {
    return fail(kDiverged, e.what());
  } catch (const DataError& e) {
    return fail(kData, e.what());
  } catch (const signsnet::CheckpointError& e) {
    return fail(kCheckpoint, e.what());
  } catch (const signsnet::OnnxExportError& e) {
    return fail(kExport, e.what());
  } catch (const std::exception& e) {
    return fail(kOther, e.what());
  }
}
