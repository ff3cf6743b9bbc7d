// signsnet-cli evaluate and summary: a checkpoint on a test set; the model's layer table.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/metrics.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet::cli {
namespace {

struct EvaluateFlags {
  std::string checkpoint, data, test;
  int batch = 32, threads = 0;
  std::int64_t max_input_mb = 0;
  bool json = false;
  FlipTtaFlags flip;
};

std::string test_source(const EvaluateFlags& f) {
  if (!f.test.empty()) return f.test;
  return find_data_dir(f.data) + "/test_signs.h5";
}

int run_evaluate(const EvaluateFlags& f) {
  apply_threads(f.threads);
  const InputLimits limits = input_limits(f.max_input_mb);
  CheckpointState state;
  Model model = load_model(f.checkpoint, f.batch, limits.checkpoint, &state);
  const std::string source = test_source(f);
  const Dataset test = load_data(source, f.test.empty() ? "--data" : "--test", model.config(),
                                 model.config().classes, limits.data);
  const bool flip_tta = f.flip.resolve(state, f.checkpoint);
  const Evaluation e = evaluate_dataset(model, test, f.batch, 1, flip_tta);
  const Metrics m = as_error<DataError>(
      [&] { return compute_metrics(test.labels, e.predictions, model.config().classes); });
  if (f.json) {
    nlohmann::json j = nlohmann::json::parse(m.to_json(test.class_names));
    j["loss"] = e.loss;
    j["checkpoint"] = f.checkpoint;
    j["data"] = source;
    j["flip_tta"] = flip_tta;
    std::cout << j.dump() << std::endl;
    return kOk;
  }
  std::printf("%s on %s%s: loss: %.4f - accuracy: %.4f (%lld/%lld)\n\n", f.checkpoint.c_str(),
              source.c_str(), flip_tta ? " (flip TTA)" : "", e.loss, m.accuracy(),
              static_cast<long long>(m.correct), static_cast<long long>(m.count));
  std::cout << m.to_text(test.class_names);
  return kOk;
}

struct SummaryFlags {
  std::string config = "resnet50", checkpoint;
  int input_size = 64, classes = 6;
};

int run_summary(const SummaryFlags& f) {
  ModelConfig c = named_model(f.config, f.input_size, f.classes);
  if (!f.checkpoint.empty()) {
    c = as_error<CheckpointError>([&] { return read_checkpoint_state(f.checkpoint).model; });
  }
  const Model model = as_error<UsageError>([&] { return Model(c, 1); });
  std::cout << model.summary();
  return kOk;
}

}  // namespace

std::function<int()> add_evaluate_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("evaluate",
                                     "Loss, accuracy, confusion matrix and "
                                     "per-class precision/recall/F1 of a checkpoint");
  auto f = std::make_shared<EvaluateFlags>();
  cmd->add_option("--checkpoint", f->checkpoint, "Checkpoint (.h5) to evaluate")->required();
  cmd->add_option("--data", f->data, "Folder holding test_signs.h5 (default: as for train)");
  cmd->add_option("--test", f->test, "Test set: an .h5 file, an image folder or an image");
  cmd->add_option("--batch", f->batch, "Images per forward pass")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", f->threads, "Compute threads")->check(CLI::Range(1, 1024));
  cmd->add_flag("--json", f->json, "Print one JSON object");
  add_max_input_flag(*cmd, f->max_input_mb);
  add_flip_tta_flags(*cmd, f->flip);
  return [cmd, f] { return cmd->parsed() ? run_evaluate(*f) : -1; };
}

std::function<int()> add_summary_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("summary", "The layer table and parameter totals");
  auto f = std::make_shared<SummaryFlags>();
  cmd->add_option("--config", f->config, "Architecture: resnet50, resnet101, resnet152, tiny")
      ->check(CLI::IsMember({"resnet50", "resnet101", "resnet152", "tiny"}));
  cmd->add_option("--input-size", f->input_size, "Input height and width")
      ->check(CLI::Range(8, 1024));
  cmd->add_option("--classes", f->classes, "Output classes")->check(CLI::Range(2, 100000));
  cmd->add_option("--checkpoint", f->checkpoint, "Take the architecture from this checkpoint");
  return [cmd, f] { return cmd->parsed() ? run_summary(*f) : -1; };
}

}  // namespace signsnet::cli
