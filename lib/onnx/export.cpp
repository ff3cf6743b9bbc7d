// export_onnx: the model's graph, its inputs, outputs and metadata, then the file.
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "onnx/graph.hpp"
#include "onnx/resnet_graph.hpp"
#include "onnx/write.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/onnx.hpp"

namespace signsnet {
namespace {

using namespace onnx_export;

// metadata_props keys export_onnx writes itself.
const std::set<std::string> kOwnKeys = {"input_layout", "input_scale", "bn_epsilon",
                                        "signsnet_version", "class_names"};

const char* layout_name(ImageLayout layout) {
  return layout == ImageLayout::nhwc ? "NHWC" : "NCHW";
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

void check_options(const Model& model, const OnnxExportOptions& o, const std::string& where) {
  if (o.input_name.empty()) fail(where, "input_name", "a name", "''");
  if (o.output_name.empty()) fail(where, "output_name", "a name", "''");
  if (o.output_name == o.input_name)
    fail(where, "output_name", "a name other than input_name", quoted(o.output_name));
  if (o.batch_dim.empty()) fail(where, "batch_dim", "a dim_param name", "''");
  const int classes = model.config().classes;
  if (!o.class_names.empty() && static_cast<int>(o.class_names.size()) != classes)
    fail(where, "class_names", std::to_string(classes) + " names (the model's classes) or none",
         std::to_string(o.class_names.size()));
  for (const auto& [key, value] : o.metadata) {
    if (key.empty() || kOwnKeys.count(key))
      fail(where, "metadata", "keys other than '' and signsnet's own", quoted(key));
  }
}

// The graph input in the chosen layout; returns the NCHW value the network reads.
std::string add_input(GraphBuilder& g, const ModelConfig& c, const OnnxExportOptions& o) {
  const Dim n{0, o.batch_dim}, ch{c.input_channels, {}}, h{c.input_height, {}},
      w{c.input_width, {}};
  if (o.input_layout == ImageLayout::nchw) {
    g.input(o.input_name, {n, ch, h, w});
    return o.input_name;
  }
  g.input(o.input_name, {n, h, w, ch});
  set_ints(g.node("Transpose", "input.transpose", {o.input_name}, "input.nchw"), "perm",
           {0, 3, 1, 2});
  return "input.nchw";
}

// Every value name (graph input, initializers, node outputs) is used once.
void check_unique_names(const onnx::GraphProto& g, const std::string& where) {
  std::set<std::string> seen;
  auto add = [&](const std::string& name) {
    if (!seen.insert(name).second)
      fail(where, "value names", "input_name and output_name unlike every layer's names",
           quoted(name) + " twice");
  };
  for (const auto& v : g.input()) add(v.name());
  for (const auto& t : g.initializer()) add(t.name());
  for (const auto& n : g.node()) add(n.output(0));
}

void add_metadata(onnx::ModelProto& m, const ModelConfig& c, const OnnxExportOptions& o) {
  auto add = [&](const std::string& key, const std::string& value) {
    onnx::StringStringEntryProto* e = m.add_metadata_props();
    e->set_key(key);
    e->set_value(value);
  };
  std::ostringstream eps;
  eps << c.bn_epsilon;
  add("input_layout", layout_name(o.input_layout));
  add("input_scale", "RGB pixel / 255, float32 in [0, 1]");
  add("bn_epsilon", eps.str());
  add("signsnet_version", library_version());
  if (!o.class_names.empty()) add("class_names", nlohmann::json(o.class_names).dump());
  for (const auto& [key, value] : o.metadata) add(key, value);
}

std::string model_doc(const ModelConfig& c, const OnnxExportOptions& o) {
  const std::string side = std::to_string(c.input_height) + ", " + std::to_string(c.input_width);
  const std::string ch = std::to_string(c.input_channels);
  const std::string shape =
      o.input_layout == ImageLayout::nhwc ? side + ", " + ch : ch + ", " + side;
  return "signsnet " + std::string(library_version()) + " ResNet. Input '" + o.input_name +
         "': float32 [" + o.batch_dim + ", " + shape + "] (" + layout_name(o.input_layout) +
         "), RGB pixels / 255 (in [0, 1]). Output '" + o.output_name + "': float32 [" +
         o.batch_dim + ", " + std::to_string(c.classes) +
         "], softmax probabilities. Batch norm is folded into the convolutions.";
}

onnx::ModelProto build_model(const Model& model, const OnnxExportOptions& o,
                             const std::string& where) {
  check_options(model, o, where);
  const ModelConfig& c = model.config();
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.add_opset_import()->set_version(kOnnxOpset);  // the default domain ("")
  m.set_producer_name("signsnet");
  m.set_producer_version(library_version());
  m.set_doc_string(model_doc(c, o));
  onnx::GraphProto& graph = *m.mutable_graph();
  graph.set_name("signsnet_resnet");
  GraphBuilder g(graph);
  const std::string x = add_input(g, c, o);
  add_resnet(model, g, x, o.output_name);
  g.output(o.output_name, {Dim{0, o.batch_dim}, Dim{c.classes, {}}});
  check_unique_names(graph, where);
  add_metadata(m, c, o);
  return m;
}

}  // namespace

std::string onnx_model_bytes(const Model& model, const OnnxExportOptions& options,
                             const std::string& where) {
  const onnx::ModelProto m = build_model(model, options, where);
  checked_size(m, where);
  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail(where, "serialize", "a serialized model", "an error");
  return bytes;
}

OnnxExportInfo export_onnx(const Model& model, const std::string& path,
                           const OnnxExportOptions& options) {
  if (path.empty()) fail("export_onnx", "path", "a file name", "''");
  const onnx::ModelProto m = build_model(model, options, path);
  OnnxExportInfo info;
  info.path = path;
  info.bytes = write_model_file(m, path);
  info.nodes = m.graph().node_size();
  info.initializers = m.graph().initializer_size();
  return info;
}

}  // namespace signsnet
