// signsnet-cli as a user runs it: exit codes and one-line errors, a tiny end-to-end train,
// evaluate, predict and resume, Ctrl-C, and a real JPEG when the data is present.
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/cli_runner.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/trainer.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

using test::CliResult;
using test::expect_one_error_line;
using test::process_scratch;
using test::run_cli;
using test::slurp;

void write_h5(const std::string& path, const Dataset& d, const std::string& prefix) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  auto add = [&](const std::string& name, hid_t type, std::vector<hsize_t> dims, const void* v) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t ds = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, type == H5T_STD_U8LE ? H5T_NATIVE_UINT8 : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
             H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Sclose(space);
  };
  const auto n = static_cast<hsize_t>(d.count), s = static_cast<hsize_t>(d.height);
  add(prefix + "_x", H5T_STD_U8LE, {n, s, s, 3}, d.pixels.data());
  std::vector<std::int64_t> labels(d.labels.begin(), d.labels.end()), classes;
  for (int c = 0; c < d.classes; ++c) classes.push_back(c);
  add(prefix + "_y", H5T_STD_I64LE, {n}, labels.data());
  add("list_classes", H5T_STD_I64LE, {classes.size()}, classes.data());
  H5Fclose(file);
}

// A folder with train_signs.h5 (48 images) and test_signs.h5 (12) at 16x16, 3 classes.
std::string synthetic_data_dir() {
  static const std::string dir = [] {
    const std::string d = process_scratch("cli_data");
    write_h5(d + "/train_signs.h5", test::synthetic_dataset(48, 16, 3, 1), "train_set");
    write_h5(d + "/test_signs.h5", test::synthetic_dataset(12, 16, 3, 2), "test_set");
    return d;
  }();
  return dir;
}

const std::string kTinyRun = " --config tiny --input-size 16 --batch 8 --threads 2";

// A trained tiny run (2 epochs), shared by the tests that need a checkpoint.
std::string trained_run() {
  static const std::string dir = [] {
    const std::string d = process_scratch("cli_run");
    const CliResult r = run_cli("train --data '" + synthetic_data_dir() +
                                "' --epochs 2 --val-split 0.25 --out '" + d + "'" + kTinyRun);
    EXPECT_EQ(r.code, 0) << r.err;
    return d;
  }();
  return dir;
}

