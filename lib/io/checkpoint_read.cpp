// Reading checkpoints: attributes first (format version, architecture), then the tensors.
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <sstream>
#include <vector>

#include "data/hdf5_util.hpp"
#include "io/h5.hpp"
#include "signsnet/checkpoint.hpp"

namespace signsnet {
namespace {

using io_detail::fail;
using io_detail::H5Id;

H5Id open_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(path, "file", "an HDF5 checkpoint", "no such file");
  if (S_ISDIR(st.st_mode)) fail(path, "file", "an HDF5 checkpoint", "a directory");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "file", "an HDF5 checkpoint", "another format");
  const data_detail::SuperblockProblem p = data_detail::hdf5_superblock_problem(path);
  if (!p.field.empty()) fail(path, p.field, p.expected, p.got);
  H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail(path, "file", "a readable HDF5 file", "an HDF5 error");
  return file;
}

// An int64 attribute that must fit an int (a wider value must not wrap into a plausible one).
int to_int(const std::string& path, const std::string& name, std::int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) fail(path, name, "a 32-bit integer", std::to_string(v));
  return static_cast<int>(v);
}

int read_int(const std::string& path, hid_t root, const char* name) {
  return to_int(path, name, io_detail::read_int_attr(path, root, name));
}

int read_bounded(const std::string& path, hid_t root, const char* name, std::int64_t most) {
  const std::int64_t v = io_detail::read_int_attr(path, root, name);
  if (v > most) fail(path, name, "at most " + std::to_string(most), std::to_string(v));
  return to_int(path, name, v);
}

std::vector<StageConfig> read_stages(const std::string& path, hid_t root,
                                     const CheckpointLimits& limits) {
  const std::vector<std::int64_t> s =
      io_detail::read_int_matrix_attr(path, root, "stages", 4, limits.max_stages);
  std::vector<StageConfig> stages;
  for (std::size_t i = 0; i + 3 < s.size(); i += 4) {
    const std::string row = "stages[" + std::to_string(i / 4) + "]";
    stages.push_back({to_int(path, row + ".blocks", s[i]), to_int(path, row + ".mid", s[i + 1]),
                      to_int(path, row + ".out", s[i + 2]),
                      to_int(path, row + ".stride", s[i + 3])});
  }
  return stages;
}

ModelConfig read_model_config(const std::string& path, hid_t root, const CheckpointLimits& limits) {
  ModelConfig c;
  c.input_height = read_bounded(path, root, "input_height", limits.max_input_side);
  c.input_width = read_bounded(path, root, "input_width", limits.max_input_side);
  c.input_channels = read_int(path, root, "input_channels");
  c.classes = read_bounded(path, root, "classes", limits.max_classes);
  c.stem_channels = read_int(path, root, "stem_channels");
  c.kernel = read_int(path, root, "kernel");
  c.stages = read_stages(path, root, limits);
  c.bn_epsilon = static_cast<float>(io_detail::read_float_attr(path, root, "bn_epsilon"));
  c.bn_momentum = static_cast<float>(io_detail::read_float_attr(path, root, "bn_momentum"));
  c.seed = io_detail::read_uint_attr(path, root, "model_seed");
  const std::int64_t bytes = estimated_parameter_bytes(c);
  if (bytes > limits.max_parameter_bytes) {
    fail(path, "architecture",
         "at most " + std::to_string(limits.max_parameter_bytes) + " bytes of parameters",
         std::to_string(bytes) + " bytes (stem_channels, kernel, stages, classes)");
  }
  return c;
}

CheckpointState read_state(const std::string& path, hid_t root, const CheckpointLimits& limits) {
  CheckpointState s;
  s.format_version = read_int(path, root, "format_version");
  if (s.format_version != kCheckpointFormatVersion) {
    fail(path, "format_version", std::to_string(kCheckpointFormatVersion),
         std::to_string(s.format_version));
  }
  s.library_version =
      io_detail::read_string_attr(path, root, "signsnet_version", limits.max_string_bytes);
  s.epoch = read_int(path, root, "epoch");
  s.step = io_detail::read_int_attr(path, root, "step");
  s.seed = io_detail::read_uint_attr(path, root, "seed");
  s.best_val_accuracy =
      static_cast<float>(io_detail::read_float_attr(path, root, "best_val_accuracy"));
  s.epoch_loss_sum = io_detail::read_float_attr(path, root, "epoch_loss_sum");
  s.epoch_correct = io_detail::read_int_attr(path, root, "epoch_correct");
  s.epoch_count = io_detail::read_int_attr(path, root, "epoch_count");
  s.train_config_json =
      io_detail::read_string_attr(path, root, "train_config", limits.max_string_bytes);
  s.model = read_model_config(path, root, limits);
  s.has_optimizer = H5Lexists(root, "optimizer", H5P_DEFAULT) > 0;
  if (s.epoch < 0 || s.step < 0) fail(path, "epoch/step", ">= 0", "a negative value");
  return s;
}

