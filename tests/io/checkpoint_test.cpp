// Checkpoints: exact round trip, atomic replacement, the HDF5 layout h5py reads, and errors that
// name the file and the field.
#include "signsnet/checkpoint.hpp"

#include <hdf5.h>

#include <filesystem>

#include "train/synthetic.hpp"

namespace signsnet {
namespace {

using test::message_of;

// A tiny model that has taken two steps, so weights, statistics and moments are all non-trivial.
Model trained_tiny(std::uint64_t seed, int classes = 3) {
  ModelConfig c = ModelConfig::tiny(16, classes);
  c.seed = seed;
  Model m(c, 4);
  const Dataset d = test::synthetic_dataset(4, 16, classes);
  std::vector<float> images(d.pixels.begin(), d.pixels.end());
  for (float& v : images) v /= 255.0f;  // NHWC or NCHW does not matter for this purpose
  m.train_step(images.data(), d.labels.data(), 4);
  m.train_step(images.data(), d.labels.data(), 4);
  return m;
}

CheckpointState sample_state() {
  CheckpointState s;
  s.epoch = 3;
  s.step = 2;
  s.seed = 99;
  s.train_config_json = R"({"epochs":5})";
  s.best_val_accuracy = 0.75f;
  s.epoch_loss_sum = 1.5;
  s.epoch_correct = 4;
  s.epoch_count = 8;
  return s;
}

void set_int_attribute(const std::string& path, const char* name, std::int64_t value) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  H5Awrite(attr, H5T_NATIVE_INT64, &value);
  H5Aclose(attr);
  H5Fclose(file);
}

TEST(Checkpoint, RoundTripIsBitExact) {
  const std::string path = test::scratch("ckpt_roundtrip") + "/a.h5";
  Model a = trained_tiny(1);
  save_checkpoint(path, a, sample_state());
  Model b(a.config(), 4);
  EXPECT_NE(test::all_tensors(a, TensorRole::value), test::all_tensors(b, TensorRole::value));
  const CheckpointState s = load_checkpoint(path, b);
  EXPECT_EQ(test::all_tensors(a, TensorRole::value), test::all_tensors(b, TensorRole::value));
  EXPECT_EQ(test::all_tensors(a, TensorRole::first_moment),
            test::all_tensors(b, TensorRole::first_moment));
  EXPECT_EQ(test::all_tensors(a, TensorRole::second_moment),
            test::all_tensors(b, TensorRole::second_moment));
  EXPECT_EQ(b.step(), 2);
  EXPECT_EQ(s.epoch, 3);
  EXPECT_EQ(s.seed, 99u);
  EXPECT_EQ(s.train_config_json, R"({"epochs":5})");
  EXPECT_FLOAT_EQ(s.best_val_accuracy, 0.75f);
  EXPECT_EQ(s.epoch_count, 8);
  EXPECT_EQ(s.library_version, library_version());
}

TEST(Checkpoint, StateReadsWithoutAModel) {
  const std::string path = test::scratch("ckpt_state") + "/a.h5";
  save_checkpoint(path, trained_tiny(1), sample_state());
  const CheckpointState s = read_checkpoint_state(path);
  EXPECT_EQ(s.format_version, kCheckpointFormatVersion);
  EXPECT_EQ(s.model.classes, 3);
  EXPECT_EQ(s.model.input_height, 16);
  ASSERT_EQ(s.model.stages.size(), 4u);
  EXPECT_EQ(s.model.stages[1].stride, 2);
  EXPECT_EQ(s.model.seed, 1u);
  EXPECT_TRUE(s.has_optimizer);
}

TEST(Checkpoint, WeightsAreFloatDatasetsInPlainLayout) {
  const std::string path = test::scratch("ckpt_layout") + "/a.h5";
  Model a = trained_tiny(1);
  save_checkpoint(path, a, sample_state());
  const TensorInfo conv = a.tensors().front();
  ASSERT_EQ(conv.shape.size(), 4u);  // OIHW
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ds = H5Dopen2(file, ("/weights/" + conv.name).c_str(), H5P_DEFAULT);
  ASSERT_GE(ds, 0) << conv.name;
  hid_t space = H5Dget_space(ds);
  hsize_t dims[4] = {};
  ASSERT_EQ(H5Sget_simple_extent_ndims(space), 4);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  std::vector<float> stored(conv.size()), expected(conv.size());
  H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, stored.data());
  a.read(conv.name, expected.data());
  H5Sclose(space);
  H5Dclose(ds);
  const htri_t has_m = H5Lexists(file, ("/optimizer/m/" + conv.name).c_str(), H5P_DEFAULT);
  H5Fclose(file);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<std::int64_t>(dims[i]), conv.shape[i]);
  EXPECT_EQ(stored, expected);
  EXPECT_GT(has_m, 0);
}

