// signsnet-classify: loads a checkpoint and classifies JPEG or PNG files with it.
//   signsnet-classify CHECKPOINT IMAGE...
// Prints, per image, the notebook's sentence and the class probabilities, most likely first
// (the format of `signsnet-cli predict`, averaged with the mirror image when the checkpoint's
// recipe says so). Only the public API of an installed signsnet is used
// (find_package(signsnet) -> signsnet::signsnet).
#include <signsnet/checkpoint.hpp>
#include <signsnet/data.hpp>
#include <signsnet/model.hpp>
#include <signsnet/trainer.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

// Loads the checkpoint's architecture and weights into a model for batches of `batch` images.
signsnet::Model load(const std::string& checkpoint, int batch) {
  const signsnet::CheckpointState state = signsnet::read_checkpoint_state(checkpoint);
  signsnet::Model model(state.model, batch);
  signsnet::load_checkpoint(checkpoint, model, signsnet::LoadParts::weights);
  return model;
}

// Whether the checkpoint's recipe evaluates with test-time flips (the default recipe does), as
// `signsnet-cli predict` decides without --flip-tta or --no-flip-tta.
bool recipe_flips(const std::string& checkpoint) {
  const std::string json = signsnet::read_checkpoint_state(checkpoint).train_config_json;
  return !json.empty() && signsnet::TrainConfig::from_json(json, checkpoint).flip_tta;
}

void print(const std::string& source, const float* p, int classes) {
  const int best = static_cast<int>(std::max_element(p, p + classes) - p);
  std::printf("%s\n", source.c_str());
  if (p[best] > 0.5f)
    std::printf("The number of this image is %d\n", best);
  else
    std::printf("Can not find the correct number\n");
  std::vector<int> order(classes);  // most likely first, ties in class order
  for (int c = 0; c < classes; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [p](int a, int b) { return p[a] > p[b]; });
  for (int c : order) std::printf("  %d: %.4f\n", c, p[c]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: signsnet-classify CHECKPOINT IMAGE...\n");
    return 2;
  }
  try {
    signsnet::Model model = load(argv[1], 1);
    const bool flips = recipe_flips(argv[1]);
    const signsnet::ModelConfig& config = model.config();
    for (int i = 2; i < argc; ++i) {
      const signsnet::Dataset image =
          signsnet::load_image_file(argv[i], config.input_height, config.input_width);
      const signsnet::Evaluation e = signsnet::evaluate_dataset(model, image, 1, 1, flips);
      print(argv[i], e.probabilities.data(), config.classes);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "signsnet-classify: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
