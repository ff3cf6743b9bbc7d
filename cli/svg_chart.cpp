// Coordinates are written with one decimal; the plot area is the chart minus fixed margins for
// the title and legend (top), tick labels and axis titles (left, bottom).
#include "svg_chart.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "html.hpp"

namespace signsnet::cli {
namespace {

constexpr double kLeft = 58, kRight = 16, kTop = 40, kBottom = 46;
constexpr int kMaxMarkers = 40;  // more points than this: lines only

std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// Maps data coordinates to the plot area.
struct Frame {
  double x0, x1, y0, y1;
  double left, top, width, height;
  double sx(double x) const { return left + (x - x0) / (x1 - x0) * width; }
  double sy(double y) const {
    return top + height - (std::clamp(y, y0, y1) - y0) / (y1 - y0) * height;
  }
};

void data_range(const LineChart& c, double* x0, double* x1, double* y0, double* y1) {
  *x0 = *y0 = INFINITY;
  *x1 = *y1 = -INFINITY;
  for (const Series& s : c.series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      *x0 = std::min(*x0, s.x[i]), *x1 = std::max(*x1, s.x[i]);
      *y0 = std::min(*y0, s.y[i]), *y1 = std::max(*y1, s.y[i]);
    }
  }
  if (*x0 > *x1) *x0 = 0, *x1 = 1, *y0 = 0, *y1 = 1;  // no data
  if (*x0 == *x1) *x0 -= 0.5, *x1 += 0.5;
}

void write_axes(std::ostream& out, const Frame& f, const Ticks& xt, const Ticks& yt,
                const LineChart& c) {
  for (double y : yt.values)
    out << "<line class=\"grid\" x1=\"" << num(f.left) << "\" x2=\"" << num(f.left + f.width)
        << "\" y1=\"" << num(f.sy(y)) << "\" y2=\"" << num(f.sy(y))
        << "\"/><text class=\"tick\" x=\"" << num(f.left - 6) << "\" y=\"" << num(f.sy(y) + 4)
        << "\" text-anchor=\"end\">" << escape_html(tick_text(y)) << "</text>";
  for (double x : xt.values) {
    if (x < f.x0 - 1e-9 || x > f.x1 + 1e-9) continue;
    out << "<line class=\"grid\" x1=\"" << num(f.sx(x)) << "\" x2=\"" << num(f.sx(x)) << "\" y1=\""
        << num(f.top) << "\" y2=\"" << num(f.top + f.height) << "\"/><text class=\"tick\" x=\""
        << num(f.sx(x)) << "\" y=\"" << num(f.top + f.height + 16) << "\" text-anchor=\"middle\">"
        << escape_html(tick_text(x)) << "</text>";
  }
  const double bottom = f.top + f.height;
  out << "<path class=\"axis\" d=\"M" << num(f.left) << " " << num(f.top) << "V" << num(bottom)
      << "H" << num(f.left + f.width) << "\"/>";
  out << "<text class=\"axis-title\" x=\"" << num(f.left + f.width / 2) << "\" y=\""
      << num(bottom + 36) << "\" text-anchor=\"middle\">" << escape_html(c.x_label) << "</text>";
  out << "<text class=\"axis-title\" transform=\"translate(14 " << num(f.top + f.height / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">" << escape_html(c.y_label) << "</text>";
}

void write_legend(std::ostream& out, const LineChart& c) {
  double x = c.width - kRight;
  for (auto s = c.series.rbegin(); s != c.series.rend(); ++s) {
    x -= 7.0 * static_cast<double>(s->name.size());  // about 7 px a character at 12 px
    out << "<text class=\"legend\" x=\"" << num(x) << "\" y=\"22\">" << escape_html(s->name)
        << "</text><line x1=\"" << num(x - 26) << "\" x2=\"" << num(x - 6)
        << "\" y1=\"18\" y2=\"18\" stroke=\"" << escape_html(s->color) << "\" stroke-width=\"2.5\""
        << (s->dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>";
    x -= 44;
  }
  out << "<text class=\"chart-title\" x=\"" << num(kLeft) << "\" y=\"22\">" << escape_html(c.title)
      << "</text>";
}

// Each run of finite points is one polyline; every point gets a marker with a tooltip.
void write_series(std::ostream& out, const Frame& f, const Series& s, const LineChart& c) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  const std::string dash = s.dashed ? "\" stroke-dasharray=\"6 4" : "";
  std::string points;
  auto flush = [&] {
    if (!points.empty())
      out << "<polyline class=\"series\" fill=\"none\" stroke=\"" << escape_html(s.color) << dash
          << "\" points=\"" << points << "\"/>";
    points.clear();
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      flush();
      continue;
    }
    points += (points.empty() ? "" : " ") + num(f.sx(s.x[i])) + "," + num(f.sy(s.y[i]));
  }
  flush();
  if (n > static_cast<std::size_t>(kMaxMarkers)) return;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
    out << "<circle cx=\"" << num(f.sx(s.x[i])) << "\" cy=\"" << num(f.sy(s.y[i]))
        << "\" r=\"3\" fill=\"" << escape_html(s.color) << "\"><title>"
        << escape_html(s.name + ", " + c.x_label + " " + tick_text(s.x[i]) + ": " +
                       fixed(s.y[i], 4))
        << "</title></circle>";
  }
}

