// signsnet-cli predict: class probabilities for image files or rows of an HDF5 file, with the
// notebook's sentence.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet::cli {
namespace {

// The notebook names the class when its probability is above one half.
constexpr float kConfident = 0.5f;

struct PredictFlags {
  std::vector<std::string> images;
  std::string checkpoint, h5, rows;
  int top_k = 0, threads = 0;
  std::int64_t max_input_mb = 0;
  bool json = false;
  FlipTtaFlags flip;
};

struct Item {
  std::string source;
  Dataset image;  // one image
};

std::vector<Item> h5_items(const PredictFlags& f, const ModelConfig& m) {
  const Dataset all = load_data(f.h5, "--h5", m, m.classes, input_limits(f.max_input_mb).data);
  std::vector<int> rows =
      f.rows.empty() ? std::vector<int>(all.count) : parse_rows(f.rows, "--rows");
  if (f.rows.empty()) std::iota(rows.begin(), rows.end(), 0);
  std::vector<Item> items;
  for (int r : rows) {
    if (r >= all.count)
      throw DataError("--rows: expected rows in [0, " + std::to_string(all.count) + ") of " + f.h5 +
                      ", got " + std::to_string(r));
    items.push_back({f.h5 + "[" + std::to_string(r) + "]", subset(all, {r})});
  }
  return items;
}

std::vector<Item> file_items(const PredictFlags& f, const ModelConfig& m) {
  std::vector<Item> items;
  for (const std::string& path : f.images) {
    require_path(path, "image");
    items.push_back({path, as_error<DataError>([&] {
                       return load_image_file(path, m.input_height, m.input_width,
                                              input_limits(f.max_input_mb).data);
                     })});
  }
  return items;
}

std::string sentence(const std::vector<float>& p) {
  const auto top = std::max_element(p.begin(), p.end());
  if (*top > kConfident) return "The number of this image is " + std::to_string(top - p.begin());
  return "Can not find the correct number";
}

std::vector<int> ranked(const std::vector<float>& p, int k) {
  std::vector<int> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
  if (k > 0 && k < static_cast<int>(order.size())) order.resize(k);
  return order;
}

void print_item(const std::string& source, const std::vector<float>& p, int k) {
  std::cout << source << "\n" << sentence(p) << "\n";
  for (int c : ranked(p, k)) std::printf("  %d: %.4f\n", c, p[c]);
}

nlohmann::json item_json(const std::string& source, const std::vector<float>& p, int k) {
  nlohmann::json top = nlohmann::json::array();
  for (int c : ranked(p, k)) top.push_back({{"class", c}, {"probability", p[c]}});
  const int best = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
  return {{"source", source},        {"prediction", best}, {"confident", p[best] > kConfident},
          {"sentence", sentence(p)}, {"probabilities", p}, {"top", top}};
}

int run_predict(const PredictFlags& f) {
  if (!f.rows.empty() && f.h5.empty()) throw UsageError("--rows: expected --h5 too, got none");
  if (f.images.empty() == f.h5.empty())
    throw UsageError("predict: expected image files or --h5 FILE, got " +
                     std::string(f.images.empty() ? "neither" : "both"));
  apply_threads(f.threads);
  CheckpointState state;
  Model model = load_model(f.checkpoint, 1, input_limits(f.max_input_mb).checkpoint, &state);
  const bool flip_tta = f.flip.resolve(state, f.checkpoint);
  const ModelConfig& m = model.config();
  const std::vector<Item> items = f.h5.empty() ? file_items(f, m) : h5_items(f, m);
  nlohmann::json out = nlohmann::json::array();
  for (const Item& item : items) {
    const Evaluation e = evaluate_dataset(model, item.image, 1, 1, flip_tta);
    if (f.json)
      out.push_back(item_json(item.source, e.probabilities, f.top_k));
    else
      print_item(item.source, e.probabilities, f.top_k);
  }
  if (f.json) std::cout << out.dump() << std::endl;
  return kOk;
}

}  // namespace

std::function<int()> add_predict_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("predict", "Classify images with a checkpoint");
  auto f = std::make_shared<PredictFlags>();
  cmd->add_option("--checkpoint", f->checkpoint, "Checkpoint (.h5)")->required();
  cmd->add_option("images", f->images, "JPEG or PNG files");
  cmd->add_option("--h5", f->h5, "An HDF5 file in the SIGNS layout instead of image files");
  cmd->add_option("--rows", f->rows, "Rows of --h5 to classify, e.g. 0,1,5 (default: all)");
  cmd->add_option("--top-k", f->top_k, "Show the k most likely classes (default: all)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threads", f->threads, "Compute threads")->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", f->json, "Print one JSON array");
  add_max_input_flag(*cmd, f->max_input_mb);
  add_flip_tta_flags(*cmd, f->flip);
  return [cmd, f] { return cmd->parsed() ? run_predict(*f) : -1; };
}

}  // namespace signsnet::cli
