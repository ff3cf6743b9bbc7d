// save_checkpoint: the HDF5 file is built in memory, written to <path>.tmp and flushed to disk,
// then renamed over <path>, so a crash leaves either the old or the new checkpoint, never a torn
// one, and a full disk leaves the old one.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "io/h5.hpp"
#include "signsnet/checkpoint.hpp"

#ifndef SIGNSNET_VERSION_STRING
#define SIGNSNET_VERSION_STRING "unknown"
#endif

namespace signsnet {
namespace {

using io_detail::H5Id;
using io_detail::write_attr;

void write_model_config(const std::string& file, hid_t root, const ModelConfig& c) {
  write_attr(file, root, "input_height", std::int64_t{c.input_height});
  write_attr(file, root, "input_width", std::int64_t{c.input_width});
  write_attr(file, root, "input_channels", std::int64_t{c.input_channels});
  write_attr(file, root, "classes", std::int64_t{c.classes});
  write_attr(file, root, "stem_channels", std::int64_t{c.stem_channels});
  write_attr(file, root, "kernel", std::int64_t{c.kernel});
  std::vector<std::int64_t> stages;
  for (const StageConfig& s : c.stages)
    stages.insert(stages.end(), {s.blocks, s.mid, s.out, s.stride});
  write_attr(file, root, "stages", stages, c.stages.size(), 4);
  write_attr(file, root, "bn_epsilon", double{c.bn_epsilon});
  write_attr(file, root, "bn_momentum", double{c.bn_momentum});
  write_attr(file, root, "model_seed", std::uint64_t{c.seed});
}

void write_state(const std::string& file, hid_t root, const CheckpointState& s) {
  write_attr(file, root, "format_version", std::int64_t{kCheckpointFormatVersion});
  write_attr(file, root, "signsnet_version", std::string(library_version()));
  write_attr(file, root, "epoch", std::int64_t{s.epoch});
  write_attr(file, root, "step", std::int64_t{s.step});
  write_attr(file, root, "seed", std::uint64_t{s.seed});
  write_attr(file, root, "best_val_accuracy", double{s.best_val_accuracy});
  write_attr(file, root, "epoch_loss_sum", s.epoch_loss_sum);
  write_attr(file, root, "epoch_correct", std::int64_t{s.epoch_correct});
  write_attr(file, root, "epoch_count", std::int64_t{s.epoch_count});
  write_attr(file, root, "train_config", s.train_config_json);
}

H5Id make_group(const std::string& file, hid_t parent, const std::string& name) {
  H5Id g(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) io_detail::fail(file, name, "a new group", "an HDF5 error");
  return g;
}

void write_tensors(const std::string& file, hid_t root, const Model& model, bool optimizer) {
  H5Id weights = make_group(file, root, "weights");
  H5Id opt, m, v;
  if (optimizer) {
    opt = make_group(file, root, "optimizer");
    m = make_group(file, opt.get(), "m");
    v = make_group(file, opt.get(), "v");
  }
  std::vector<float> buffer;
  for (const TensorInfo& t : model.tensors()) {
    buffer.resize(t.size());
    model.read(t.name, buffer.data(), TensorRole::value);
    io_detail::write_floats(file, weights.get(), t.name, t.shape, buffer.data());
    if (!optimizer || !t.trainable) continue;
    model.read(t.name, buffer.data(), TensorRole::first_moment);
    io_detail::write_floats(file, m.get(), t.name, t.shape, buffer.data());
    model.read(t.name, buffer.data(), TensorRole::second_moment);
    io_detail::write_floats(file, v.get(), t.name, t.shape, buffer.data());
  }
}

// The whole HDF5 file, built in memory (HDF5's core driver, no backing file). HDF5 never does
// file I/O here: HDF5 1.10 crashes at exit after an H5Fclose that failed on a full disk (see
// save_checkpoint), so the bytes reach the disk through write_file instead.
std::vector<unsigned char> hdf5_image(const std::string& path, const Model& model,
                                      const CheckpointState& state, bool optimizer) {
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  H5Pset_fapl_core(fapl.get(), std::size_t{16} << 20, /*backing_store=*/0);
  // The name only labels the in-memory file (and differs from any file open for reading).
  const std::string label = path + ".in-memory";
  hid_t file = H5Fcreate(label.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (file < 0) io_detail::fail(path, "file", "a new HDF5 file in memory", "an HDF5 error");
  H5Id owner(file, H5Fclose);
  write_state(path, file, state);
  write_model_config(path, file, model.config());
  write_tensors(path, file, model, optimizer);
  if (H5Fflush(file, H5F_SCOPE_LOCAL) < 0)
    io_detail::fail(path, "file", "a flushed file", "an HDF5 error");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size <= 0) io_detail::fail(path, "file", "a file image", "an HDF5 error");
  std::vector<unsigned char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size)
    io_detail::fail(path, "file", "a file image", "an HDF5 error");
  return image;
}

// Writes `bytes` to `tmp` (created or truncated) and fsyncs it. Errors name `path`, the file the
// caller is replacing, with the operating system's reason ("No space left on device").
void write_file(const std::string& path, const std::string& tmp,
                const std::vector<unsigned char>& bytes) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    io_detail::fail(path, "file", "a writable location", std::strerror(errno) + (" (" + tmp + ")"));
  std::size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0)
    io_detail::fail(path, "file", "a written file", std::strerror(err) + (" (" + tmp + ")"));
}

void fsync_path(const std::string& path, const std::string& what, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) io_detail::fail(path, what, "an open file", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) io_detail::fail(path, what, "data on disk", std::strerror(err));
}

}  // namespace

const char* library_version() {
  return SIGNSNET_VERSION_STRING;
}

void save_checkpoint(const std::string& path, const Model& model, const CheckpointState& state,
                     bool with_optimizer) {
  io_detail::QuietHdf5 quiet;
  const std::string tmp = path + ".tmp";
  try {
    write_file(path, tmp, hdf5_image(path, model, state, with_optimizer));
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      io_detail::fail(path, "rename", "the new file in place", std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  // The rename itself must reach the disk too; the file is already complete if this fails.
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  fsync_path(dir.empty() ? "." : dir.string(), "fsync", true);
}

}  // namespace signsnet
