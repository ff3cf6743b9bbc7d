// The exported model in ONNX Runtime (onnxruntime-node on the CPU, tests/node/onnx_check.js) on
// the 120 SIGNS test images: the same classes as signsnet and probabilities within 1e-4, in one
// batch of 120 and in batches of 7 (the batch dimension is dynamic). The models are trained
// briefly on train_signs.h5 and their batch norm statistics recalibrated, so weights and
// statistics are far from their initial values and the predictions mean something.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "onnx/onnx_test_util.hpp"
#include "signsnet/onnx.hpp"
#include "signsnet/trainer.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

constexpr double kTolerance = 1e-4;
const std::vector<int> kBatches = {120, 7};

std::string node_dir() {
  return SIGNSNET_NODE_DIR;
}

// The Node.js side must be there: a missing node or node_modules fails the test.
void require_node() {
  const std::string node = SIGNSNET_NODE;
  ASSERT_EQ(::access(node.c_str(), X_OK), 0)
      << "node not found (CMake's find_program(SIGNSNET_NODE node) gave '" << node
      << "'): install Node.js (scripts/install-deps.sh) and configure again";
  const std::string ort = node_dir() + "/node_modules/onnxruntime-node/package.json";
  ASSERT_TRUE(std::filesystem::exists(ort))
      << "onnxruntime-node is not installed (no " << ort << "): run scripts/install-deps.sh, or "
      << "cd tests/node && npm ci --ignore-scripts";
}

std::string data_file(const std::string& name) {
  return std::string(SIGNSNET_DATA_DIR) + "/" + name;
}

// `steps` Adam steps on shuffled training batches, then the moving statistics recalibrated on
// `recalibration` batches under the trained weights.
void train_briefly(Model& model, const Dataset& train, int steps, int recalibration) {
  LoaderConfig lc;
  lc.batch_size = model.batch_size();
  lc.drop_last = true;
  lc.seed = 3;
  lc.layout = model.input_layout();
  Loader loader(train, lc);
  Batch b;
  int epoch = 0;
  for (int s = 0; s < steps; ++s) {
    if (!loader.next(b)) {
      loader.start_epoch(++epoch);
      loader.next(b);
    }
    model.train_step(b.images.data(), b.labels.data(), b.count);
  }
  loader.start_epoch(1000);
  model.begin_bn_recalibration();
  for (int i = 0; i < recalibration && loader.next(b); ++i)
    model.accumulate_bn_statistics(b.images.data(), b.count);
  model.end_bn_recalibration();
}

void write_floats(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  ASSERT_TRUE(out.good()) << path;
}

// What onnx_check.js compares: inputs as the exported model takes them and signsnet's outputs.
struct OrtCase {
  std::vector<float> inputs;              // count x image_shape
  std::vector<std::int64_t> image_shape;  // one image in the exported input layout
  std::vector<float> expected;            // count x classes, from signsnet
  int count = 0, classes = 0;
  std::vector<std::int32_t> labels;  // optional
};

// The SIGNS images as the exported model takes them, NHWC float32 pixel / 255 (what signsnet's
// loader computes before laying the batch out for the model), with signsnet's probabilities.
OrtCase signs_case(const Dataset& d, const Evaluation& e) {
  OrtCase c{std::vector<float>(d.pixels.size()),
            {d.height, d.width, d.channels},
            e.probabilities,
            d.count,
            d.classes,
            d.labels};
  for (std::size_t i = 0; i < c.inputs.size(); ++i)
    c.inputs[i] = static_cast<float>(d.pixels[i] / 255.0);
  return c;
}

// Writes the case file onnx_check.js reads; returns its path.
std::string write_case(const std::string& dir, const std::string& onnx, const OrtCase& c,
                       const OnnxExportOptions& o = {}) {
  write_floats(dir + "/inputs.f32", c.inputs);
  write_floats(dir + "/expected.f32", c.expected);
  nlohmann::json j = {{"model", onnx},
                      {"input_name", o.input_name},
                      {"output_name", o.output_name},
                      {"inputs", dir + "/inputs.f32"},
                      {"image_shape", c.image_shape},
                      {"expected", dir + "/expected.f32"},
                      {"count", c.count},
                      {"classes", c.classes},
                      {"batches", kBatches},
                      {"tolerance", kTolerance},
                      {"result", dir + "/result.json"}};
  if (!c.labels.empty()) j["labels"] = c.labels;
  std::ofstream(dir + "/case.json") << j.dump(1);
  return dir + "/case.json";
}

