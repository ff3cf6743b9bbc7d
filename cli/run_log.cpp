#include "run_log.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "errors.hpp"

namespace signsnet::cli {
namespace {

std::ofstream open_append(const std::string& path) {
  errno = 0;
  std::ofstream out(path, std::ios::app);
  if (!out)
    throw std::runtime_error(path + ": file: expected a writable log, got " +
                             (errno ? std::strerror(errno) : "an open error"));
  return out;
}

// Validation figures are absent (null / empty) without a validation set.
nlohmann::json optional_figure(float v) {
  return v >= 0 ? nlohmann::json(v) : nlohmann::json();
}

}  // namespace

RunLog::RunLog(const std::string& dir) : dir_(dir) {
  const std::string csv = dir + "/log.csv";
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(csv, ec) || std::filesystem::file_size(csv, ec) == 0;
  csv_ = open_append(csv);
  jsonl_ = open_append(dir + "/log.jsonl");
  if (fresh)
    csv_ << "epoch,step,loss,accuracy,val_loss,val_accuracy,lr,seconds,images_per_second\n";
}

void RunLog::write(const EpochReport& r) {
  auto opt = [](float v) { return v >= 0 ? std::to_string(v) : std::string(); };
  csv_ << r.epoch << ',' << r.step << ',' << r.loss << ',' << r.accuracy << ',' << opt(r.val_loss)
       << ',' << opt(r.val_accuracy) << ',' << r.lr << ',' << r.seconds << ','
       << r.images_per_second << '\n';
  csv_.flush();
  jsonl_ << epoch_json(r) << '\n';
  jsonl_.flush();
  if (!csv_ || !jsonl_)
    throw std::runtime_error(dir_ + "/log.csv: file: expected a written log line, got a write "
                             "error (disk full?)");
}

std::string epoch_json(const EpochReport& r) {
  nlohmann::json j = {{"epoch", r.epoch},
                      {"epochs", r.epochs},
                      {"step", r.step},
                      {"loss", r.loss},
                      {"accuracy", r.accuracy},
                      {"val_loss", optional_figure(r.val_loss)},
                      {"val_accuracy", optional_figure(r.val_accuracy)},
                      {"lr", r.lr},
                      {"seconds", r.seconds},
                      {"images_per_second", r.images_per_second}};
  return j.dump();
}

}  // namespace signsnet::cli
