// signsnet-cli export as a user runs it: the file equals the library's export of the checkpoint's
// model, one summary line, --help on layout and scaling, errors with their exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "signsnet/checkpoint.hpp"
#include "signsnet/onnx.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ctest runs each case as its own process, several at once: scratch folders are per process.
std::string scratch(const std::string& name) {
  return test::scratch(name + "_" + std::to_string(::getpid()));
}

CliRun cli(const std::string& args) {
  static const std::string dir = scratch("cli_export_io");
  const std::string out = dir + "/stdout.txt", err = dir + "/stderr.txt";
  const std::string cmd = "'" SIGNSNET_CLI "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

void expect_error(const CliRun& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(r.err.rfind("signsnet-cli: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

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
  const std::string dir = scratch("cli_export");
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string ckpt = checkpoint(dir, model);
  const CliRun r =
      cli("export --checkpoint '" + ckpt + "' --onnx '" + dir + "/m.onnx' --class-names a,b,c");
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
  const CliRun r = cli("export --help");
  EXPECT_EQ(r.code, 0);
  for (const char* part : {"--checkpoint", "--onnx", "NHWC", "divided by 255", "[batch, classes]"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST(CliExport, ErrorsAndExitCodes) {
  const std::string dir = scratch("cli_export_errors");
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string ckpt = checkpoint(dir, model);
  expect_error(cli("export --onnx x.onnx"), 2, "--checkpoint");
  expect_error(cli("export --checkpoint '" + ckpt + "'"), 2, "--onnx");
  expect_error(cli("export --checkpoint /nonexistent/last.h5 --onnx x.onnx"), 5,
               "/nonexistent/last.h5: file: expected an HDF5 checkpoint, got no such file");
  expect_error(cli("export --checkpoint '" + ckpt + "' --onnx x.onnx --class-names a,b"), 2,
               "--class-names: expected 3 names (the checkpoint's classes), got 2");
  const std::string bad = dir + "/missing/m.onnx";
  expect_error(cli("export --checkpoint '" + ckpt + "' --onnx '" + bad + "'"), 6,
               bad + ": file: expected a writable location, got cannot create " + bad + ".tmp");
}

}  // namespace
}  // namespace signsnet
