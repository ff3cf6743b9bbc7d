// export_onnx's failures: messages that name the file and field, and a good file left alone by an
// export that fails (bad options, an unwritable folder, a write cut short by a file-size limit).
#include <sys/resource.h>

#include <csignal>
#include <fstream>

#include "onnx/onnx_test_util.hpp"
#include "signsnet/onnx.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

using test::message_of;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A folder holding a good export at `<folder>/model.onnx`; returns its path.
std::string good_file(const Model& model, const std::string& name) {
  const std::string path = test::scratch(name) + "/model.onnx";
  export_onnx(model, path);
  return path;
}

TEST(OnnxExportErrors, MissingFolderNamesThePath) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = test::scratch("onnx_missing") + "/no/such/folder/model.onnx";
  const std::string msg = message_of<OnnxExportError>([&] { export_onnx(model, path); });
  EXPECT_EQ(msg.rfind(path + ": file: expected a writable location, got ", 0), 0u) << msg;
  EXPECT_TRUE(contains(msg, "No such file or directory")) << msg;
}

TEST(OnnxExportErrors, EmptyPath) {
  Model model(ModelConfig::tiny(16, 3), 2);
  EXPECT_EQ(message_of<OnnxExportError>([&] { export_onnx(model, ""); }),
            "export_onnx: path: expected a file name, got ''");
}

TEST(OnnxExportErrors, BadOptionsKeepTheOldFile) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = good_file(model, "onnx_bad_options");
  const std::vector<char> before = test::file_bytes(path);
  Model other(ModelConfig::tiny(16, 3), 2);
  test::randomize_batchnorm(other, 3);  // a different file, were it written
  auto message = [&](const OnnxExportOptions& o) {
    return message_of<OnnxExportError>([&] { export_onnx(other, path, o); });
  };
  OnnxExportOptions o;
  o.class_names = {"a", "b"};
  EXPECT_EQ(message(o),
            path + ": class_names: expected 3 names (the model's classes) or none, got 2");
  o = {};
  o.output_name = "images";
  EXPECT_EQ(message(o),
            path + ": output_name: expected a name other than input_name, got 'images'");
  o = {};
  o.input_name = "stem.conv";
  EXPECT_EQ(message(o), path +
                            ": value names: expected input_name and output_name unlike every "
                            "layer's names, got 'stem.conv' twice");
  o = {};
  o.batch_dim = "";
  EXPECT_EQ(message(o), path + ": batch_dim: expected a dim_param name, got ''");
  o = {};
  o.metadata = {{"input_layout", "NCHW"}};
  EXPECT_EQ(
      message(o),
      path + ": metadata: expected keys other than '' and signsnet's own, got 'input_layout'");
  EXPECT_EQ(test::file_bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// A folder in the way of the file: the rename fails, the temp file goes.
TEST(OnnxExportErrors, FolderAtThePath) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = test::scratch("onnx_folder") + "/model.onnx";
  std::filesystem::create_directories(path + "/inside");
  const std::string msg = message_of<OnnxExportError>([&] { export_onnx(model, path); });
  EXPECT_EQ(msg.rfind(path + ": rename: expected the new file in place of " + path, 0), 0u) << msg;
  EXPECT_TRUE(std::filesystem::is_directory(path + "/inside"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// Restores the file-size limit and SIGXFSZ's handler when the test ends.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    handler_ = std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
    rlimit lower = saved_;
    lower.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lower);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, handler_);
  }

 private:
  rlimit saved_{};
  void (*handler_)(int) = SIG_DFL;
};

// A write cut short (as on a full disk): an error naming the file and the OS reason, the old
// file untouched, no temp file left.
TEST(OnnxExportErrors, WriteCutShortKeepsTheOldFile) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = good_file(model, "onnx_cut_short");
  const std::vector<char> before = test::file_bytes(path);
  ASSERT_GT(before.size(), 64u << 10);
  std::string msg;
  {
    FileSizeLimit limit(64 << 10);
    msg = message_of<OnnxExportError>([&] { export_onnx(model, path); });
  }
  EXPECT_EQ(msg,
            path + ": write: expected the model written to " + path + ".tmp, got File too large");
  EXPECT_EQ(test::file_bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// A temp file left by an earlier crash is replaced, and gone after the export.
TEST(OnnxExportErrors, StaleTempFileIsReplaced) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = test::scratch("onnx_stale") + "/model.onnx";
  std::ofstream(path + ".tmp") << std::string(1 << 20, 'x');
  export_onnx(model, path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::vector<char> file = test::file_bytes(path);
  EXPECT_EQ(onnx_model_bytes(model), std::string(file.begin(), file.end()));
}

}  // namespace
}  // namespace signsnet
