// Export to ONNX: the inference network of a Model, with batch norm folded into the convolutions,
// as one .onnx file for ONNX Runtime and other ONNX consumers. No protobuf or ONNX types here.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "signsnet/config.hpp"
#include "signsnet/model.hpp"

namespace signsnet {

/// The ONNX operator set the exported graph uses (the default domain only).
constexpr int kOnnxOpset = 13;
/// The ONNX IR version written: 7, the one opset 13 was released with (ONNX 1.8). ONNX 1.12's
/// checker accepts IR versions up to 8; every ONNX Runtime since 1.6 reads it.
constexpr int kOnnxIrVersion = 7;

/// An export that cannot be built or written. Messages read "<file>: <field>: expected X, got Y".
class OnnxExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How the exported graph looks from outside. The input is always float32 RGB scaled to [0, 1]
/// (pixel / 255, as signsnet trains), the output softmax probabilities [batch, classes].
struct OnnxExportOptions {
  /// nhwc: input [batch, height, width, channels], as the SIGNS HDF5 files, Keras, and image
  /// libraries hold pixels (a Transpose node inside the graph makes it NCHW). nchw: input
  /// [batch, channels, height, width], as PyTorch models take it.
  ImageLayout input_layout = ImageLayout::nhwc;
  std::string input_name = "images";
  std::string output_name = "probabilities";
  /// dim_param of the first dimension of input and output: any batch size runs.
  std::string batch_dim = "batch";
  /// Empty, or one name per class: stored as the metadata entry "class_names" (a JSON array).
  std::vector<std::string> class_names;
  /// Further metadata_props entries (key, value), after signsnet's own (see export_onnx).
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// What export_onnx wrote.
struct OnnxExportInfo {
  std::string path;
  std::int64_t bytes = 0;  ///< size of the file
  int nodes = 0;           ///< graph nodes
  int initializers = 0;    ///< weight and bias tensors (batch norm folded: no BN tensors)
  int opset = kOnnxOpset;  ///< operator set of the default domain
  int ir_version = kOnnxIrVersion;
};

/// The serialized ONNX ModelProto of `model`'s inference network: Conv (batch norm folded in,
/// with the model's moving statistics and bn_epsilon), Relu, MaxPool, Add, AveragePool, Flatten,
/// Gemm, Softmax, named with signsnet's dotted layer names (initializers `<conv>.weight` and
/// `<conv>.bias`, `head.dense.weight` [classes, features] with transB). producer_name "signsnet",
/// producer_version library_version(); metadata_props: input_layout, input_scale, bn_epsilon,
/// signsnet_version, class_names (if given), then options.metadata. Throws OnnxExportError for
/// bad options ("<where>: <field>: ..."; `where` names the destination in messages).
std::string onnx_model_bytes(const Model& model, const OnnxExportOptions& options = {},
                             const std::string& where = "onnx");

/// Writes onnx_model_bytes() to `path` via `<path>.tmp` in the same folder (fsync, then rename),
/// so `path` is either the old file or the complete new one. On failure removes the temp file
/// and throws OnnxExportError naming `path`.
OnnxExportInfo export_onnx(const Model& model, const std::string& path,
                           const OnnxExportOptions& options = {});

}  // namespace signsnet
