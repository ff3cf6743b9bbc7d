// Classification metrics from predictions and labels: confusion matrix, per-class precision,
// recall and F1, accuracy; text and JSON renderings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace signsnet {

/// Precision, recall and F1 of one class (0 when undefined, e.g. a class never predicted).
struct ClassMetrics {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  std::int64_t support = 0;  ///< images whose label is this class
};

/// Metrics over a set of predictions.
struct Metrics {
  int classes = 0;
  std::int64_t count = 0;
  std::int64_t correct = 0;
  /// classes x classes, row = true label, column = predicted class.
  std::vector<std::int64_t> confusion;
  std::vector<ClassMetrics> per_class;
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;

  double accuracy() const { return count ? static_cast<double>(correct) / count : 0.0; }
  std::int64_t at(int label, int predicted) const { return confusion[label * classes + predicted]; }

  /// The confusion matrix and a per-class table; `names` labels the classes (default: 0..n-1).
  std::string to_text(const std::vector<std::string>& names = {}) const;
  /// {"accuracy", "count", "correct", "confusion" (rows), "per_class": [{class, precision, ...}],
  ///  "macro": {...}}.
  std::string to_json(const std::vector<std::string>& names = {}) const;
};

/// Computes the metrics. Throws std::invalid_argument when the sizes differ or a label or
/// prediction is outside [0, classes).
Metrics compute_metrics(const std::vector<std::int32_t>& labels,
                        const std::vector<std::int32_t>& predictions, int classes);

}  // namespace signsnet
