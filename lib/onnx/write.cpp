#include "onnx/write.hpp"

#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "onnx/graph.hpp"

namespace signsnet::onnx_export {
namespace {

std::string os_error(int err) {
  return std::string(std::strerror(err));
}

// Serializes `m` into the open file `fd` and makes it durable; `fd` stays open.
void serialize_to(const onnx::ModelProto& m, int fd, const std::string& path,
                  const std::string& tmp) {
  google::protobuf::io::FileOutputStream out(fd);
  bool ok = m.SerializeToZeroCopyStream(&out);
  ok = out.Flush() && ok;  // the stream's last buffer, even when serializing stopped early
  if (!ok) {
    const int err = out.GetErrno();
    fail(path, "write", "the model written to " + tmp,
         err ? os_error(err) : std::string("a protobuf serialization error"));
  }
  if (::fsync(fd) != 0) fail(path, "fsync", "data on disk", os_error(errno));
}

void sync_folder(const std::string& path, const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "fsync", "an open folder " + folder, os_error(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail(path, "fsync", "the rename on disk", os_error(err));
}

}  // namespace

std::int64_t checked_size(const onnx::ModelProto& m, const std::string& where) {
  const std::size_t bytes = m.ByteSizeLong();
  if (bytes > static_cast<std::size_t>(INT_MAX))
    fail(where, "size", "at most 2 GiB (protobuf's message limit)",
         std::to_string(bytes) + " bytes");
  return static_cast<std::int64_t>(bytes);
}

std::int64_t write_model_file(const onnx::ModelProto& m, const std::string& path) {
  const std::int64_t bytes = checked_size(m, path);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    fail(path, "file", "a writable location",
         "cannot create " + tmp + " (" + os_error(errno) + ")");
  bool open = true;
  try {
    serialize_to(m, fd, path, tmp);
    open = false;  // close releases the descriptor even when it fails
    if (::close(fd) != 0) fail(path, "close", "the file closed", os_error(errno));
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      fail(path, "rename", "the new file in place of " + path, os_error(errno));
  } catch (...) {
    if (open) ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  sync_folder(path, folder.empty() ? "." : folder.string());
  return bytes;
}

}  // namespace signsnet::onnx_export