TEST(Checkpoint, ReplacesAtomicallyAndLeavesNoTempFile) {
  const std::string dir = test::scratch("ckpt_atomic");
  const std::string path = dir + "/last.h5";
  save_checkpoint(path, trained_tiny(1), sample_state());
  const std::vector<char> before = test::file_bytes(path);
  // A folder where the temp file should go makes the write fail.
  std::filesystem::create_directories(path + ".tmp/blocker");
  const std::string msg =
      message_of<CheckpointError>([&] { save_checkpoint(path, trained_tiny(2), sample_state()); });
  EXPECT_NE(msg.find(path + ": file: expected a writable location"), std::string::npos) << msg;
  EXPECT_EQ(test::file_bytes(path), before);
  std::filesystem::remove_all(path + ".tmp");
  save_checkpoint(path, trained_tiny(2), sample_state());
  EXPECT_NE(test::file_bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(Checkpoint, OtherFormatVersionIsRejected) {
  const std::string path = test::scratch("ckpt_version") + "/a.h5";
  Model a = trained_tiny(1);
  save_checkpoint(path, a, sample_state());
  set_int_attribute(path, "format_version", 2);
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, a); }),
            path + ": format_version: expected 1, got 2");
}

TEST(Checkpoint, OtherArchitectureIsRejected) {
  const std::string path = test::scratch("ckpt_arch") + "/a.h5";
  save_checkpoint(path, trained_tiny(1, 3), sample_state());
  Model four = trained_tiny(1, 4);
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, four); }),
            path + ": classes: expected 4, got 3");
  ModelConfig wide = ModelConfig::tiny(16, 3);
  wide.stages[0].out = 48;
  Model w(wide, 2);
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, w); }),
            path +
                ": stages: expected [[1, 16, 48, 1], [1, 16, 32, 2], [1, 32, 64, 2], "
                "[1, 32, 64, 2]], got [[1, 16, 32, 1], [1, 16, 32, 2], [1, 32, 64, 2], "
                "[1, 32, 64, 2]]");
}

TEST(Checkpoint, MissingTensorIsNamed) {
  const std::string path = test::scratch("ckpt_missing") + "/a.h5";
  Model a = trained_tiny(1);
  save_checkpoint(path, a, sample_state());
  const std::string name = a.tensors().back().name;
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, ("/weights/" + name).c_str(), H5P_DEFAULT);
  H5Fclose(file);
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, a); }),
            path + ": /weights/" + name + ": expected a dataset, got none");
}

TEST(Checkpoint, WeightsOnlyCheckpointLoadsWeightsButNotMoments) {
  const std::string path = test::scratch("ckpt_weights_only") + "/a.h5";
  Model a = trained_tiny(1);
  save_checkpoint(path, a, sample_state(), false);
  Model b(a.config(), 4);
  load_checkpoint(path, b, LoadParts::weights);
  EXPECT_EQ(test::all_tensors(a, TensorRole::value), test::all_tensors(b, TensorRole::value));
  EXPECT_EQ(message_of<CheckpointError>([&] { load_checkpoint(path, b); }),
            path + ": /optimizer: expected optimizer moments, got none");
}

TEST(Checkpoint, MissingAndForeignFilesAreNamed) {
  const std::string dir = test::scratch("ckpt_bad_files");
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(dir + "/none.h5"); }),
            dir + "/none.h5: file: expected an HDF5 checkpoint, got no such file");
  std::ofstream(dir + "/text.h5") << "not hdf5";
  EXPECT_EQ(message_of<CheckpointError>([&] { read_checkpoint_state(dir + "/text.h5"); }),
            dir + "/text.h5: file: expected an HDF5 checkpoint, got another format");
}

TEST(Checkpoint, ArchitectureCheckNamesTheFirstDifference) {
  ModelConfig a = ModelConfig::resnet50(), b = ModelConfig::resnet50();
  b.input_height = 32;
  EXPECT_EQ(message_of<CheckpointError>([&] { check_same_architecture("x.h5", a, b); }),
            "x.h5: input_height: expected 64, got 32");
  b = a;
  b.bn_momentum = 0.5f;  // a training setting, not architecture
  check_same_architecture("x.h5", a, b);
  b.kernel = 5;
  EXPECT_EQ(message_of<CheckpointError>([&] { check_same_architecture("x.h5", a, b); }),
            "x.h5: kernel: expected 3, got 5");
}

}  // namespace
}  // namespace signsnet
