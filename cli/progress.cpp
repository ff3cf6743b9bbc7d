#include "progress.hpp"

#include <algorithm>
#include <cmath>

namespace signsnet::cli {
namespace {

constexpr int kBarWidth = 30;

std::string format(const char* fmt, double a) {
  char text[64];
  std::snprintf(text, sizeof text, fmt, a);
  return text;
}

std::string figures(float loss, float accuracy) {
  return " - loss: " + format("%.4f", loss) + " - accuracy: " + format("%.4f", accuracy);
}

std::string per_step(double seconds, int steps) {
  const double ms = steps ? 1000.0 * seconds / steps : 0.0;
  return ms >= 1000.0 ? format("%.0fs/step", ms / 1000.0) : format("%.0fms/step", ms);
}

}  // namespace

std::string progress_bar(int done, int total) {
  const int filled = total ? kBarWidth * done / total : kBarWidth;
  std::string bar = "[";
  if (filled > 0) bar += std::string(filled - 1, '=') + (done < total ? ">" : "=");
  bar += std::string(kBarWidth - std::max(filled, 0), '.') + "]";
  return bar;
}

std::string duration_text(double seconds) {
  const long s = std::lround(seconds);
  if (s < 60) return std::to_string(s) + "s";
  char text[32];
  std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  return text;
}

Progress::~Progress() {
  finish_line();
}

void Progress::header(int epoch, int epochs) {
  if (shown_epoch_ == epoch) return;
  finish_line();
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  shown_epoch_ = epoch;
}

void Progress::step(const StepReport& r) {
  if (!interactive_) return;
  header(r.epoch, r.epochs);
  const double eta = r.batch ? r.seconds / r.batch * (r.batches - r.batch) : 0.0;
  std::string line = std::to_string(r.batch) + "/" + std::to_string(r.batches) + " " +
                     progress_bar(r.batch, r.batches) + " - ETA: " + duration_text(eta) +
                     figures(r.loss, r.accuracy);
  const std::size_t length = line.size();
  if (line.size() < drawn_) line += std::string(drawn_ - line.size(), ' ');
  std::fprintf(out_, "\r%s", line.c_str());
  std::fflush(out_);
  drawn_ = length;
}

void Progress::epoch(const EpochReport& r) {
  header(r.epoch, r.epochs);
  std::string line = std::to_string(r.batches) + "/" + std::to_string(r.batches) + " " +
                     progress_bar(r.batches, r.batches) + " - " + duration_text(r.seconds) + " " +
                     per_step(r.seconds, r.batches) + figures(r.loss, r.accuracy);
  if (r.val_accuracy >= 0) {
    line += " - val_loss: " + format("%.4f", r.val_loss) +
            " - val_accuracy: " + format("%.4f", r.val_accuracy);
  }
  if (interactive_ && line.size() < drawn_) line += std::string(drawn_ - line.size(), ' ');
  std::fprintf(out_, "%s%s\n", interactive_ ? "\r" : "", line.c_str());
  std::fflush(out_);
  drawn_ = 0;
}

void Progress::finish_line() {
  if (drawn_ == 0) return;
  std::fputc('\n', out_);
  std::fflush(out_);
  drawn_ = 0;
}

}  // namespace signsnet::cli
