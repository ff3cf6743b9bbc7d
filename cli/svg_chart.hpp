// Inline SVG charts for the HTML report: line charts with axes, ticks and a legend, and a
// confusion-matrix heat map. The output is an <svg> element for an HTML5 page (no xmlns, no
// script, no reference outside the element); every text is escaped.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace signsnet::cli {

/// Axis ticks: `values` from `lo` to `hi` (both on the tick grid) every `step`, a 1, 2 or 5
/// times a power of ten.
struct Ticks {
  double lo = 0;
  double hi = 1;
  double step = 0.2;
  std::vector<double> values;
};

/// About `target` ticks covering [lo, hi]; `integer` keeps the step a whole number (epochs).
Ticks nice_ticks(double lo, double hi, int target = 5, bool integer = false);

/// One line. NaN values of `y` leave a gap.
struct Series {
  std::string name;
  std::string color;  ///< a CSS color, e.g. "#1f77b4"
  std::vector<double> x;
  std::vector<double> y;
  bool dashed = false;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  double y_min = NAN;  ///< a fixed y range when both are finite (accuracy: 0 to 1)
  double y_max = NAN;
  bool integer_x = true;
  double marker_x = NAN;  ///< a dashed vertical line here, labelled `marker_label`
  std::string marker_label;
  int width = 480;
  int height = 300;
};

/// The chart as an <svg> element (class "chart line-chart").
std::string render_line_chart(const LineChart& chart);

/// A square matrix of counts, row = true class, column = predicted class.
struct HeatMap {
  std::string title;
  std::vector<std::string> labels;
  std::vector<std::int64_t> counts;  ///< labels.size() squared, row-major
};

/// The matrix as an <svg> element (class "chart heatmap"): cells shaded by their share of the row
/// (the true class), with the count written in each cell big enough to hold it, a <title> per
/// cell and data-count / data-row / data-col attributes.
std::string render_heatmap(const HeatMap& map);

}  // namespace signsnet::cli