TEST(Cli, HelpOnEachSubcommand) {
  for (const char* sub : {"train", "evaluate", "predict", "summary"}) {
    const CliResult r = run_cli(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage: signsnet-cli " + std::string(sub)), std::string::npos) << r.out;
  }
}

TEST(Cli, UnknownFlagIsAUsageError) {
  expect_one_error_line(run_cli("train --bogus"), 2, "--bogus");
  expect_one_error_line(run_cli(""), 2, "expected a subcommand");
}

TEST(Cli, BadValuesNameTheFlag) {
  expect_one_error_line(run_cli("train --epochs 0"), 2, "--epochs");
  expect_one_error_line(run_cli("train --optimizer adagrad"), 2, "--optimizer");
  expect_one_error_line(run_cli("train --sam-rho -0.05"), 2, "--sam-rho");
  expect_one_error_line(run_cli("train --clip-norm -1"), 2, "--clip-norm");
  expect_one_error_line(run_cli("predict --checkpoint x.h5 --rows 1"), 2,
                        "--rows: expected --h5 too, got none");
}

TEST(Cli, AugmentationAndSamFlagsReachTheRunsConfig) {
  expect_one_error_line(run_cli("train --rotation 200"), 2, "--rotation");
  expect_one_error_line(run_cli("train --shift -1"), 2, "--shift");
  expect_one_error_line(run_cli("train --zoom 0.7"), 2, "--zoom");
  expect_one_error_line(run_cli("train --fill nearest"), 2, "--fill");
  const std::string dir = process_scratch("cli_aug");
  const CliResult r = run_cli("train --data '" + synthetic_data_dir() +
                              "' --epochs 1 --shift 3 --rotation 7.5 --brightness 0 --contrast 0.2 "
                              "--zoom 0.1 --fill reflect --no-flip --sam-rho 0.02 --clip-norm 5 --out '" +
                              dir + "'" + kTinyRun);
  ASSERT_EQ(r.code, 0) << r.err;
  const TrainConfig c =
      TrainConfig::from_json(read_checkpoint_state(dir + "/last.h5").train_config_json, "last.h5");
  EXPECT_EQ(c.augmentation.shift, 3);
  EXPECT_FLOAT_EQ(c.augmentation.rotation_degrees, 7.5f);
  EXPECT_FLOAT_EQ(c.augmentation.brightness, 0.0f);
  EXPECT_FLOAT_EQ(c.augmentation.contrast, 0.2f);
  EXPECT_FLOAT_EQ(c.augmentation.zoom, 0.1f);
  EXPECT_EQ(c.augmentation.fill, Augmentation::Fill::reflect);
  EXPECT_FALSE(c.augmentation.horizontal_flip);
  EXPECT_FLOAT_EQ(c.optimizer.sam_rho, 0.02f);
  EXPECT_FLOAT_EQ(c.optimizer.clip_norm, 5.0f);
}

TEST(Cli, MissingPathsAreDataOrCheckpointErrors) {
  expect_one_error_line(
      run_cli("train --data /nonexistent/signs"), 4,
      "--data: expected a folder holding train_signs.h5, got '/nonexistent/signs'");
  expect_one_error_line(run_cli("train --train /nonexistent/a.h5 --config tiny --input-size 16"), 4,
                        "--train: expected an existing file or folder, got '/nonexistent/a.h5'");
  expect_one_error_line(
      run_cli("evaluate --checkpoint /nonexistent/last.h5"), 5,
      "/nonexistent/last.h5: file: expected an HDF5 checkpoint, got no such file");
}

// --max-input-mb caps what a data set may declare: 1400 images of 16x16x3 are 1.03 MiB.
TEST(Cli, MaxInputMbRefusesALargerDataSetBeforeLoadingIt) {
  const std::string dir = process_scratch("cli_limits");
  write_h5(dir + "/big.h5", test::synthetic_dataset(1400, 16, 3), "train_set");
  expect_one_error_line(
      run_cli("train --train '" + dir + "/big.h5' --max-input-mb 1 --epochs 1" + kTinyRun), 4,
      dir + "/big.h5: train_set_x.shape: expected at most 1048576 bytes, got 1075200 bytes");
}

TEST(Cli, TrainsEvaluatesAndLogs) {
  const std::string dir = trained_run();
  EXPECT_TRUE(std::filesystem::exists(dir + "/last.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/best.h5"));
  const std::string csv = slurp(dir + "/log.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_EQ(csv.rfind("epoch,step,loss,accuracy,val_loss,val_accuracy,lr,", 0), 0u) << csv;
  const std::string jsonl = slurp(dir + "/log.jsonl");
  EXPECT_EQ(nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')))["epoch"], 1);

  const CliResult e =
      run_cli("evaluate --checkpoint '" + dir + "/last.h5' --data '" + synthetic_data_dir() + "'");
  EXPECT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("Confusion matrix"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("precision"), std::string::npos) << e.out;
  const CliResult j = run_cli("evaluate --json --checkpoint '" + dir + "/last.h5' --test '" +
                              synthetic_data_dir() + "/test_signs.h5'");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)["count"], 12);
}

TEST(Cli, TrainPrintsKerasStyleEpochLines) {
  const std::string dir = process_scratch("cli_lines");
  const CliResult r = run_cli("train --data '" + synthetic_data_dir() +
                              "' --epochs 1 --preset notebook --out '" + dir + "'" + kTinyRun);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Epoch 1/1\n6/6 [==============================] - "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("/step - loss: "), std::string::npos) << r.out;  // ms or s per step
  EXPECT_EQ(r.out.find('\r'), std::string::npos);  // not a terminal: no redraws
  EXPECT_NE(r.out.find("Test loss: "), std::string::npos) << r.out;
}

// Test-time flips follow the recipe the checkpoint was trained with (on in the default one),
// unless --flip-tta or --no-flip-tta says otherwise, in train, evaluate and predict alike.
TEST(Cli, FlipTtaFollowsTheCheckpointsRecipe) {
  const std::string test = synthetic_data_dir() + "/test_signs.h5";
  auto evaluated_with_flips = [&](const std::string& checkpoint, const std::string& flag) {
    const CliResult r =
        run_cli("evaluate --json --checkpoint '" + checkpoint + "' --test '" + test + "'" + flag);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 && nlohmann::json::parse(r.out)["flip_tta"].get<bool>();
  };
  const std::string on = trained_run() + "/last.h5";  // the default recipe
  EXPECT_TRUE(evaluated_with_flips(on, ""));
  EXPECT_FALSE(evaluated_with_flips(on, " --no-flip-tta"));

  const std::string dir = process_scratch("cli_no_tta");
  const CliResult r = run_cli("train --data '" + synthetic_data_dir() +
                              "' --epochs 1 --no-flip-tta --out '" + dir + "'" + kTinyRun);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string off = dir + "/last.h5";
  EXPECT_FALSE(
      TrainConfig::from_json(read_checkpoint_state(off).train_config_json, "last.h5").flip_tta);
  EXPECT_FALSE(evaluated_with_flips(off, ""));
  EXPECT_TRUE(evaluated_with_flips(off, " --flip-tta"));
  expect_one_error_line(run_cli("evaluate --checkpoint '" + off + "' --flip-tta --no-flip-tta"), 2,
                        "--flip-tta excludes --no-flip-tta");

  auto predicted = [&](const std::string& flag) {
    const CliResult p = run_cli("predict --json --checkpoint '" + on + "' --h5 '" + test +
                                "' --rows 0,1,2,3" + flag);
    EXPECT_EQ(p.code, 0) << p.err;
    std::vector<float> probs;
    if (p.code != 0) return probs;
    for (const auto& item : nlohmann::json::parse(p.out))
      for (float v : item["probabilities"]) probs.push_back(v);
    return probs;
  };
  const std::vector<float> default_probs = predicted(""), flipped = predicted(" --flip-tta"),
                           plain = predicted(" --no-flip-tta");
  ASSERT_EQ(default_probs.size(), 12u);
  EXPECT_EQ(default_probs, flipped);
  EXPECT_NE(default_probs, plain);
}

TEST(Cli, PredictPrintsTheNotebookSentence) {
  const std::string dir = trained_run();
  const CliResult r = run_cli("predict --checkpoint '" + dir + "/last.h5' --h5 '" +
                              synthetic_data_dir() + "/test_signs.h5' --rows 0,4 --top-k 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("test_signs.h5[4]"), std::string::npos) << r.out;
  const bool sentence = r.out.find("The number of this image is ") != std::string::npos ||
                        r.out.find("Can not find the correct number") != std::string::npos;
  EXPECT_TRUE(sentence) << r.out;
  const CliResult j = run_cli("predict --json --checkpoint '" + dir + "/last.h5' --h5 '" +
                              synthetic_data_dir() + "/test_signs.h5' --rows 1");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)[0]["probabilities"].size(), 3u);
  expect_one_error_line(run_cli("predict --checkpoint '" + dir + "/last.h5' --h5 '" +
                                synthetic_data_dir() + "/test_signs.h5' --rows 99"),
                        4, "--rows: expected rows in [0, 12)");
  expect_one_error_line(run_cli("predict --checkpoint '" + dir + "/last.h5' --h5 '" +
                                synthetic_data_dir() + "/test_signs.h5' --rows 1,x"),
                        2, "--rows: expected row numbers like 0,1,5, got '1,x'");
}

