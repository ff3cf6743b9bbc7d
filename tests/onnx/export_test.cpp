// The exported graph, read back with ONNX's classes: ONNX's checker and strict shape inference,
// opset and IR version, the dynamic batch dimension, node and initializer counts, names, folded
// weights and metadata, for the tiny model and the default ResNet-50.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "onnx/onnx_test_util.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/onnx.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

// Runs ONNX's checker and strict shape inference on `m` (shape inference fills value_info).
void check_and_infer(onnx::ModelProto& m) {
  EXPECT_NO_THROW(onnx::checker::check_model(m));
  const onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1);
  EXPECT_NO_THROW(
      onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), strict));
}

std::vector<std::string> inferred_dims(const onnx::ModelProto& m, const std::string& value) {
  for (const onnx::ValueInfoProto& v : m.graph().value_info())
    if (v.name() == value) return test::dims_of(v);
  ADD_FAILURE() << "shape inference gave no shape for " << value;
  return {};
}

std::map<std::string, std::string> metadata(const onnx::ModelProto& m) {
  std::map<std::string, std::string> out;
  for (const auto& e : m.metadata_props()) out[e.key()] = e.value();
  return out;
}

onnx::ModelProto export_and_read(const Model& model, const std::string& name,
                                 const OnnxExportOptions& o = {}) {
  const std::string path = test::scratch("onnx_" + name) + "/" + name + ".onnx";
  const OnnxExportInfo info = export_onnx(model, path, o);
  EXPECT_EQ(info.path, path);
  EXPECT_EQ(info.bytes, static_cast<std::int64_t>(test::file_bytes(path).size()));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  onnx::ModelProto m = test::read_onnx(path);
  EXPECT_EQ(info.nodes, m.graph().node_size());
  EXPECT_EQ(info.initializers, m.graph().initializer_size());
  std::filesystem::remove(path);  // ResNet-50's is 94 MB; the model is read
  return m;
}

TEST(OnnxExport, TinyModelPassesCheckerAndShapeInference) {
  Model model(ModelConfig::tiny(16, 3), 2);
  onnx::ModelProto m = export_and_read(model, "tiny");
  EXPECT_EQ(m.ir_version(), kOnnxIrVersion);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  check_and_infer(m);
  ASSERT_EQ(m.graph().input_size(), 1);
  ASSERT_EQ(m.graph().output_size(), 1);
  EXPECT_EQ(m.graph().input(0).name(), "images");
  EXPECT_EQ(test::dims_of(m.graph().input(0)),
            (std::vector<std::string>{"batch", "16", "16", "3"}));
  EXPECT_EQ(m.graph().output(0).name(), "probabilities");
  EXPECT_EQ(test::dims_of(m.graph().output(0)), (std::vector<std::string>{"batch", "3"}));
  EXPECT_EQ(inferred_dims(m, "input.nchw"), (std::vector<std::string>{"batch", "3", "16", "16"}));
  EXPECT_EQ(inferred_dims(m, "stem.pool"), (std::vector<std::string>{"batch", "16", "3", "3"}));
  EXPECT_EQ(inferred_dims(m, "head.dense"), (std::vector<std::string>{"batch", "3"}));
  // 1 stem + 4 stages x 1 convolutional block x 4 convolutions; stem and 3 per block ReLUs.
  const std::map<std::string, int> ops = {{"Add", 4},     {"AveragePool", 1}, {"Conv", 17},
                                          {"Flatten", 1}, {"Gemm", 1},        {"MaxPool", 1},
                                          {"Relu", 13},   {"Softmax", 1},     {"Transpose", 1}};
  EXPECT_EQ(test::op_counts(m), ops);
  EXPECT_EQ(m.graph().initializer_size(), 2 * 17 + 2);  // weight and bias per Conv and Gemm
}

TEST(OnnxExport, ResNet50Graph) {
  Model model(ModelConfig::resnet50(), 1);
  onnx::ModelProto m = export_and_read(model, "resnet50");
  check_and_infer(m);
  const std::map<std::string, int> ops = test::op_counts(m);
  EXPECT_EQ(ops.at("Conv"), 53);
  EXPECT_EQ(ops.count("BatchNormalization"), 0u);
  EXPECT_EQ(ops.at("Relu"), 1 + 16 * 3);
  EXPECT_EQ(ops.at("Add"), 16);
  EXPECT_EQ(m.graph().initializer_size(), 53 * 2 + 2);
  EXPECT_EQ(test::dims_of(m.graph().input(0)),
            (std::vector<std::string>{"batch", "64", "64", "3"}));
  EXPECT_EQ(test::dims_of(m.graph().output(0)), (std::vector<std::string>{"batch", "6"}));
  EXPECT_EQ(inferred_dims(m, "stage5.block2.add.relu"),
            (std::vector<std::string>{"batch", "2048", "2", "2"}));
  EXPECT_EQ(inferred_dims(m, "head.flatten"), (std::vector<std::string>{"batch", "2048"}));
  const onnx::TensorProto* w = test::find_initializer(m, "stage3.block0.conv2.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(std::vector<std::int64_t>(w->dims().begin(), w->dims().end()),
            (std::vector<std::int64_t>{128, 128, 3, 3}));
  EXPECT_EQ(test::find_initializer(m, "stage3.block0.bn2.gamma"), nullptr);
  std::int64_t floats = 0;
  for (const onnx::TensorProto& t : m.graph().initializer()) floats += test::floats_of(t).size();
  // Every trainable parameter except BN's scales and shifts (folded into the convolutions).
  EXPECT_EQ(floats, model.parameter_counts().trainable - 2 * 26560);
}

