// Checkpoints that declare a huge or malformed architecture: refused with the file and the
// attribute named, before a model of that size is built (resource bombs), and the size estimate
// those checks use.
#include <hdf5.h>

#include <cstdint>
#include <vector>

#include "signsnet/checkpoint.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

using test::message_of;

// A small valid checkpoint of ModelConfig::tiny(16, 3) to edit.
std::string tiny_checkpoint(const std::string& name) {
  const std::string path = test::scratch(name) + "/a.h5";
  const Model model(ModelConfig::tiny(16, 3), 2);
  save_checkpoint(path, model, CheckpointState{}, false);
  return path;
}

// Replaces root attribute `name` by one of `type` with `dims` (scalar when empty).
void replace_attribute(const std::string& path, const char* name, hid_t type,
                       const std::vector<hsize_t>& dims, const void* value) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Adelete(file, name);
  hid_t space = dims.empty()
                    ? H5Screate(H5S_SCALAR)
                    : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  ASSERT_GE(H5Awrite(attr, type, value), 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Fclose(file);
}

void set_int(const std::string& path, const char* name, std::int64_t v) {
  replace_attribute(path, name, H5T_NATIVE_INT64, {}, &v);
}

void set_stages(const std::string& path, const std::vector<std::int64_t>& rows) {
  replace_attribute(path, "stages", H5T_NATIVE_INT64, {rows.size() / 4, 4}, rows.data());
}

TEST(CheckpointLimits, EstimateIsTheModelsParameterBytes) {
  for (ModelConfig c : {ModelConfig::tiny(16, 3), ModelConfig::tiny(24, 10)}) {
    c.kernel = c.classes == 10 ? 5 : 3;
    c.stages[1].blocks = 2;
    const Model m(c, 1);
    EXPECT_EQ(estimated_parameter_bytes(c), m.parameter_counts().total * 4);
  }
  // README: ResNet-50 has 23,600,006 parameters and statistics.
  EXPECT_EQ(estimated_parameter_bytes(ModelConfig::resnet50()), 23600006 * 4);
  ModelConfig huge = ModelConfig::resnet50();
  huge.stages[3].mid = INT32_MAX;
  huge.stages[3].blocks = INT32_MAX;
  EXPECT_EQ(estimated_parameter_bytes(huge), INT64_MAX);  // saturates, no overflow
}

TEST(CheckpointLimits, HugeInputSizeIsRefusedBeforeBuilding) {
  const std::string path = tiny_checkpoint("ckpt_bomb_input");
  set_int(path, "input_height", 60000);
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": input_height: expected at most 4096, got 60000");
  CheckpointLimits wide;
  wide.max_input_side = 65536;
  EXPECT_EQ(read_checkpoint_state(path, wide).model.input_height, 60000);
}

TEST(CheckpointLimits, HugeStageWidthsAreRefusedByTheirParameterBytes) {
  const std::string path = tiny_checkpoint("ckpt_bomb_stages");
  // Stage 4 at 1M x 1M channels: about 5e13 parameters.
  set_stages(path, {1, 16, 32, 1, 1, 16, 32, 2, 1, 32, 64, 2, 1, 1 << 20, 1 << 20, 2});
  const std::string msg = message_of<CheckpointError>([&] { read_checkpoint_state(path); });
  EXPECT_EQ(
      msg.rfind(path + ": architecture: expected at most 1073741824 bytes of parameters, got ", 0),
      0u)
      << msg;
  Model tiny(ModelConfig::tiny(16, 3), 2);
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, tiny); }), msg);
  // A looser limit lets the same file through to the architecture check.
  CheckpointLimits loose;
  loose.max_parameter_bytes = INT64_MAX;
  EXPECT_EQ(read_checkpoint_state(path, loose).model.stages[3].mid, 1 << 20);
}

TEST(CheckpointLimits, TooManyStageRowsAndOutOfRangeIntegers) {
  const std::string path = tiny_checkpoint("ckpt_bomb_rows");
  set_stages(path, std::vector<std::int64_t>(65 * 4, 1));
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": stages: expected at most 64 rows, got 65");
  set_stages(path, {1, 16, 32, 1, 1, 16, std::int64_t{1} << 32, 2});
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": stages[1].out: expected a 32-bit integer, got 4294967296");
  // 2^32 + 3 used to wrap to 3 channels silently.
  set_stages(path, {1, 16, 32, 1, 1, 16, 32, 2, 1, 32, 64, 2, 1, 32, 64, 2});
  set_int(path, "input_channels", (std::int64_t{1} << 32) + 3);
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": input_channels: expected a 32-bit integer, got 4294967299");
  set_int(path, "input_channels", 3);
  set_int(path, "classes", std::int64_t{1} << 40);
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": classes: expected at most 1048576, got 1099511627776");
}

TEST(CheckpointLimits, StringAttributesAreOneStringOfBoundedSize) {
  const std::string path = tiny_checkpoint("ckpt_bomb_strings");
  // Two variable-length strings where one is read: HDF5 used to write both into one pointer.
  hid_t vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(vstr, H5T_VARIABLE);
  const char* two[2] = {"{}", "{}"};
  replace_attribute(path, "train_config", vstr, {2}, two);
  H5Tclose(vstr);
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": train_config: expected one string, got 2");
  const std::string text(100, 'x');
  hid_t fixed = H5Tcopy(H5T_C_S1);
  H5Tset_size(fixed, text.size());
  replace_attribute(path, "train_config", fixed, {}, text.data());
  H5Tclose(fixed);
  EXPECT_EQ(read_checkpoint_state(path).train_config_json, text);
  CheckpointLimits small;
  small.max_string_bytes = 64;
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path, small); }),
            path + ": train_config: expected at most 64 bytes, got 100");
}

// fuzz_checkpoint's hang input, minimized (16878 bytes, from a checkpoint of random weights): a
// cut checkpoint whose superblock base address makes up the missing length. Before the check,
// HDF5 looped for ever in H5HG_read reading its train_config string (tests/fuzz/README.md).
TEST(CheckpointLimits, FuzzRegressionGlobalHeapHang) {
  const std::string path =
      std::string(SIGNSNET_FUZZ_REGRESSIONS) + "/checkpoint-global-heap-hang.h5";
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(path); }),
            path + ": superblock.base_address: expected 0, got 132306");
}

}  // namespace
}  // namespace signsnet
