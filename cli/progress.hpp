// Keras-style training progress: "Epoch 3/20", then
// "34/34 [==============================] - 11s 320ms/step - loss: 0.1800 - accuracy: 0.9500".
// On a terminal the bar is redrawn in place after every step; otherwise one line per epoch.
#pragma once

#include <cstdio>
#include <string>

#include "signsnet/trainer.hpp"

namespace signsnet::cli {

class Progress {
 public:
  /// `interactive`: redraw with \r after each step (stdout is a terminal).
  Progress(std::FILE* out, bool interactive) : out_(out), interactive_(interactive) {}
  ~Progress();

  void step(const StepReport& r);
  void epoch(const EpochReport& r);
  /// Ends a half-drawn line (before an error or interruption message).
  void finish_line();

 private:
  void header(int epoch, int epochs);
  std::FILE* out_;
  bool interactive_;
  int shown_epoch_ = 0;    // the epoch whose header was printed
  std::size_t drawn_ = 0;  // length of the line currently on screen
};

/// The bar: 30 characters of '=' with a '>' at the head while in progress.
std::string progress_bar(int done, int total);
/// "11s", "1m05s".
std::string duration_text(double seconds);

}  // namespace signsnet::cli
