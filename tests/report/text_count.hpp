// Counting a substring in generated text (HTML, SVG) for the report's tests.
#pragma once

#include <string>

namespace signsnet::cli {

/// How many times `needle` starts in `text` (overlapping matches count).
inline int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace signsnet::cli
