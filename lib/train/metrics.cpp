// Confusion matrix and per-class precision / recall / F1, with text and JSON renderings.
#include "signsnet/metrics.hpp"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace signsnet {
namespace {

double ratio(std::int64_t a, std::int64_t b) {
  return b ? static_cast<double>(a) / b : 0.0;
}

void check_range(const char* what, std::size_t i, std::int32_t v, int classes) {
  if (v < 0 || v >= classes) {
    throw std::invalid_argument(std::string("metrics: ") + what + "[" + std::to_string(i) +
                                "]: expected a class in [0, " + std::to_string(classes) +
                                "), got " + std::to_string(v));
  }
}

std::string name_of(const std::vector<std::string>& names, int c) {
  return c < static_cast<int>(names.size()) ? names[c] : std::to_string(c);
}

void fill_per_class(Metrics& m) {
  const int n = m.classes;
  m.per_class.assign(n, {});
  for (int c = 0; c < n; ++c) {
    std::int64_t predicted = 0, actual = 0;
    for (int k = 0; k < n; ++k) {
      predicted += m.at(k, c);
      actual += m.at(c, k);
    }
    ClassMetrics& r = m.per_class[c];
    r.support = actual;
    r.precision = ratio(m.at(c, c), predicted);
    r.recall = ratio(m.at(c, c), actual);
    const double sum = r.precision + r.recall;
    r.f1 = sum > 0 ? 2 * r.precision * r.recall / sum : 0.0;
    m.macro_precision += r.precision / n;
    m.macro_recall += r.recall / n;
    m.macro_f1 += r.f1 / n;
  }
}

}  // namespace

Metrics compute_metrics(const std::vector<std::int32_t>& labels,
                        const std::vector<std::int32_t>& predictions, int classes) {
  if (labels.size() != predictions.size()) {
    throw std::invalid_argument("metrics: predictions: expected " + std::to_string(labels.size()) +
                                " (one per label), got " + std::to_string(predictions.size()));
  }
  if (classes < 1)
    throw std::invalid_argument("metrics: classes: expected at least 1, got " +
                                std::to_string(classes));
  Metrics m;
  m.classes = classes;
  m.confusion.assign(static_cast<std::size_t>(classes) * classes, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    check_range("labels", i, labels[i], classes);
    check_range("predictions", i, predictions[i], classes);
    ++m.confusion[labels[i] * classes + predictions[i]];
    m.correct += labels[i] == predictions[i];
  }
  m.count = static_cast<std::int64_t>(labels.size());
  fill_per_class(m);
  return m;
}

std::string Metrics::to_text(const std::vector<std::string>& names) const {
  std::ostringstream out;
  int width = 6;
  for (int c = 0; c < classes; ++c) width = std::max<int>(width, name_of(names, c).size() + 1);
  out << "Confusion matrix (rows: true class, columns: predicted)\n" << std::setw(width) << "";
  for (int c = 0; c < classes; ++c) out << std::setw(width) << name_of(names, c);
  out << "\n";
  for (int r = 0; r < classes; ++r) {
    out << std::setw(width) << name_of(names, r);
    for (int c = 0; c < classes; ++c) out << std::setw(width) << at(r, c);
    out << "\n";
  }
  out << "\n"
      << std::setw(width) << "class" << std::setw(11) << "precision" << std::setw(9) << "recall"
      << std::setw(9) << "f1" << std::setw(9) << "support\n";
  out << std::fixed << std::setprecision(4);
  for (int c = 0; c < classes; ++c) {
    const ClassMetrics& p = per_class[c];
    out << std::setw(width) << name_of(names, c) << std::setw(11) << p.precision << std::setw(9)
        << p.recall << std::setw(9) << p.f1 << std::setw(9) << p.support << "\n";
  }
  out << std::setw(width) << "macro" << std::setw(11) << macro_precision << std::setw(9)
      << macro_recall << std::setw(9) << macro_f1 << std::setw(9) << count << "\n";
  out << "accuracy: " << accuracy() << " (" << correct << "/" << count << ")\n";
  return out.str();
}

std::string Metrics::to_json(const std::vector<std::string>& names) const {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < classes; ++r)
    rows.push_back(std::vector<std::int64_t>(confusion.begin() + r * classes,
                                             confusion.begin() + (r + 1) * classes));
  nlohmann::json per = nlohmann::json::array();
  for (int c = 0; c < classes; ++c) {
    const ClassMetrics& p = per_class[c];
    per.push_back({{"class", name_of(names, c)},
                   {"precision", p.precision},
                   {"recall", p.recall},
                   {"f1", p.f1},
                   {"support", p.support}});
  }
  nlohmann::json j = {
      {"accuracy", accuracy()},
      {"count", count},
      {"correct", correct},
      {"confusion", rows},
      {"per_class", per},
      {"macro", {{"precision", macro_precision}, {"recall", macro_recall}, {"f1", macro_f1}}}};
  return j.dump();
}

}  // namespace signsnet
