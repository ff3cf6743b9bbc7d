// signsnet-cli report: one self-contained HTML page from a run folder, its checkpoint evaluated on
// the test set, and optionally signsnet-bench results. Everything is read and computed first; the
// page is then written to <out>.tmp and renamed, so a failed run never replaces a good report.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>

#include "bench_results.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "html_report.hpp"
#include "png_encode.hpp"
#include "run_folder.hpp"
#include "signsnet/checkpoint.hpp"

namespace signsnet::cli {
namespace {

namespace fs = std::filesystem;

struct ReportFlags {
  std::string run, checkpoint, data, test, bench, out;
  int batch = 32, threads = 0, max_images = 200;
  std::int64_t max_input_mb = 0;
  FlipTtaFlags flip;
};

std::string utc_time(std::time_t t) {
  char text[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string modified_time(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? utc_time(st.st_mtime) : "unknown";
}

std::string describe_model(const ModelConfig& m) {
  std::string name = "ResNet";
  for (const auto& [label, known] : {std::pair{"ResNet-50", ModelConfig::resnet50()},
                                     std::pair{"ResNet-101", ModelConfig::resnet101()},
                                     std::pair{"ResNet-152", ModelConfig::resnet152()},
                                     std::pair{"tiny ResNet", ModelConfig::tiny()}}) {
    const bool same = known.stem_channels == m.stem_channels &&
                      known.stages.size() == m.stages.size() &&
                      std::equal(m.stages.begin(), m.stages.end(), known.stages.begin(),
                                 [](const StageConfig& a, const StageConfig& b) {
                                   return a.blocks == b.blocks && a.mid == b.mid &&
                                          a.out == b.out && a.stride == b.stride;
                                 });
    if (same) name = label;
  }
  return name + ", " + std::to_string(m.input_height) + "x" + std::to_string(m.input_width) + "x" +
         std::to_string(m.input_channels) + " input, " + std::to_string(m.classes) + " classes";
}

std::vector<std::string> class_names(const Dataset& test, int classes) {
  if (static_cast<int>(test.class_names.size()) == classes) return test.class_names;
  std::vector<std::string> names;
  for (int c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  return names;
}

// The wrong predictions, most confident first, at most `limit`, as embeddable PNGs.
void collect_misclassified(const Dataset& test, const Evaluation& e, int classes, int limit,
                           ReportData* d) {
  std::vector<int> wrong;
  for (int i = 0; i < test.count; ++i)
    if (e.predictions[i] != test.labels[i]) wrong.push_back(i);
  auto p = [&](int i, int c) { return e.probabilities[static_cast<std::size_t>(i) * classes + c]; };
  std::stable_sort(wrong.begin(), wrong.end(),
                   [&](int a, int b) { return p(a, e.predictions[a]) > p(b, e.predictions[b]); });
  d->misclassified_total = static_cast<std::int64_t>(wrong.size());
  if (static_cast<int>(wrong.size()) > limit) wrong.resize(limit);
  for (int i : wrong)
    d->misclassified.push_back(
        {i, test.labels[i], e.predictions[i], p(i, e.predictions[i]), p(i, test.labels[i]),
         png_data_uri(test.image(i), test.width, test.height, test.channels)});
  d->image_side = std::clamp(test.width, 96, 160);
}

void fill_run(const RunFolder& run, const CheckpointState& state, const std::string& checkpoint,
              ReportData* d) {
  const bool own = !run.config_json.empty();
  const std::string text = own ? run.config_json : state.train_config_json;
  const std::string where = own ? run.dir + "/config.json" : checkpoint + ": train_config";
  d->config = flatten_json(text, where);
  const TrainConfig c = as_error<DataError>([&] { return TrainConfig::from_json(text, where); });
  d->run_dir = run.dir;
  d->epochs = run.epochs;
  d->recipe = c.recipe;
  d->epochs_planned = c.epochs;
  d->batch = c.batch;
  d->threads = c.threads;
  d->checkpoint = checkpoint;
  d->checkpoint_epoch = state.epoch;
  d->trained_at = modified_time(checkpoint);
  d->generated_at = utc_time(std::time(nullptr));
}

void fill_evaluation(Model& model, const Dataset& test, const ReportFlags& f, bool flip_tta,
                     ReportData* d) {
  const int classes = model.config().classes;
  const Evaluation e = evaluate_dataset(model, test, f.batch, 1, flip_tta);
  d->metrics =
      as_error<DataError>([&] { return compute_metrics(test.labels, e.predictions, classes); });
  d->test_loss = e.loss;
  d->flip_tta = flip_tta;
  d->class_names = class_names(test, classes);
  collect_misclassified(test, e, classes, f.max_images, d);
  d->model = describe_model(model.config());
  d->layers = model.layers();
  d->parameters = model.parameter_counts();
}

std::string output_path(const ReportFlags& f) {
  const std::string out = f.out.empty() ? f.run + "/report.html" : f.out;
  const fs::path parent = fs::path(out).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw UsageError("--out: expected a file in an existing folder, got '" + out + "'");
  return out;
}

int run_report(const ReportFlags& f) {
  apply_threads(f.threads);
  const InputLimits limits = input_limits(f.max_input_mb);
  const RunFolder run = read_run_folder(f.run);
  const std::string out = output_path(f);
  ReportData d;
  if (!f.bench.empty()) {  // read first: a bad file fails before the evaluation
    require_path(f.bench, "--bench");
    d.bench = read_bench(f.bench);
  }
  const std::string checkpoint = f.checkpoint.empty() ? default_checkpoint(f.run) : f.checkpoint;
  const CheckpointState state = as_error<CheckpointError>(
      [&] { return read_checkpoint_state(checkpoint, limits.checkpoint); });
  Model model = load_model(checkpoint, f.batch, limits.checkpoint);
  d.test_source = f.test.empty() ? find_data_dir(f.data) + "/test_signs.h5" : f.test;
  const Dataset test = load_data(d.test_source, f.test.empty() ? "--data" : "--test",
                                 model.config(), model.config().classes, limits.data);
  fill_run(run, state, checkpoint, &d);
  fill_evaluation(model, test, f, f.flip.resolve(state, checkpoint), &d);
  write_file_atomically(out, render_report(d), "a written report");
  std::printf("Wrote %s: test accuracy %.4f (%lld/%lld), %lld misclassified images\n", out.c_str(),
              d.metrics.accuracy(), static_cast<long long>(d.metrics.correct),
              static_cast<long long>(d.metrics.count),
              static_cast<long long>(d.misclassified_total));
  return kOk;
}

}  // namespace

std::function<int()> add_report_command(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("report",
                         "A self-contained HTML page of a run: curves, confusion matrix, metrics, "
                         "misclassified images, model, benchmarks");
  auto f = std::make_shared<ReportFlags>();
  cmd->add_option("--run", f->run, "Run folder written by train --out (log.jsonl, config.json)")
      ->required();
  cmd->add_option("--checkpoint", f->checkpoint,
                  "Checkpoint to evaluate (default: the run's "
                  "best.h5, else last.h5)");
  cmd->add_option("--data", f->data, "Folder holding test_signs.h5 (default: as for train)");
  cmd->add_option("--test", f->test, "Test set: an .h5 file, an image folder or an image");
  cmd->add_option("--bench", f->bench, "signsnet-bench JSON (--benchmark_out_format=json) to show");
  cmd->add_option("--out", f->out, "The HTML file to write (default: <run>/report.html)");
  cmd->add_option("--max-images", f->max_images,
                  "Show at most this many misclassified images (default 200)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--batch", f->batch, "Images per forward pass")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", f->threads, "Compute threads")->check(CLI::Range(1, 1024));
  add_max_input_flag(*cmd, f->max_input_mb);
  add_flip_tta_flags(*cmd, f->flip);
  return [cmd, f] { return cmd->parsed() ? run_report(*f) : -1; };
}

}  // namespace signsnet::cli
