#include "onnx/resnet_graph.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "onnx/fold.hpp"

namespace signsnet::onnx_export {
namespace {

using Ints = std::vector<std::int64_t>;

[[noreturn]] void internal(int line, const std::string& what) {
  throw std::logic_error(std::string(__FILE__) + ":" + std::to_string(line) + ": " + what);
}

// The current feature map of one image: C x H x W.
struct Map {
  std::int64_t channels = 0, height = 0, width = 0;
};

// Output side of a 'valid' window of `kernel` with `stride` after `pad` on both sides.
std::int64_t out_side(std::int64_t in, int kernel, int stride, int pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

// Walks the config in the order lib/core/network.cpp builds it, adding nodes as it goes.
class ResnetWriter {
 public:
  ResnetWriter(const Model& model, GraphBuilder& g) : model_(model), g_(g) {
    for (const TensorInfo& t : model.tensors()) tensors_[t.name] = t;
    const ModelConfig& c = model.config();
    map_ = {c.input_channels, c.input_height, c.input_width};
  }

  std::string stem(const std::string& x) {
    const std::string y = relu(conv_bn(x, "stem.conv", "stem.bn", 7, 2, 3), "stem.bn");
    return pool("MaxPool", "stem.pool", y, 3, 2);
  }

  // A bottleneck block; the first of a stage has the shortcut convolution and the stride.
  std::string block(const std::string& x, const std::string& name, int stride, bool projection) {
    const Map in = map_;
    const int k = model_.config().kernel;
    std::string y = relu(conv_bn(x, name + ".conv1", name + ".bn1", 1, stride, 0), name + ".bn1");
    y = relu(conv_bn(y, name + ".conv2", name + ".bn2", k, 1, k / 2), name + ".bn2");
    y = conv_bn(y, name + ".conv3", name + ".bn3", 1, 1, 0);
    std::string shortcut = x;
    if (projection) {
      const Map main = map_;
      map_ = in;
      shortcut = conv_bn(x, name + ".shortcut.conv", name + ".shortcut.bn", 1, stride, 0);
      if (map_.channels != main.channels || map_.height != main.height)
        internal(__LINE__, name + ": the shortcut's shape differs from the main branch's");
    }
    g_.node("Add", name + ".add", {y, shortcut}, name + ".add");
    return relu(name + ".add", name + ".add");
  }

  std::string head(const std::string& x, const std::string& output) {
    // Keras' AvgPool 2x2 (valid); a feature map smaller than 2x2 pools 1x1 (as network.cpp).
    const int p = static_cast<int>(std::min<std::int64_t>({2, map_.height, map_.width}));
    std::string y = pool("AveragePool", "head.pool", x, p, p);
    check_layer("head.pool");
    g_.node("Flatten", "head.flatten", {y}, "head.flatten");
    y = "head.flatten";
    const std::int64_t features = map_.channels * map_.height * map_.width;
    const TensorInfo& w = tensor("head.dense.weight");
    if (w.shape != Ints{model_.config().classes, features})
      internal(__LINE__, "head.dense.weight: expected [classes, C*H*W] of the pooled map");
    g_.initializer(w.name, w.shape, read(w.name));
    g_.initializer("head.dense.bias", tensor("head.dense.bias").shape, read("head.dense.bias"));
    // The weight is [out][in] (signsnet's plain layout): Gemm computes x * W^T + b.
    set_int(g_.node("Gemm", "head.dense", {y, w.name, "head.dense.bias"}, "head.dense"), "transB",
            1);
    set_int(g_.node("Softmax", "head.softmax", {"head.dense"}, output), "axis", 1);
    return output;
  }

 private:
  const TensorInfo& tensor(const std::string& name) const {
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) internal(__LINE__, "the model has no tensor " + name);
    return it->second;
  }

  std::vector<float> read(const std::string& name) const {
    std::vector<float> v(static_cast<std::size_t>(tensor(name).size()));
    model_.read(name, v.data());
    return v;
  }

  ConvBn read_conv_bn(const std::string& conv, const std::string& bn) const {
    ConvBn c{read(conv + ".weight"),    read(conv + ".bias"),      read(bn + ".gamma"),
             read(bn + ".beta"),        read(bn + ".moving_mean"), read(bn + ".moving_variance"),
             model_.config().bn_epsilon};
    fold_batchnorm(c);
    return c;
  }

  // conv -> bn as one Conv node named `conv` (its output value has the same name).
  std::string conv_bn(const std::string& x, const std::string& conv, const std::string& bn,
                      int kernel, int stride, int pad) {
    const Ints& shape = tensor(conv + ".weight").shape;  // O, I, kH, kW
    if (shape.size() != 4 || shape[1] != map_.channels || shape[2] != kernel || shape[3] != kernel)
      internal(__LINE__, conv + ".weight: not the OIHW shape the config implies");
    const ConvBn c = read_conv_bn(conv, bn);
    g_.initializer(conv + ".weight", shape, c.weight);
    g_.initializer(conv + ".bias", {shape[0]}, c.bias);
    onnx::NodeProto& n = g_.node("Conv", conv, {x, conv + ".weight", conv + ".bias"}, conv);
    n.set_doc_string(conv + " with " + bn + " folded in (moving statistics)");
    set_ints(n, "kernel_shape", {kernel, kernel});
    set_ints(n, "strides", {stride, stride});
    set_ints(n, "pads", {pad, pad, pad, pad});
    map_ = {shape[0], out_side(map_.height, kernel, stride, pad),
            out_side(map_.width, kernel, stride, pad)};
    return conv;
  }

  // The ReLU signsnet fuses into the layer `layer` (a batch norm or a residual add).
  std::string relu(const std::string& x, const std::string& layer) {
    g_.node("Relu", layer + ".relu", {x}, layer + ".relu");
    return layer + ".relu";
  }

  std::string pool(const std::string& op, const std::string& name, const std::string& x, int kernel,
                   int stride) {
    onnx::NodeProto& n = g_.node(op, name, {x}, name);
    set_ints(n, "kernel_shape", {kernel, kernel});
    set_ints(n, "strides", {stride, stride});
    map_.height = out_side(map_.height, kernel, stride, 0);
    map_.width = out_side(map_.width, kernel, stride, 0);
    return name;
  }

  // The shape walked so far must be the one the model reports for `layer`.
  void check_layer(const std::string& layer) const {
    for (const LayerInfo& l : model_.layers()) {
      if (l.name == layer && l.output_shape == Ints{map_.channels, map_.height, map_.width}) return;
    }
    internal(__LINE__, layer + ": the exported shape differs from the model's");
  }

  const Model& model_;
  GraphBuilder& g_;
  std::map<std::string, TensorInfo> tensors_;
  Map map_;
};

}  // namespace

void add_resnet(const Model& model, GraphBuilder& g, const std::string& input,
                const std::string& output) {
  ResnetWriter w(model, g);
  std::string x = w.stem(input);
  const std::vector<StageConfig>& stages = model.config().stages;
  for (std::size_t s = 0; s < stages.size(); ++s) {
    for (int i = 0; i < stages[s].blocks; ++i) {
      const std::string name = "stage" + std::to_string(s + 2) + ".block" + std::to_string(i);
      x = w.block(x, name, i == 0 ? stages[s].stride : 1, i == 0);
    }
  }
  w.head(x, output);
}

}  // namespace signsnet::onnx_export
