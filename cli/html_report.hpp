// The report page: everything gathered from a run, rendered as one self-contained HTML file
// (inline CSS and SVG, images as data: URIs, no script, no external reference).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_results.hpp"
#include "signsnet/metrics.hpp"
#include "signsnet/model.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet::cli {

/// A misclassified test image, ready to embed.
struct MisclassifiedImage {
  int index = 0;  ///< row in the test set
  int label = 0;
  int predicted = 0;
  float p_predicted = 0;
  float p_true = 0;
  std::string data_uri;  ///< data:image/png;base64,...
};

/// Everything the page shows.
struct ReportData {
  std::string run_dir;
  std::string checkpoint;
  int checkpoint_epoch = 0;  ///< epochs completed when the checkpoint was written
  std::string test_source;
  std::string trained_at;    ///< the checkpoint's modification time, UTC
  std::string generated_at;  ///< now, UTC
  std::string model;         ///< e.g. "ResNet-50, 64x64x3 input, 6 classes"
  std::string recipe;
  int epochs_planned = 0;
  int batch = 0;
  int threads = 0;  ///< the run's compute threads (0: all cores)
  std::vector<std::pair<std::string, std::string>> config;  ///< flattened config.json
  std::vector<EpochReport> epochs;

  float test_loss = 0;
  bool flip_tta = false;  ///< the test figures average each image with its mirror
  Metrics metrics;
  std::vector<std::string> class_names;
  std::vector<MisclassifiedImage> misclassified;  ///< most confident first, possibly capped
  std::int64_t misclassified_total = 0;
  int image_side = 64;  ///< displayed size of the images, in CSS pixels

  std::vector<LayerInfo> layers;
  ParameterCounts parameters;
  std::optional<BenchResults> bench;
};

/// The whole page.
std::string render_report(const ReportData& data);

// The sections, each a <section> element (exposed for the tests).
std::string summary_section(const ReportData& data);
std::string curves_section(const ReportData& data);
std::string metrics_sections(const ReportData& data);
std::string misclassified_section(const ReportData& data);
std::string model_section(const ReportData& data);
std::string bench_section(const BenchResults& bench);

}  // namespace signsnet::cli
