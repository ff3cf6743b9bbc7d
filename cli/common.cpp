#include "common.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet::cli {
namespace fs = std::filesystem;

namespace {

bool holds_signs(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "train_signs.h5", ec) ||
         fs::is_regular_file(dir / "test_signs.h5", ec);
}

Communicator* g_world = nullptr;

}  // namespace

Communicator* world() {
  return g_world;
}

void set_world(Communicator* comm) {
  g_world = comm && comm->size() > 1 ? comm : nullptr;
}

std::string find_data_dir(const std::string& given) {
  if (!given.empty()) {
    std::error_code ec;
    if (!fs::is_directory(given, ec))
      throw DataError("--data: expected a folder holding train_signs.h5, got '" + given + "'");
    return given;
  }
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SIGNSNET_DATA"); env && *env) candidates.push_back(env);
  candidates.push_back("datasets");
  candidates.push_back("../shared/datasets/signs");
  for (const std::string& dir : candidates) {
    if (holds_signs(dir)) return dir;
  }
  throw DataError(
      "--data: expected a folder holding train_signs.h5 (searched $SIGNSNET_DATA, ./datasets, "
      "../shared/datasets/signs), got none");
}

std::vector<std::string> model_names() {
  return {"resnet50", "resnet101", "resnet152", "tiny"};
}

ModelConfig named_model(const std::string& name, int input_size, int classes) {
  ModelConfig c;
  if (name == "resnet50")
    c = ModelConfig::resnet50();
  else if (name == "resnet101")
    c = ModelConfig::resnet101();
  else if (name == "resnet152")
    c = ModelConfig::resnet152();
  else if (name == "tiny")
    c = ModelConfig::tiny(input_size, classes);
  else
    throw UsageError("--config: expected resnet50, resnet101, resnet152 or tiny, got '" + name +
                     "'");
  c.input_height = c.input_width = input_size;
  c.classes = classes;
  return c;
}

void require_path(const std::string& path, const std::string& flag) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw DataError(flag + ": expected an existing file or folder, got '" + path + "'");
}

InputLimits input_limits(std::int64_t max_input_mb) {
  InputLimits limits;
  if (max_input_mb <= 0) return limits;
  const std::int64_t bytes = max_input_mb << 20;
  limits.data.max_total_bytes = bytes;
  limits.data.max_image_bytes = bytes;
  limits.checkpoint.max_parameter_bytes = bytes;
  return limits;
}

bool FlipTtaFlags::resolve(const CheckpointState& state, const std::string& checkpoint) const {
  if (on || off) return on;
  if (state.train_config_json.empty()) return false;
  return as_error<CheckpointError>([&] {
    return TrainConfig::from_json(state.train_config_json, checkpoint + ": train_config").flip_tta;
  });
}

void add_flip_tta_flags(CLI::App& cmd, FlipTtaFlags& f) {
  CLI::Option* on = cmd.add_flag(
      "--flip-tta", f.on,
      "Average each image's probabilities with its mirror's, twice the work (default: as the "
      "checkpoint was trained; on in the default recipe)");
  CLI::Option* off = cmd.add_flag("--no-flip-tta", f.off, "One pass per image, no mirror");
  on->excludes(off);
}

void add_max_input_flag(CLI::App& cmd, std::int64_t& mb) {
  const InputLimits d;
  cmd.add_option("--max-input-mb", mb,
                 "Refuse an input file that declares more than this many MiB, before reading it: "
                 "a data set's pixels, one decoded image, a checkpoint's parameters (default " +
                     std::to_string(d.data.max_total_bytes >> 20) + ", " +
                     std::to_string(d.data.max_image_bytes >> 20) + " and " +
                     std::to_string(d.checkpoint.max_parameter_bytes >> 20) + ")")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
}

Dataset load_data(const std::string& path, const std::string& flag, const ModelConfig& model,
                  int classes, const LoadLimits& limits) {
  require_path(path, flag);
  return as_error<DataError>(
      [&] { return load_any(path, model.input_height, model.input_width, classes, limits); });
}

std::vector<int> parse_rows(const std::string& text, const std::string& flag) {
  std::vector<int> rows;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int row = -1;
    try {
      row = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || row < 0)
      throw UsageError(flag + ": expected row numbers like 0,1,5, got '" + text + "'");
    rows.push_back(row);
  }
  if (rows.empty()) throw UsageError(flag + ": expected row numbers like 0,1,5, got ''");
  return rows;
}

void apply_threads(int threads) {
  if (threads > 0) Model::set_threads(threads);
}

Model load_model(const std::string& checkpoint, int batch, const CheckpointLimits& limits,
                 CheckpointState* state) {
  return as_error<CheckpointError>([&] {
    CheckpointState read = read_checkpoint_state(checkpoint, limits);
    Model model(read.model, batch);
    load_checkpoint(checkpoint, model, LoadParts::weights, limits);
    if (state) *state = std::move(read);
    return model;
  });
}

std::string with_commas(long long value) {
  std::string s = std::to_string(value);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(i, ",");
  return s;
}

void write_file_atomically(const std::string& path, const std::string& text,
                           const std::string& expected) {
  const std::string tmp = path + ".tmp";
  int err = 0;
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (out && std::rename(tmp.c_str(), path.c_str()) == 0) return;
    err = errno;
  }
  std::remove(tmp.c_str());
  throw std::runtime_error(path + ": file: expected " + expected + ", got " +
                           (err ? std::strerror(err) : "a write error"));
}

}  // namespace signsnet::cli
