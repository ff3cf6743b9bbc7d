// signsnet-cli export as a user runs it: the file equals the library's export of the checkpoint's
// model, one summary line, --help on layout and scaling, errors with their exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli/cli_runner.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/onnx.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

using test::CliResult;
using test::expect_one_error_line;
using test::process_scratch;
using test::run_cli;
using test::slurp;

// A checkpoint of a tiny model at epoch 2, step 12; the model stays in `model`.
std::string checkpoint(const std::string& dir, Model& model) {
  CheckpointState state;
  state.epoch = 2;
  state.step = 12;
  const std::string path = dir + "/last.h5";
  save_checkpoint(path, model, state, false);
  return path;
}

TEST(CliExport, WritesTheLibrarysExportAndOneLine) {
  const std::string dir = process_scratch("cli_export");
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string ckpt = checkpoint(dir, model);
  const CliResult r =
      run_cli("export --checkpoint '" + ckpt + "' --onnx '" + dir + "/m.onnx' --class-names a,b,c");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(dir + "/m.onnx: 0.2 MB, 40 nodes, 36 initializers, opset 13, ", 0), 0u)
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  OnnxExportOptions o;
  o.class_names = {"a", "b", "c"};
  o.metadata = {{"epoch", "2"}, {"step", "12"}};
  const std::vector<char> file = test::file_bytes(dir + "/m.onnx");
  EXPECT_EQ(std::string(file.begin(), file.end()), onnx_model_bytes(model, o));
}

TEST(CliExport, HelpDocumentsLayoutAndScaling) {
  const CliResult r = run_cli("export --help");
  EXPECT_EQ(r.code, 0);
  for (const char* part : {"--checkpoint", "--onnx", "NHWC", "divided by 255", "[batch, classes]"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST(CliExport, ErrorsAndExitCodes) {
  const std::string dir = process_scratch("cli_export_errors");
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string ckpt = checkpoint(dir, model);
  expect_one_error_line(run_cli("export --onnx x.onnx"), 2, "--checkpoint");
  expect_one_error_line(run_cli("export --checkpoint '" + ckpt + "'"), 2, "--onnx");
  expect_one_error_line(
      run_cli("export --checkpoint /nonexistent/last.h5 --onnx x.onnx"), 5,
      "/nonexistent/last.h5: file: expected an HDF5 checkpoint, got no such file");
  expect_one_error_line(
      run_cli("export --checkpoint '" + ckpt + "' --onnx x.onnx --class-names a,b"), 2,
      "--class-names: expected 3 names (the checkpoint's classes), got 2");
  const std::string bad = dir + "/missing/m.onnx";
  expect_one_error_line(
      run_cli("export --checkpoint '" + ckpt + "' --onnx '" + bad + "'"), 6,
      bad + ": file: expected a writable location, got cannot create " + bad + ".tmp");
}

}  // namespace
}  // namespace signsnet
