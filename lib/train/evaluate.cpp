// evaluate_dataset: inference over a whole data set, batch by batch, in order.
#include <algorithm>
#include <cmath>

#include "signsnet/trainer.hpp"

namespace signsnet {
namespace {

// Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; the same here.
constexpr double kProbabilityFloor = 1e-7;

// Mirrors every image of `b` left to right, in place, in the loader's layout.
void mirror(Batch& b, const ModelConfig& m, ImageLayout layout) {
  const std::size_t w = static_cast<std::size_t>(m.input_width);
  const std::size_t c = static_cast<std::size_t>(m.input_channels);
  const std::size_t rows = static_cast<std::size_t>(b.count) * c * m.input_height;
  float* x = b.images.data();
  if (layout == ImageLayout::nchw) {
    for (std::size_t r = 0; r < rows; ++r) std::reverse(x + r * w, x + (r + 1) * w);
    return;
  }
  for (std::size_t r = 0; r < rows / c; ++r) {
    float* row = x + r * w * c;
    for (std::size_t i = 0, j = w - 1; i < j; ++i, --j)
      std::swap_ranges(row + i * c, row + (i + 1) * c, row + j * c);
  }
}

}  // namespace

Evaluation evaluate_dataset(Model& model, const Dataset& data, int batch, int loader_threads,
                            bool flip_tta) {
  Evaluation e;
  const int classes = model.config().classes;
  e.count = data.count;
  e.probabilities.resize(static_cast<std::size_t>(data.count) * classes);
  e.predictions.resize(data.count);
  if (data.count == 0) return e;
  LoaderConfig lc;
  lc.batch_size = batch;
  lc.shuffle = false;
  lc.layout = model.input_layout();
  lc.threads = loader_threads;
  Loader loader(data, lc);
  Batch b;
  std::vector<float> mirrored;
  double loss = 0.0;
  int labelled = 0, correct = 0, first = 0;
  while (loader.next(b)) {
    float* probs = e.probabilities.data() + static_cast<std::size_t>(first) * classes;
    model.predict(b.images.data(), b.count, probs);
    if (flip_tta) {
      const std::size_t n = static_cast<std::size_t>(b.count) * classes;
      mirrored.resize(n);
      mirror(b, model.config(), lc.layout);
      model.predict(b.images.data(), b.count, mirrored.data());
      for (std::size_t k = 0; k < n; ++k) probs[k] = 0.5f * (probs[k] + mirrored[k]);
    }
    for (int i = 0; i < b.count; ++i) {
      const float* p = probs + static_cast<std::size_t>(i) * classes;
      const int top = static_cast<int>(std::max_element(p, p + classes) - p);
      e.predictions[first + i] = top;
      const int label = b.labels[i];
      if (label < 0 || label >= classes) continue;  // unlabelled (e.g. a single image file)
      loss -= std::log(std::clamp<double>(p[label], kProbabilityFloor, 1.0 - kProbabilityFloor));
      correct += top == label;
      ++labelled;
    }
    first += b.count;
  }
  e.loss = labelled ? static_cast<float>(loss / labelled) : 0.0f;
  e.accuracy = labelled ? static_cast<float>(correct) / labelled : 0.0f;
  return e;
}

}  // namespace signsnet
