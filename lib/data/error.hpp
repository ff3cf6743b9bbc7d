// Error helpers for the data code: every message reads "<file>: <field>: expected X, got Y".
#pragma once

#include <stdexcept>
#include <string>

namespace signsnet::data_detail {

inline std::string error_text(const std::string& file, const std::string& field,
                              const std::string& expected, const std::string& got) {
  return file + ": " + field + ": expected " + expected + ", got " + got;
}

/// Bad input (a file's contents or a missing file): std::runtime_error.
[[noreturn]] inline void fail(const std::string& file, const std::string& field,
                              const std::string& expected, const std::string& got) {
  throw std::runtime_error(error_text(file, field, expected, got));
}

/// A bad argument from the caller: std::invalid_argument.
[[noreturn]] inline void fail_argument(const std::string& where, const std::string& field,
                                       const std::string& expected, const std::string& got) {
  throw std::invalid_argument(error_text(where, field, expected, got));
}

inline std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace signsnet::data_detail
