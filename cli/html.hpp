// Small helpers for writing HTML by hand: escaping and number formatting.
#pragma once

#include <string>

namespace signsnet::cli {

/// Escapes &, <, >, " and ' so that any text is safe in element content and quoted attributes.
std::string escape_html(const std::string& text);

/// `value` with `digits` decimals ("0.9312"); "-" for a NaN or infinity.
std::string fixed(double value, int digits);

/// A fraction as a percentage with `digits` decimals ("93.12%").
std::string percent(double fraction, int digits = 2);

/// A shortest round-trip-ish rendering for axis ticks: "0.5", "10", "0.001", "1e+06".
std::string tick_text(double value);

/// A table cell holding a horizontal bar `fraction` (0 to 1) of `full_px` pixels long.
std::string bar_cell(double fraction, int full_px);

}  // namespace signsnet::cli
