// save_checkpoint: the HDF5 file is written to <path>.tmp, flushed to disk, then renamed over
// <path>, so a crash leaves either the old or the new checkpoint, never a torn one, and a save
// that cannot fit is refused before it starts.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
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

void write_hdf5(const std::string& path, const std::string& tmp, const Model& model,
                const CheckpointState& state, bool optimizer) {
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  hid_t file = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (file < 0) io_detail::fail(path, "file", "a writable location", "cannot create " + tmp);
  H5Id owner(file, H5Fclose);
  write_state(path, file, state);
  write_model_config(path, file, model.config());
  write_tensors(path, file, model, optimizer);
  if (H5Fclose(owner.release()) < 0)
    io_detail::fail(path, "file", "a flushed file", "an HDF5 error");
}

void fsync_path(const std::string& path, const std::string& what, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) io_detail::fail(path, what, "an open file", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) io_detail::fail(path, what, "data on disk", std::strerror(err));
}

std::string megabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

// Refuses a save that cannot fit before HDF5 writes anything: the folder's free space and the
// process's file-size limit against the tensors' bytes and a margin for the metadata. HDF5 1.10
// reports a write that fails half-way, but the file it could not close then crashes the process
// at exit (in H5F__close_cb); this check keeps a full disk from getting that far.
void check_room(const std::string& path, const std::string& dir, const Model& model,
                bool optimizer) {
  // The tensors alone: a lower bound of the file's size (HDF5's own structures add 0.1% for
  // ResNet-50, 17% for the tiny model), so the check never refuses a save that would fit.
  double bytes = 0;
  for (const TensorInfo& t : model.tensors())
    bytes += static_cast<double>(t.size()) * sizeof(float) * (optimizer && t.trainable ? 3 : 1);
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) == 0) {
    const double free_blocks = ::geteuid() == 0 ? fs.f_bfree : fs.f_bavail;
    const double free_bytes = free_blocks * static_cast<double>(fs.f_frsize);
    if (free_bytes < bytes)
      io_detail::fail(path, "file", megabytes(bytes) + " free in " + dir,
                      megabytes(free_bytes) + " (No space left on device)");
  }
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      static_cast<double>(limit.rlim_cur) < bytes)
    io_detail::fail(path, "file", "a file-size limit of at least " + megabytes(bytes),
                    megabytes(static_cast<double>(limit.rlim_cur)) + " (File too large)");
}

}  // namespace

const char* library_version() {
  return SIGNSNET_VERSION_STRING;
}

void save_checkpoint(const std::string& path, const Model& model, const CheckpointState& state,
                     bool with_optimizer) {
  io_detail::QuietHdf5 quiet;
  const std::string tmp = path + ".tmp";
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  check_room(path, folder.empty() ? "." : folder.string(), model, with_optimizer);
  try {
    write_hdf5(path, tmp, model, state, with_optimizer);
    fsync_path(tmp, "fsync", false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      io_detail::fail(path, "rename", "the new file in place", std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  // The rename itself must reach the disk too; the file is already complete if this fails.
  fsync_path(folder.empty() ? "." : folder.string(), "fsync", true);
}

}  // namespace signsnet