std::string stages_text(const std::vector<StageConfig>& stages) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const StageConfig& s = stages[i];
    out << (i ? ", " : "") << "[" << s.blocks << ", " << s.mid << ", " << s.out << ", " << s.stride
        << "]";
  }
  out << "]";
  return out.str();
}

bool same_stages(const std::vector<StageConfig>& a, const std::vector<StageConfig>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].blocks != b[i].blocks || a[i].mid != b[i].mid || a[i].out != b[i].out ||
        a[i].stride != b[i].stride)
      return false;
  }
  return true;
}

H5Id open_group(const std::string& path, hid_t parent, const std::string& name) {
  if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) fail(path, "/" + name, "a group", "none");
  H5Id g(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(path, "/" + name, "a group", "another kind of object");
  return g;
}

void read_tensors(const std::string& path, hid_t root, Model& model, bool optimizer) {
  H5Id weights = open_group(path, root, "weights");
  H5Id m, v;
  if (optimizer) {
    m = open_group(path, root, "optimizer/m");
    v = open_group(path, root, "optimizer/v");
  }
  std::vector<float> buffer;
  for (const TensorInfo& t : model.tensors()) {
    buffer.resize(t.size());
    io_detail::read_floats(path, weights.get(), t.name, "/weights/" + t.name, t.shape,
                           buffer.data());
    model.write(t.name, buffer.data(), TensorRole::value);
    if (!optimizer || !t.trainable) continue;
    io_detail::read_floats(path, m.get(), t.name, "/optimizer/m/" + t.name, t.shape, buffer.data());
    model.write(t.name, buffer.data(), TensorRole::first_moment);
    io_detail::read_floats(path, v.get(), t.name, "/optimizer/v/" + t.name, t.shape, buffer.data());
    model.write(t.name, buffer.data(), TensorRole::second_moment);
  }
}

}  // namespace

void check_same_architecture(const std::string& where, const ModelConfig& expected,
                             const ModelConfig& got) {
  auto check = [&](const char* field, double e, double g) {
    if (e != g) {
      std::ostringstream es, gs;
      es << e;
      gs << g;
      fail(where, field, es.str(), gs.str());
    }
  };
  check("input_height", expected.input_height, got.input_height);
  check("input_width", expected.input_width, got.input_width);
  check("input_channels", expected.input_channels, got.input_channels);
  check("classes", expected.classes, got.classes);
  check("stem_channels", expected.stem_channels, got.stem_channels);
  check("kernel", expected.kernel, got.kernel);
  if (!same_stages(expected.stages, got.stages))
    fail(where, "stages", stages_text(expected.stages), stages_text(got.stages));
  check("bn_epsilon", expected.bn_epsilon, got.bn_epsilon);
}

CheckpointState read_checkpoint_state(const std::string& path, const CheckpointLimits& limits) {
  io_detail::QuietHdf5 quiet;
  H5Id file = open_file(path);
  return read_state(path, file.get(), limits);
}

CheckpointState load_checkpoint(const std::string& path, Model& model, LoadParts parts,
                                const CheckpointLimits& limits) {
  io_detail::QuietHdf5 quiet;
  H5Id file = open_file(path);
  CheckpointState state = read_state(path, file.get(), limits);
  check_same_architecture(path, model.config(), state.model);
  const bool optimizer = parts == LoadParts::weights_and_optimizer;
  if (optimizer && !state.has_optimizer) fail(path, "/optimizer", "optimizer moments", "none");
  read_tensors(path, file.get(), model, optimizer);
  if (optimizer) model.set_step(state.step);
  return state;
}

}  // namespace signsnet