// The initializers of one convolution are its weights and bias with the batch norm folded in, by
// the formula, computed here independently of lib/onnx.
TEST(OnnxExport, InitializersHoldTheFoldedWeights) {
  Model model(ModelConfig::tiny(16, 3), 2);
  test::randomize_batchnorm(model, 5);
  const onnx::ModelProto m = export_and_read(model, "folded");
  for (const std::string conv :
       {"stem.conv", "stage3.block0.conv2", "stage4.block0.shortcut.conv"}) {
    SCOPED_TRACE(conv);
    const std::string bn = conv == "stem.conv" ? "stem.bn"
                           : conv.find("shortcut") != std::string::npos
                               ? "stage4.block0.shortcut.bn"
                               : "stage3.block0.bn2";
    auto read = [&](const std::string& name) {
      std::int64_t n = 0;
      for (const TensorInfo& t : model.tensors())
        if (t.name == name) n = t.size();
      std::vector<float> v(static_cast<std::size_t>(n));
      model.read(name, v.data());
      return v;
    };
    const std::vector<float> w = read(conv + ".weight"), b = read(conv + ".bias"),
                             g = read(bn + ".gamma"), beta = read(bn + ".beta"),
                             mean = read(bn + ".moving_mean"), var = read(bn + ".moving_variance");
    const std::vector<float> fw = test::floats_of(*test::find_initializer(m, conv + ".weight"));
    const std::vector<float> fb = test::floats_of(*test::find_initializer(m, conv + ".bias"));
    ASSERT_EQ(fw.size(), w.size());
    ASSERT_EQ(fb.size(), b.size());
    const std::size_t per = w.size() / b.size();
    for (std::size_t o = 0; o < b.size(); ++o) {
      const float s = g[o] / std::sqrt(var[o] + model.config().bn_epsilon);
      EXPECT_NEAR(fb[o], (b[o] - mean[o]) * s + beta[o], 1e-5f) << o;
      for (std::size_t k = 0; k < per; ++k) EXPECT_NEAR(fw[o * per + k], w[o * per + k] * s, 1e-6f);
    }
  }
}

TEST(OnnxExport, ProducerDocAndMetadata) {
  Model model(ModelConfig::tiny(16, 3), 2);
  OnnxExportOptions o;
  o.class_names = {"zero", "one", "two \"quoted\""};
  o.metadata = {{"epoch", "4"}};
  const onnx::ModelProto m = export_and_read(model, "metadata", o);
  EXPECT_EQ(m.producer_name(), "signsnet");
  EXPECT_EQ(m.producer_version(), library_version());
  EXPECT_NE(m.doc_string().find("NHWC"), std::string::npos) << m.doc_string();
  EXPECT_NE(m.doc_string().find("/ 255"), std::string::npos) << m.doc_string();
  const auto meta = metadata(m);
  EXPECT_EQ(meta.at("input_layout"), "NHWC");
  EXPECT_EQ(meta.at("bn_epsilon"), "0.001");
  EXPECT_EQ(meta.at("signsnet_version"), library_version());
  EXPECT_EQ(meta.at("epoch"), "4");
  EXPECT_EQ(nlohmann::json::parse(meta.at("class_names")).get<std::vector<std::string>>(),
            o.class_names);
  EXPECT_EQ(m.graph().node(1).name(), "stem.conv");
  EXPECT_NE(m.graph().node(1).doc_string().find("stem.bn"), std::string::npos);
}

TEST(OnnxExport, NchwInputNeedsNoTranspose) {
  Model model(ModelConfig::tiny(16, 3), 2);
  OnnxExportOptions o;
  o.input_layout = ImageLayout::nchw;
  o.input_name = "x";
  o.output_name = "p";
  o.batch_dim = "N";
  onnx::ModelProto m = export_and_read(model, "nchw", o);
  check_and_infer(m);
  EXPECT_EQ(test::op_counts(m).count("Transpose"), 0u);
  EXPECT_EQ(test::dims_of(m.graph().input(0)), (std::vector<std::string>{"N", "3", "16", "16"}));
  EXPECT_EQ(test::dims_of(m.graph().output(0)), (std::vector<std::string>{"N", "3"}));
  EXPECT_EQ(metadata(m).at("input_layout"), "NCHW");
}

TEST(OnnxExport, BytesAreTheFile) {
  Model model(ModelConfig::tiny(16, 3), 2);
  const std::string path = test::scratch("onnx_bytes") + "/m.onnx";
  export_onnx(model, path);
  const std::vector<char> file = test::file_bytes(path);
  EXPECT_EQ(onnx_model_bytes(model), std::string(file.begin(), file.end()));
}

}  // namespace
}  // namespace signsnet