void write_marker(std::ostream& out, const Frame& f, const LineChart& c) {
  if (!std::isfinite(c.marker_x) || c.marker_x < f.x0 || c.marker_x > f.x1) return;
  const double x = f.sx(c.marker_x);
  out << "<line class=\"marker\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\""
      << num(f.top) << "\" y2=\"" << num(f.top + f.height) << "\"/>";
  const bool right_half = x > f.left + f.width / 2;
  out << "<text class=\"marker-label\" x=\"" << num(x + (right_half ? -4 : 4)) << "\" y=\""
      << num(f.top + 12) << "\" text-anchor=\"" << (right_half ? "end" : "start") << "\">"
      << escape_html(c.marker_label) << "</text>";
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int target, bool integer) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw - 1e-12 * raw) {
      step = m * magnitude;
      break;
    }
  }
  if (integer) step = std::max(1.0, std::round(step));
  Ticks t;
  t.step = step;
  const long first = std::lround(std::floor(lo / step + 1e-9));
  const long last = std::lround(std::ceil(hi / step - 1e-9));
  t.lo = first * step, t.hi = last * step;
  for (long i = first; i <= last; ++i) t.values.push_back(i == 0 ? 0.0 : i * step);
  return t;
}

std::string render_line_chart(const LineChart& c) {
  double x0, x1, y0, y1;
  data_range(c, &x0, &x1, &y0, &y1);
  const bool fixed_y = std::isfinite(c.y_min) && std::isfinite(c.y_max) && c.y_max > c.y_min;
  const Ticks yt = fixed_y ? nice_ticks(c.y_min, c.y_max) : nice_ticks(y0, y1);
  const Ticks xt = nice_ticks(x0, x1, 6, c.integer_x);
  const double pad = (x1 - x0) * 0.03;  // keeps the first and last markers off the axes
  const Frame f{x0 - pad, x1 + pad, fixed_y ? c.y_min : yt.lo, fixed_y ? c.y_max : yt.hi,
                kLeft,    kTop,     c.width - kLeft - kRight,  c.height - kTop - kBottom};
  std::ostringstream out;
  out << "<svg class=\"chart line-chart\" viewBox=\"0 0 " << c.width << " " << c.height
      << "\" width=\"" << c.width << "\" height=\"" << c.height << "\" role=\"img\" aria-label=\""
      << escape_html(c.title) << "\"><title>" << escape_html(c.title) << "</title>";
  write_axes(out, f, xt, yt, c);
  write_marker(out, f, c);
  for (const Series& s : c.series) write_series(out, f, s, c);
  write_legend(out, c);
  out << "</svg>";
  return out.str();
}

