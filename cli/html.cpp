#include "html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace signsnet::cli {

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double value, int digits) {
  if (!std::isfinite(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string percent(double fraction, int digits) {
  if (!std::isfinite(fraction)) return "-";
  return fixed(100.0 * fraction, digits) + "%";
}

std::string tick_text(double value) {
  if (std::fabs(value) < 1e-12) return "0";
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string bar_cell(double fraction, int full_px) {
  const double width = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) * full_px : 0;
  return "<td class=\"barcell\"><span class=\"bar\" style=\"width:" + fixed(width, 0) +
         "px\"></span></td>";
}

}  // namespace signsnet::cli
