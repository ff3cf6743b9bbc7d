// The report's misclassified-image grid, model summary and benchmark sections.
#include <algorithm>

#include "common.hpp"
#include "html.hpp"
#include "html_report.hpp"

namespace signsnet::cli {
namespace {

// Models with more layers than this show the table folded (ResNet-50 has 180 rows).
constexpr std::size_t kOpenLayerRows = 40;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

std::string cell(const std::string& text, bool numeric = false) {
  return std::string(numeric ? "<td class=\"num\">" : "<td>") + escape_html(text) + "</td>";
}

std::string figure(const MisclassifiedImage& m, const ReportData& d) {
  const std::string side = std::to_string(d.image_side);
  const std::string& pred = d.class_names[m.predicted];
  const std::string& truth = d.class_names[m.label];
  return "<figure class=\"miss\" data-index=\"" + std::to_string(m.index) + "\"><img src=\"" +
         m.data_uri + "\" width=\"" + side + "\" height=\"" + side + "\" alt=\"" +
         escape_html("test image " + std::to_string(m.index) + ": true " + truth + ", predicted " +
                     pred) +
         "\"><figcaption><span class=\"pred\">predicted " + escape_html(pred) +
         " (p=" + fixed(m.p_predicted, 2) + ")</span><br><span class=\"true\">true " +
         escape_html(truth) + " (p=" + fixed(m.p_true, 2) +
         ")</span><br><span class=\"idx\">test image #" + std::to_string(m.index) +
         "</span></figcaption></figure>";
}

std::string time_text(const BenchRow& r) {
  return fixed(r.time, r.time < 10 ? 3 : 1) + " " + r.unit;
}

std::string comparison_table(const BenchResults& b) {
  if (b.pytorch.empty()) return "";
  std::string s =
      "<h3>signsnet and PyTorch, same machine and run</h3><table><thead><tr><th></th>"
      "<th class=\"num\">signsnet</th><th class=\"num\">PyTorch</th><th "
      "class=\"num\">speed-up</th></tr></thead><tbody>";
  for (const BenchComparison& c : b.pytorch)
    s += "<tr>" + cell(c.what) + cell(fixed(c.signsnet, 1) + " " + c.unit, true) +
         cell(fixed(c.pytorch, 1) + " " + c.unit, true) + cell(fixed(c.speedup(), 2) + "x", true) +
         "</tr>";
  return s + "</tbody></table>";
}

bool whole_model(const BenchRow& r) {
  return r.name.rfind("BM_TrainStep/", 0) == 0 || r.name.rfind("BM_Inference/", 0) == 0;
}

std::string rows_table(const BenchResults& b, bool whole) {
  std::string s =
      "<div class=\"scroll\"><table><thead><tr><th>benchmark</th><th "
      "class=\"num\">time</th><th class=\"num\">img/s</th><th class=\"num\">"
      "GFLOP/s</th><th class=\"num\">% of peak</th><th>kernel</th></tr></thead><tbody>";
  for (const BenchRow& r : b.rows) {
    if (whole && !whole_model(r)) continue;
    s += "<tr>" + cell(r.name) + cell(time_text(r), true) +
         cell(fixed(r.images_per_second, 1), true) + cell(fixed(r.gflops, 1), true) +
         cell(percent(r.gflops / b.peak_gflops, 1), true) + cell(r.label) + "</tr>";
  }
  return s + "</tbody></table></div>";
}

std::string rows_tables(const BenchResults& b) {
  const std::string kind = b.medians ? " (medians of the repetitions)" : "";
  const bool more = !std::all_of(b.rows.begin(), b.rows.end(), whole_model);
  return "<h3>Whole model" + kind + "</h3>" + rows_table(b, true) +
         (more ? "<details><summary>All " + std::to_string(b.rows.size()) + " benchmarks" + kind +
                     "</summary>" + rows_table(b, false) + "</details>"
               : "");
}

// Rows of (name, ms) with their share of `total` and a bar scaled to the largest.
std::string share_rows(const std::vector<std::pair<std::string, double>>& rows, double total) {
  double largest = 0;
  for (const auto& row : rows) largest = std::max(largest, row.second);
  std::string s;
  for (const auto& [name, ms] : rows) {
    const double share = total > 0 ? ms / total : 0;
    s += "<tr>" + cell(name) + cell(fixed(ms, 2), true) + cell(percent(share, 1), true) +
         bar_cell(largest > 0 ? ms / largest : 0, 160) + "</tr>";
  }
  return s;
}

std::string breakdown_table(const BenchResults& b) {
  if (b.breakdown.empty()) return "";
  const std::string head =
      "<table><thead><tr><th>%s</th><th class=\"num\">ms</th><th class=\"num\">share of "
      "the step</th><th></th></tr></thead><tbody>";
  auto with = [&](const char* first) {
    std::string h = head;
    return h.replace(h.find("%s"), 2, first);
  };
  return "<h3>One training step, primitive by primitive (batch 32)</h3><p class=\"note\">" +
         std::to_string(b.breakdown_entries) + " primitives timed one at a time, " +
         fixed(b.breakdown_total_ms, 1) + " ms in total. By kind, then the slowest " +
         std::to_string(b.breakdown.size()) + ".</p><div class=\"pair\"><div>" + with("kind") +
         share_rows(b.breakdown_by_kind, b.breakdown_total_ms) + "</tbody></table></div><div>" +
         with("primitive") + share_rows(b.breakdown, b.breakdown_total_ms) +
         "</tbody></table></div></div>";
}

}  // namespace

std::string misclassified_section(const ReportData& d) {
  std::string s = "<section id=\"misclassified\" data-errors=\"" +
                  std::to_string(d.misclassified_total) + "\" data-shown=\"" +
                  std::to_string(d.misclassified.size()) +
                  "\"><h2>Misclassified test images</h2><p class=\"note\">";
  if (d.misclassified_total == 0)
    return s + "None: every test image is classified correctly.</p></section>";
  s += std::to_string(d.misclassified_total) + " of " + std::to_string(d.metrics.count) +
       " test images, the most confident mistakes first";
  if (d.misclassified.size() < static_cast<std::size_t>(d.misclassified_total))
    s += " (the first " + std::to_string(d.misclassified.size()) + " shown)";
  s += ". p is the model's probability for the class.</p><div class=\"grid-images\">";
  for (const MisclassifiedImage& m : d.misclassified) s += figure(m, d);
  return s + "</div></section>";
}

std::string model_section(const ReportData& d) {
  const ParameterCounts& p = d.parameters;
  std::string s = "<section id=\"model\"><h2>Model summary</h2><p class=\"note\">" +
                  escape_html(d.model) + ". Total params: " + with_commas(p.total) +
                  "; trainable: " + with_commas(p.trainable) +
                  "; non-trainable: " + with_commas(p.non_trainable) + ".</p>";
  const bool fold = d.layers.size() > kOpenLayerRows;
  if (fold) s += "<details><summary>All " + std::to_string(d.layers.size()) + " layers</summary>";
  s += "<div class=\"scroll\"><table><thead><tr><th>layer</th><th>type</th><th>output "
       "shape</th><th class=\"num\">param #</th></tr></thead><tbody>";
  for (const LayerInfo& l : d.layers)
    s += "<tr>" + cell(l.name) + cell(l.type) + cell(shape_text(l.output_shape)) +
         cell(with_commas(l.parameters), true) + "</tr>";
  s += "<tr class=\"total\"><td colspan=\"3\">Total params</td>" +
       cell(with_commas(p.total), true) + "</tr></tbody></table></div>";
  return s + (fold ? "</details>" : "") + "</section>";
}

std::string bench_section(const BenchResults& b) {
  std::string s = "<section id=\"bench\"><h2>Benchmark results</h2><table class=\"kv\">";
  s += "<tr><th scope=\"row\">file</th><td class=\"path\">" + escape_html(b.path) + "</td></tr>";
  for (const auto& [key, value] : b.context)
    s += "<tr><th scope=\"row\">" + escape_html(key) + "</th><td>" + escape_html(value) +
         "</td></tr>";
  return s + "</table>" + comparison_table(b) + rows_tables(b) + breakdown_table(b) + "</section>";
}

}  // namespace signsnet::cli