TEST(Cli, PredictsARealJpeg) {
  const std::string folder = std::string(SIGNSNET_DATA_DIR) + "/images/test_signs";
  if (!std::filesystem::is_directory(folder)) GTEST_SKIP() << "no SIGNS images at " << folder;
  std::string jpeg;
  for (const auto& e : std::filesystem::directory_iterator(folder)) {
    if (e.path().extension() == ".jpg") jpeg = e.path().string();
    if (!jpeg.empty()) break;
  }
  ASSERT_FALSE(jpeg.empty());
  const CliResult r =
      run_cli("predict --checkpoint '" + trained_run() + "/last.h5' '" + jpeg + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const bool sentence = r.out.find("The number of this image is ") != std::string::npos ||
                        r.out.find("Can not find the correct number") != std::string::npos;
  EXPECT_TRUE(sentence) << r.out;
}

TEST(Cli, ResumeContinuesAndRejectsAnotherArchitecture) {
  const std::string dir = process_scratch("cli_resume");
  std::filesystem::copy(trained_run() + "/last.h5", dir + "/last.h5");
  const CliResult r = run_cli("train --data '" + synthetic_data_dir() + "' --resume '" + dir +
                              "/last.h5' --epochs 3 --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_checkpoint_state(dir + "/last.h5").epoch, 3);
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(0, r.out.find('\n')))["epoch"], 3);
  expect_one_error_line(run_cli("train --data '" + synthetic_data_dir() + "' --resume '" + dir +
                                "/last.h5' --epochs 4 --config tiny --input-size 24"),
                        5, dir + "/last.h5: input_height: expected 24, got 16");
}

