// The page skeleton, its style sheet, the summary, the curves and the metrics. The remaining
// sections are in report_sections.cpp.
#include "html_report.hpp"

#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "common.hpp"
#include "html.hpp"
#include "svg_chart.hpp"

namespace signsnet::cli {
namespace {

// matplotlib's first two colors, what Keras and TensorBoard users are used to.
constexpr const char* kTrainColor = "#1f77b4";
constexpr const char* kValColor = "#ff7f0e";

constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #111827;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 22px; margin: 0 0 4px; }
header p { margin: 0; color: #4b5563; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px;
  margin-top: 18px; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 8px; }
.note { color: #4b5563; margin: 4px 0 12px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px;
  margin-bottom: 14px; }
.tile { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; background: #f9fafb; }
.tile .label { color: #6b7280; font-size: 12px; }
.tile .value { font-size: 20px; font-weight: 600; }
.tile .sub { color: #6b7280; font-size: 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; text-align: left;
  vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.barcell { padding-left: 0; }
tr.total td { font-weight: 600; border-top: 2px solid #d1d5db; }
table.kv th { background: none; color: #4b5563; font-weight: 500; white-space: nowrap; }
td.path { word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg.chart { max-width: 100%; height: auto; font-size: 12px; background: #fff; }
svg .grid { stroke: #e5e7eb; stroke-width: 1; }
svg .axis { stroke: #6b7280; stroke-width: 1; fill: none; }
svg .tick { fill: #4b5563; font-size: 11px; }
svg .axis-title { fill: #374151; font-size: 12px; }
svg .chart-title { fill: #111827; font-size: 13px; font-weight: 600; }
svg .legend { fill: #374151; font-size: 12px; }
svg .series { stroke-width: 2; stroke-linejoin: round; }
svg .marker { stroke: #9ca3af; stroke-dasharray: 4 3; }
svg .marker-label { fill: #6b7280; font-size: 11px; }
svg .count { font-size: 13px; font-weight: 600; }
.bar { display: inline-block; height: 8px; background: #93c5fd; border-radius: 2px;
  vertical-align: middle; }
.grid-images { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 12px; }
figure.miss { margin: 0; padding: 8px; border: 1px solid #e5e7eb; border-radius: 6px;
  background: #f9fafb; text-align: center; }
figure.miss img { display: block; margin: 0 auto 6px; border-radius: 3px; }
figure.miss figcaption { font-size: 12px; line-height: 1.35; white-space: nowrap; }
.pair { display: flex; flex-wrap: wrap; gap: 18px; align-items: stretch; }
.pair > section { flex: 1 1 420px; min-width: 0; }
.pred { color: #b91c1c; font-weight: 600; }
.true { color: #15803d; font-weight: 600; }
.idx { color: #6b7280; }
details summary { cursor: pointer; color: #1d4ed8; margin: 8px 0; }
.scroll { overflow-x: auto; }
footer { color: #6b7280; font-size: 12px; margin-top: 18px; text-align: center; }
)css";

std::string tile(const std::string& label, const std::string& value, const std::string& sub) {
  return "<div class=\"tile\"><div class=\"label\">" + escape_html(label) +
         "</div><div class=\"value\">" + escape_html(value) + "</div><div class=\"sub\">" +
         escape_html(sub) + "</div></div>";
}

std::string kv_row(const std::string& key, const std::string& value, bool path = false) {
  return "<tr><th scope=\"row\">" + escape_html(key) + "</th><td" +
         (path ? " class=\"path\"" : "") + ">" + escape_html(value) + "</td></tr>";
}

double mean_seconds(const std::vector<EpochReport>& epochs) {
  double sum = 0;
  for (const EpochReport& e : epochs) sum += e.seconds;
  return epochs.empty() ? NAN : sum / epochs.size();
}

std::string figures(double loss, double accuracy) {
  return loss < 0 ? "-" : "loss " + fixed(loss, 4) + ", accuracy " + percent(accuracy);
}

std::string tiles(const ReportData& d) {
  const EpochReport& last = d.epochs.back();
  const Metrics& m = d.metrics;
  const bool val = last.val_accuracy >= 0;
  return "<div class=\"tiles\">" +
         tile("Test accuracy", percent(m.accuracy()),
              std::to_string(m.correct) + " of " + std::to_string(m.count) + " images") +
         tile("Test loss", fixed(d.test_loss, 4),
              "checkpoint of epoch " + std::to_string(d.checkpoint_epoch)) +
         tile("Train accuracy", percent(last.accuracy),
              "loss " + fixed(last.loss, 4) + ", epoch " + std::to_string(last.epoch)) +
         tile("Validation accuracy", val ? percent(last.val_accuracy) : "-",
              val ? "loss " + fixed(last.val_loss, 4) : "no validation split") +
         tile("Epochs", std::to_string(last.epoch) + " / " + std::to_string(d.epochs_planned),
              "batch " + std::to_string(d.batch)) +
         tile("Time per epoch", fixed(mean_seconds(d.epochs), 2) + " s",
              fixed(last.images_per_second, 0) + " img/s training") +
         "</div>";
}

Series series(const char* name, const char* color) {
  Series s;
  s.name = name;
  s.color = color;
  return s;
}

LineChart epoch_chart(const char* title, const char* y_label, const ReportData& d) {
  LineChart c;
  c.title = title;
  c.x_label = "epoch";
  c.y_label = y_label;
  c.marker_x = d.checkpoint_epoch;
  c.marker_label = "checkpoint";
  return c;
}

std::string metric_row(const std::string& name, double precision, double recall, double f1,
                       std::int64_t support, const char* row_class = "") {
  return std::string("<tr class=\"") + row_class + "\"><td>" + escape_html(name) +
         "</td><td class=\"num\">" + fixed(precision, 3) + "</td><td class=\"num\">" +
         fixed(recall, 3) + "</td><td class=\"num\">" + fixed(f1, 3) + "</td>" + bar_cell(f1, 80) +
         "<td class=\"num\">" + std::to_string(support) + "</td></tr>";
}

std::string per_class_section(const ReportData& d) {
  const Metrics& m = d.metrics;
  std::string s =
      "<section id=\"per-class\"><h2>Per-class precision and recall</h2><table><thead><tr><th>"
      "class</th><th class=\"num\">precision</th><th class=\"num\">recall</th><th "
      "class=\"num\">F1</th><th></th><th class=\"num\">support</th></tr></thead><tbody>";
  for (int c = 0; c < m.classes; ++c) {
    const ClassMetrics& k = m.per_class[c];
    s += metric_row(d.class_names[c], k.precision, k.recall, k.f1, k.support);
  }
  s += metric_row("macro avg", m.macro_precision, m.macro_recall, m.macro_f1, m.count, "total");
  return s + "<tr><td>accuracy</td><td></td><td></td><td class=\"num\">" + fixed(m.accuracy(), 3) +
         "</td>" + bar_cell(m.accuracy(), 80) + "<td class=\"num\">" + std::to_string(m.count) +
         "</td></tr></tbody></table></section>";
}

}  // namespace

std::string summary_section(const ReportData& d) {
  const EpochReport& last = d.epochs.back();
  std::string s = "<section id=\"summary\"><h2>Summary</h2>" + tiles(d) + "<table class=\"kv\">";
  s += kv_row("Run folder", d.run_dir, true);
  s += kv_row("Checkpoint",
              d.checkpoint + " (after epoch " + std::to_string(d.checkpoint_epoch) + ", written " +
                  d.trained_at + ")",
              true);
  s += kv_row("Test set", d.test_source, true);
  s += kv_row("Model", d.model + ", " + with_commas(d.parameters.total) + " parameters");
  s += kv_row("Recipe", d.recipe + ", " + std::to_string(d.epochs_planned) + " epochs planned");
  s += kv_row("Final epoch", "train " + figures(last.loss, last.accuracy) + "; validation " +
                                 figures(last.val_loss, last.val_accuracy));
  s += kv_row("Test (checkpoint)", figures(d.test_loss, d.metrics.accuracy()) +
                                       (d.flip_tta ? ", with test-time flips" : ""));
  s += kv_row("Threads", d.threads > 0 ? std::to_string(d.threads) : "all cores (not fixed)");
  s += kv_row("Report generated", d.generated_at);
  s += "</table><details><summary>Training configuration (config.json)</summary><table "
       "class=\"kv\">";
  for (const auto& [key, value] : d.config) s += kv_row(key, value);
  return s + "</table></details></section>";
}

std::string curves_section(const ReportData& d) {
  Series loss = series("training", kTrainColor), val_loss = series("validation", kValColor);
  Series acc = series("training", kTrainColor), val_acc = series("validation", kValColor);
  bool has_val = false;
  for (const EpochReport& e : d.epochs) {
    for (Series* s : {&loss, &val_loss, &acc, &val_acc}) s->x.push_back(e.epoch);
    loss.y.push_back(e.loss);
    acc.y.push_back(e.accuracy);
    val_loss.y.push_back(e.val_loss >= 0 ? e.val_loss : NAN);
    val_acc.y.push_back(e.val_accuracy >= 0 ? e.val_accuracy : NAN);
    has_val |= e.val_loss >= 0;
  }
  LineChart l = epoch_chart("Loss", "loss", d), a = epoch_chart("Accuracy", "accuracy", d);
  a.y_min = 0, a.y_max = 1;
  l.series = {loss};
  a.series = {acc};
  if (has_val) l.series.push_back(val_loss), a.series.push_back(val_acc);
  return "<section id=\"curves\"><h2>Training curves</h2><p class=\"note\">Per epoch, from "
         "log.jsonl. Training figures are running means over the epoch (augmented images); "
         "validation figures are measured after it." +
         std::string(has_val ? "" : " The run had no validation split.") +
         " The dashed line marks the evaluated checkpoint.</p><div class=\"charts\">" +
         render_line_chart(l) + render_line_chart(a) + "</div></section>";
}

std::string metrics_sections(const ReportData& d) {
  const Metrics& m = d.metrics;
  return "<section id=\"confusion\"><h2>Confusion matrix</h2><p class=\"note\">" +
         std::to_string(m.count) + " test images, " + std::to_string(m.count - m.correct) +
         " misclassified. Rows are true classes, columns predictions; the shade is the share of "
         "the row.</p>" +
         render_heatmap({"Confusion matrix (test set)", d.class_names, m.confusion}) +
         "</section>" + per_class_section(d);
}

std::string render_report(const ReportData& d) {
  if (d.epochs.empty() || d.class_names.size() != static_cast<std::size_t>(d.metrics.classes))
    throw std::invalid_argument("render_report: expected epochs and one name per class, got " +
                                std::to_string(d.epochs.size()) + " epochs and " +
                                std::to_string(d.class_names.size()) + " names");
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src "
         "data:; style-src 'unsafe-inline'\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      << "<title>" << escape_html("signsnet report: " + d.run_dir) << "</title><style>" << kStyle
      << "</style></head><body><main><header><h1>signsnet training report</h1><p>"
      << escape_html(d.model + " - " + d.run_dir) << "</p></header>\n"
      << summary_section(d) << "\n"
      << curves_section(d) << "\n"
      << "<div class=\"pair\">" << metrics_sections(d) << "</div>\n"
      << misclassified_section(d) << "\n"
      << model_section(d) << "\n";
  if (d.bench) out << bench_section(*d.bench) << "\n";
  out << "<footer>Generated by signsnet-cli report " << escape_html(d.generated_at)
      << ". Self-contained: no script, no network.</footer></main></body></html>\n";
  return out.str();
}

}  // namespace signsnet::cli