namespace {

// A white-to-dark-blue ramp (like matplotlib's "Blues") for a share in [0, 1].
std::string blues(double share) {
  static const int kStops[][3] = {
      {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  const double t = std::clamp(share, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double u = t - i;
  char text[16];
  int rgb[3];
  for (int k = 0; k < 3; ++k)
    rgb[k] = static_cast<int>(std::lround(kStops[i][k] + u * (kStops[i + 1][k] - kStops[i][k])));
  std::snprintf(text, sizeof text, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return text;
}

struct Grid {
  int n;
  double cell, left, top;
};

void write_cell(std::ostream& out, const Grid& g, const HeatMap& m, int r, int c, double share) {
  const std::int64_t count = m.counts[static_cast<std::size_t>(r) * g.n + c];
  const double x = g.left + c * g.cell, y = g.top + r * g.cell;
  out << "<g class=\"cell\" data-row=\"" << r << "\" data-col=\"" << c << "\" data-count=\""
      << count << "\"><rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(g.cell)
      << "\" height=\"" << num(g.cell) << "\" fill=\"" << blues(share) << "\"><title>"
      << escape_html("true " + m.labels[r] + ", predicted " + m.labels[c] + ": " +
                     std::to_string(count) + " (" + percent(share, 1) + " of true " + m.labels[r] +
                     ")")
      << "</title></rect>";
  if (g.cell >= 20)
    out << "<text x=\"" << num(x + g.cell / 2) << "\" y=\"" << num(y + g.cell / 2 + 5)
        << "\" text-anchor=\"middle\" class=\"count\" fill=\""
        << (share > 0.55 ? "#ffffff" : "#111827") << "\">" << count << "</text>";
  out << "</g>";
}

void write_labels(std::ostream& out, const Grid& g, const HeatMap& m) {
  const double size = g.n * g.cell;
  for (int i = 0; i < g.n && g.cell >= 10; ++i) {
    const double mid = i * g.cell + g.cell / 2;
    out << "<text class=\"tick\" x=\"" << num(g.left - 6) << "\" y=\"" << num(g.top + mid + 4)
        << "\" text-anchor=\"end\">" << escape_html(m.labels[i]) << "</text><text class=\"tick\" "
        << "x=\"" << num(g.left + mid) << "\" y=\"" << num(g.top + size + 16)
        << "\" text-anchor=\"middle\">" << escape_html(m.labels[i]) << "</text>";
  }
  out << "<text class=\"axis-title\" x=\"" << num(g.left + size / 2) << "\" y=\""
      << num(g.top + size + 38) << "\" text-anchor=\"middle\">Predicted class</text>"
      << "<text class=\"axis-title\" transform=\"translate(16 " << num(g.top + size / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">True class</text>";
}

// Ten steps of the ramp beside the matrix, 0% at the bottom.
void write_color_bar(std::ostream& out, const Grid& g) {
  const double x = g.left + g.n * g.cell + 24, h = g.n * g.cell / 10;
  for (int i = 0; i < 10; ++i)
    out << "<rect x=\"" << num(x) << "\" y=\"" << num(g.top + (9 - i) * h) << "\" width=\"14\" "
        << "height=\"" << num(h + 0.5) << "\" fill=\"" << blues((i + 0.5) / 10) << "\"/>";
  out << "<text class=\"tick\" x=\"" << num(x + 20) << "\" y=\"" << num(g.top + 9)
      << "\">100%</text><text class=\"tick\" x=\"" << num(x + 20) << "\" y=\""
      << num(g.top + g.n * g.cell) << "\">0%</text>";
}

}  // namespace

std::string render_heatmap(const HeatMap& m) {
  const int n = static_cast<int>(m.labels.size());
  if (n == 0 || m.counts.size() != static_cast<std::size_t>(n) * n)
    throw std::invalid_argument("render_heatmap: counts: expected labels squared, got " +
                                std::to_string(m.counts.size()));
  std::size_t longest = 0;  // row labels sit left of the matrix: room for the longest
  for (const std::string& label : m.labels) longest = std::max(longest, label.size());
  const double left = std::clamp(30.0 + 7.0 * static_cast<double>(longest), 64.0, 220.0);
  const Grid g{n, std::clamp(336.0 / n, 4.0, 56.0), left, 36};
  const int width = static_cast<int>(g.left + n * g.cell + 80);
  const int height = static_cast<int>(g.top + n * g.cell + 50);
  std::ostringstream out;
  out << "<svg class=\"chart heatmap\" viewBox=\"0 0 " << width << " " << height << "\" width=\""
      << width << "\" height=\"" << height << "\" role=\"img\" aria-label=\""
      << escape_html(m.title) << "\"><title>" << escape_html(m.title)
      << "</title><text class=\"chart-title\" x=\"" << num(g.left) << "\" y=\"22\">"
      << escape_html(m.title) << "</text>";
  for (int r = 0; r < n; ++r) {
    std::int64_t row = 0;
    for (int c = 0; c < n; ++c) row += m.counts[static_cast<std::size_t>(r) * n + c];
    for (int c = 0; c < n; ++c)
      write_cell(
          out, g, m, r, c,
          row ? static_cast<double>(m.counts[static_cast<std::size_t>(r) * n + c]) / row : 0.0);
  }
  write_labels(out, g, m);
  write_color_bar(out, g);
  out << "</svg>";
  return out.str();
}

}  // namespace signsnet::cli