TEST(Cli, OtherFormatVersionIsACheckpointError) {
  const std::string dir = process_scratch("cli_version");
  std::filesystem::copy(trained_run() + "/last.h5", dir + "/last.h5");
  hid_t file = H5Fopen((dir + "/last.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t attr = H5Aopen(file, "format_version", H5P_DEFAULT);
  const std::int64_t two = 2;
  H5Awrite(attr, H5T_NATIVE_INT64, &two);
  H5Aclose(attr);
  H5Fclose(file);
  expect_one_error_line(
      run_cli("evaluate --checkpoint '" + dir + "/last.h5' --data '" + synthetic_data_dir() + "'"),
      5, dir + "/last.h5: format_version: expected 1, got 2");
}

TEST(Cli, DivergenceExitsWithCode3) {
  const std::string dir = process_scratch("cli_diverge");
  expect_one_error_line(run_cli("train --data '" + synthetic_data_dir() +
                                "' --epochs 3 --preset notebook --optimizer sgd --lr 1e30 --out '" +
                                dir + "'" + kTinyRun),
                        3, "training diverged: loss is NaN at epoch 1");
  EXPECT_FALSE(std::filesystem::exists(dir + "/last.h5"));
}

// A disk that fills up while saving: a per-process file-size limit (it binds root too) makes
// every write past 64 KiB fail, as on a full disk. The error names the checkpoint (best.h5 when
// the epoch improved on validation, which is saved first, else last.h5) and the previous one
// is left as it was, with no temp file beside it.
TEST(Cli, FullDiskWhileSavingKeepsThePreviousCheckpoint) {
  const std::string dir = process_scratch("cli_full_disk");
  std::filesystem::copy(trained_run() + "/last.h5", dir + "/last.h5");
  ASSERT_GT(std::filesystem::file_size(dir + "/last.h5"), 64u * 1024) << "too small to fail";
  const std::vector<char> good = test::file_bytes(dir + "/last.h5");
  const CliResult r = run_cli("train --data '" + synthetic_data_dir() + "' --resume '" + dir +
                                  "/last.h5' --epochs 3 --threads 2",
                              "ulimit -f 64 && ");
  expect_one_error_line(r, 5, ".h5: file: ");
  EXPECT_TRUE(r.err.find(dir + "/last.h5: ") != std::string::npos ||
              r.err.find(dir + "/best.h5: ") != std::string::npos)
      << r.err;
  EXPECT_EQ(test::file_bytes(dir + "/last.h5"), good);
  EXPECT_FALSE(std::filesystem::exists(dir + "/last.h5.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/best.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/best.h5.tmp"));
  EXPECT_EQ(read_checkpoint_state(dir + "/last.h5").epoch, 2);
}

TEST(Cli, CtrlCSavesACheckpointAndExits130) {
  const std::string dir = process_scratch("cli_sigint");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    freopen((dir + "/out.txt").c_str(), "w", stdout);
    freopen((dir + "/err.txt").c_str(), "w", stderr);
    const std::string data = synthetic_data_dir() + "/train_signs.h5";
    execl(SIGNSNET_CLI, SIGNSNET_CLI, "train", "--train", data.c_str(), "--epochs", "100000",
          "--out", dir.c_str(), "--config", "tiny", "--input-size", "16", "--batch", "8",
          "--threads", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first epoch (up to 3 minutes on a loaded machine or a sanitizer build).
  for (int i = 0; i < 3600 && slurp(dir + "/out.txt").find("Epoch 2/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_NE(slurp(dir + "/err.txt").find("interrupted: saved " + dir + "/last.h5"),
            std::string::npos);
  const CheckpointState s = read_checkpoint_state(dir + "/last.h5");
  EXPECT_GE(s.epoch, 1);
  EXPECT_LT(s.epoch, 100000);
}

// log.jsonl without the wall-clock fields, one parsed object per epoch.
std::vector<nlohmann::json> logged_figures(const std::string& dir) {
  std::vector<nlohmann::json> epochs;
  std::istringstream lines(slurp(dir + "/log.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    j.erase("seconds");
    j.erase("images_per_second");
    epochs.push_back(j);
  }
  return epochs;
}

std::vector<float> checkpoint_tensors(const std::string& path, TensorRole role) {
  const CheckpointState s = read_checkpoint_state(path);
  Model m(s.model, 8);
  load_checkpoint(path, m);
  return test::all_tensors(m, role);
}

// Two runs with the same seed and thread count log the same figures (JSON keeps every float
// bit) and end with the same weights and moments: at 1 and at 2 threads.
TEST(Cli, SameSeedAndThreadsGiveIdenticalLogsAndWeights) {
  for (const char* threads : {"1", "2"}) {
    SCOPED_TRACE(std::string("threads ") + threads);
    std::string dirs[2];
    for (std::string& dir : dirs) {
      dir = process_scratch(std::string("cli_determinism_") + threads + "_" +
                            (&dir == dirs ? "a" : "b"));
      const CliResult r =
          run_cli("train --data '" + synthetic_data_dir() +
                  "' --epochs 2 --val-split 0.25 --seed 5 --loader-threads 2 --out '" + dir +
                  "' --config tiny --input-size 16 --batch 8 --threads " + threads);
      ASSERT_EQ(r.code, 0) << r.err;
    }
    const auto a = logged_figures(dirs[0]), b = logged_figures(dirs[1]);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a, b);
    for (TensorRole role : {TensorRole::value, TensorRole::first_moment, TensorRole::second_moment})
      EXPECT_EQ(checkpoint_tensors(dirs[0] + "/last.h5", role),
                checkpoint_tensors(dirs[1] + "/last.h5", role));
  }
}

TEST(Cli, SummaryPrintsTheLayerTable) {
  const CliResult r = run_cli("summary --config tiny --input-size 16 --classes 3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Total params"), std::string::npos) << r.out;
  const CliResult c = run_cli("summary --checkpoint '" + trained_run() + "/last.h5'");
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, r.out);
}

}  // namespace
}  // namespace signsnet
