// evaluate_dataset: inference over a whole data set, batch by batch, in order.
#include <algorithm>
#include <cmath>

#include "signsnet/trainer.hpp"

namespace signsnet {
namespace {

// Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; the same here.
constexpr double kProbabilityFloor = 1e-7;

}  // namespace

Evaluation evaluate_dataset(Model& model, const Dataset& data, int batch, int loader_threads) {
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
  double loss = 0.0;
  int labelled = 0, correct = 0, first = 0;
  while (loader.next(b)) {
    float* probs = e.probabilities.data() + static_cast<std::size_t>(first) * classes;
    model.predict(b.images.data(), b.count, probs);
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