// Runs onnx_check.js; returns its exit code, with its output in `output`.
int run_node(const std::string& case_file, std::string& output) {
  const std::string log = case_file + ".log";
  const std::string cmd = "'" SIGNSNET_NODE "' '" + node_dir() + "/onnx_check.js' '" + case_file +
                          "' >'" + log + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const std::vector<char> text = test::file_bytes(log);
  output.assign(text.begin(), text.end());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// onnx_check.js's result file: every run agrees on all `count` classes, within the tolerance.
void expect_result(const std::string& path, int count) {
  std::ifstream in(path);
  const nlohmann::json result = nlohmann::json::parse(in);
  ASSERT_EQ(result["runs"].size(), kBatches.size());
  for (const nlohmann::json& run : result["runs"]) {
    const std::string batch = std::to_string(run["batch"].get<int>());
    EXPECT_EQ(run["agree"].get<int>(), count) << "batch " << batch;
    EXPECT_LE(run["max_abs_diff"].get<double>(), kTolerance) << "batch " << batch;
    ::testing::Test::RecordProperty("max_abs_diff_batch_" + batch,
                                    std::to_string(run["max_abs_diff"].get<double>()));
  }
}

void check_against_onnx_runtime(const std::string& name, const ModelConfig& config, int steps) {
  require_node();
  if (::testing::Test::HasFatalFailure()) return;
  if (!std::filesystem::exists(data_file("test_signs.h5"))) GTEST_SKIP() << "no SIGNS data";
  const Dataset train = load_hdf5(data_file("train_signs.h5"));
  const Dataset test = load_hdf5(data_file("test_signs.h5"));
  ASSERT_EQ(test.count, 120);
  Model model(config, 32);
  train_briefly(model, train, steps, 8);
  const Evaluation e = evaluate_dataset(model, test, 32);
  std::printf("%s: signsnet test accuracy after %d steps: %.3f\n", name.c_str(), steps, e.accuracy);
  const std::string dir = test::scratch("onnx_runtime_" + name);
  const std::string onnx = dir + "/" + name + ".onnx";
  export_onnx(model, onnx);
  std::string output;
  const int code = run_node(write_case(dir, onnx, signs_case(test, e)), output);
  std::printf("%s", output.c_str());
  ASSERT_EQ(code, 0) << output;
  expect_result(dir + "/result.json", test.count);
  // The files (94 MB for ResNet-50) stay only when something failed.
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

// onnx_check.js is no rubber stamp: a probability off by 2e-4 or another class fails it.
TEST(OnnxRuntime, CheckFailsOnDifferences) {
  require_node();
  if (::testing::Test::HasFatalFailure()) return;
  const Dataset data = test::synthetic_dataset(12, 16, 3);
  Model model(ModelConfig::tiny(16, 3), 4);
  Evaluation e = evaluate_dataset(model, data, 4);
  const std::string dir = test::scratch("onnx_runtime_check");
  const std::string onnx = dir + "/tiny.onnx";
  export_onnx(model, onnx);
  std::string output;
  ASSERT_EQ(run_node(write_case(dir, onnx, signs_case(data, e)), output), 0) << output;
  e.probabilities[5] += 2e-4f;
  EXPECT_EQ(run_node(write_case(dir, onnx, signs_case(data, e)), output), 1) << output;
  EXPECT_NE(output.find("max |p_ort - p_signsnet| 2.0"), std::string::npos) << output;
  e.probabilities[5] -= 2e-4f;
  const int other = (e.predictions[0] + 1) % 3;
  for (int k = 0; k < 3; ++k) e.probabilities[k] = k == other ? 1.0f : 0.0f;
  EXPECT_EQ(run_node(write_case(dir, onnx, signs_case(data, e)), output), 1) << output;
  EXPECT_NE(output.find("class mismatch: image 0: ONNX Runtime " +
                        std::to_string(e.predictions[0]) + ", signsnet " + std::to_string(other)),
            std::string::npos)
      << output;
}

// NHWC images of `c`'s size with seeded values in [0, 1]; `nchw` gets the same as NCHW.
std::vector<float> random_images(const ModelConfig& c, int count, std::vector<float>& nchw) {
  const int h = c.input_height, w = c.input_width, ch = c.input_channels;
  std::vector<float> nhwc(static_cast<std::size_t>(count) * h * w * ch);
  nchw.resize(nhwc.size());
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  // Each image its own brightness and vertical gradient, so that the outputs differ.
  const std::size_t row = static_cast<std::size_t>(w) * ch;
  for (std::size_t i = 0; i < nhwc.size(); ++i) {
    const int n = static_cast<int>(i / (row * h)), y = static_cast<int>(i / row % h);
    const float gradient = n % 2 ? static_cast<float>(y) / h : 1.0f - static_cast<float>(y) / h;
    nhwc[i] = u(rng) * (0.1f + 0.9f * n / count) * gradient;
  }
  for (int n = 0; n < count; ++n)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < ch; ++k)
          nchw[((static_cast<std::size_t>(n) * ch + k) * h + y) * w + x] =
              nhwc[((static_cast<std::size_t>(n) * h + y) * w + x) * ch + k];
  return nhwc;
}

// A config unlike the SIGNS ones: one input channel, a 40x24 input, kernel 5, an identity block,
// and a 2x1 map before the dense layer (where Flatten's order matters); random batch norm scales
// and shifts, statistics of the images. Both input layouts, other input and output names.
TEST(OnnxRuntime, OtherConfigMatchesSignsnetInBothLayouts) {
  require_node();
  if (::testing::Test::HasFatalFailure()) return;
  ModelConfig c;
  c.input_height = 40;
  c.input_width = 24;
  c.input_channels = 1;
  c.classes = 4;
  c.stem_channels = 8;
  c.kernel = 5;
  c.stages = {{2, 8, 16, 1}, {1, 8, 24, 2}};
  c.seed = 9;
  Model model(c, 4);
  test::randomize_batchnorm(model, 21);
  // A strong dense layer, so that each of the 2x1 positions and channels sways the classes.
  std::vector<float> dense(static_cast<std::size_t>(c.classes) * 24 * 2);
  std::mt19937 rng(5);
  for (float& v : dense) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
  model.write("head.dense.weight", dense.data());
  const int count = 20;
  std::vector<float> nchw;
  const std::vector<float> nhwc = random_images(c, count, nchw);
  OrtCase oc{{}, {}, std::vector<float>(count * c.classes), count, c.classes, {}};
  const float* images = model.input_layout() == ImageLayout::nchw ? nchw.data() : nhwc.data();
  // Statistics of these images under the weights: every layer's output then varies with its input.
  model.begin_bn_recalibration();
  model.accumulate_bn_statistics(images, count);
  model.end_bn_recalibration();
  model.predict(images, count, oc.expected.data());
  std::set<int> classes;
  for (int n = 0; n < count; ++n) {
    const float* p = oc.expected.data() + n * c.classes;
    classes.insert(static_cast<int>(std::max_element(p, p + c.classes) - p));
  }
  ASSERT_GE(classes.size(), 2u) << "every image gets the same class: a weak test";
  for (ImageLayout layout : {ImageLayout::nchw, ImageLayout::nhwc}) {
    const bool is_nchw = layout == ImageLayout::nchw;
    SCOPED_TRACE(is_nchw ? "NCHW" : "NHWC");
    OnnxExportOptions o;
    o.input_layout = layout;
    o.input_name = "x";
    o.output_name = "p";
    const std::string dir =
        test::scratch(std::string("onnx_runtime_other_") + (is_nchw ? "nchw" : "nhwc"));
    export_onnx(model, dir + "/other.onnx", o);
    oc.inputs = is_nchw ? nchw : nhwc;
    oc.image_shape =
        is_nchw ? std::vector<std::int64_t>{1, 40, 24} : std::vector<std::int64_t>{40, 24, 1};
    std::string output;
    EXPECT_EQ(run_node(write_case(dir, dir + "/other.onnx", oc, o), output), 0) << output;
    std::printf("%s", output.c_str());
  }
}

TEST(OnnxRuntime, TinyMatchesSignsnetOnSignsTestSet) {
  check_against_onnx_runtime("tiny", ModelConfig::tiny(64, 6), 60);
}

TEST(OnnxRuntime, ResNet50MatchesSignsnetOnSignsTestSet) {
  check_against_onnx_runtime("resnet50", ModelConfig::resnet50(), 20);
}

}  // namespace
}  // namespace signsnet
