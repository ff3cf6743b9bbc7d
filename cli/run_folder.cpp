#include "run_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "errors.hpp"
#include "signsnet/checkpoint.hpp"

namespace signsnet::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string describe(const json& j) {
  const std::string text = j.dump();
  return std::string(j.type_name()) + " " + (text.size() > 40 ? text.substr(0, 40) + "..." : text);
}

double number(const json& j, const char* key, const std::string& where, bool optional = false) {
  const auto it = j.find(key);
  if (optional && (it == j.end() || it->is_null())) return -1;
  if (it == j.end()) throw DataError(where + ": " + key + ": expected a number, got nothing");
  if (!it->is_number())
    throw DataError(where + ": " + key + ": expected a number, got " + describe(*it));
  return it->get<double>();
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": file: expected " + what + ", got an unreadable file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  if (!j.is_object()) {
    out->emplace_back(prefix, j.is_string() ? j.get<std::string>() : j.dump());
    return;
  }
  for (const auto& [key, value] : j.items())
    flatten(value, prefix.empty() ? key : prefix + "." + key, out);
}

}  // namespace

EpochReport parse_epoch_line(const std::string& line, const std::string& where) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw DataError(where + ": expected a JSON object, got '" +
                    (line.size() > 40 ? line.substr(0, 40) + "..." : line) + "'");
  EpochReport r;
  r.epoch = static_cast<int>(number(j, "epoch", where));
  if (r.epoch < 1)
    throw DataError(where + ": epoch: expected 1 or more, got " + std::to_string(r.epoch));
  r.epochs = static_cast<int>(number(j, "epochs", where));
  r.step = static_cast<std::int64_t>(number(j, "step", where));
  r.loss = static_cast<float>(number(j, "loss", where));
  r.accuracy = static_cast<float>(number(j, "accuracy", where));
  r.val_loss = static_cast<float>(number(j, "val_loss", where, true));
  r.val_accuracy = static_cast<float>(number(j, "val_accuracy", where, true));
  r.lr = static_cast<float>(number(j, "lr", where));
  r.seconds = number(j, "seconds", where);
  r.images_per_second = number(j, "images_per_second", where);
  return r;
}

RunFolder read_run_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw DataError("--run: expected a run folder written by signsnet-cli train --out, got '" +
                    dir + "'");
  RunFolder run;
  run.dir = dir;
  const std::string log = dir + "/log.jsonl";
  if (!fs::is_regular_file(log, ec))
    throw DataError(log + ": file: expected the run's epoch log, got no such file");
  std::istringstream lines(read_text(log, "the run's epoch log"));
  std::map<int, EpochReport> by_epoch;  // a resume from an older checkpoint repeats epochs
  int number_of_line = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number_of_line;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const EpochReport r = parse_epoch_line(line, log + ": line " + std::to_string(number_of_line));
    by_epoch[r.epoch] = r;
  }
  if (by_epoch.empty()) throw DataError(log + ": epochs: expected at least one line, got none");
  for (const auto& [epoch, r] : by_epoch) run.epochs.push_back(r);
  const std::string config = dir + "/config.json";
  if (fs::exists(config, ec)) run.config_json = read_text(config, "the run's config");
  return run;
}

std::string default_checkpoint(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"/best.h5", "/last.h5"})
    if (fs::is_regular_file(dir + name, ec)) return dir + name;
  throw CheckpointError(dir +
                        ": checkpoint: expected best.h5 or last.h5 (or --checkpoint), got "
                        "neither");
}

std::vector<std::pair<std::string, std::string>> flatten_json(const std::string& text,
                                                              const std::string& where) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw DataError(where + ": expected a JSON object, got " +
                    (j.is_discarded() ? std::string("a parse error") : describe(j)));
  std::vector<std::pair<std::string, std::string>> out;
  flatten(j, "", &out);
  return out;
}

}  // namespace signsnet::cli
