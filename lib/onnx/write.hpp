// Writing a ModelProto to a file atomically (temp file, fsync, rename).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace signsnet::onnx_export {

/// Throws OnnxExportError naming `where` when `m` is over protobuf's 2 GiB message limit;
/// returns its serialized size otherwise.
std::int64_t checked_size(const onnx::ModelProto& m, const std::string& where);

/// Writes `m` to `path` via `<path>.tmp` in the same folder: protobuf serializes straight into
/// the file, which is fsynced and renamed over `path`. On any failure the temp file is removed
/// and OnnxExportError "<path>: <field>: expected X, got <OS reason>" thrown. Returns the bytes
/// written.
std::int64_t write_model_file(const onnx::ModelProto& m, const std::string& path);

}  // namespace signsnet::onnx_export
