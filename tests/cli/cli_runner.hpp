// Running the built signsnet-cli from a test, as a user does, and checking its one-line errors.
// Needs SIGNSNET_CLI (the binary's path) defined by the test's CMake target.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "train/synthetic.hpp"

namespace signsnet::test {

/// Exit code and both output streams of one signsnet-cli run.
struct CliResult {
  int code = -1;
  std::string out, err;
};

/// The whole file (empty if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A scratch folder private to this process: ctest runs each case as its own process, several
/// at once.
inline std::string process_scratch(const std::string& name) {
  return scratch(name + "_" + std::to_string(::getpid()));
}

/// Runs `signsnet-cli args` (shell-quoted by the caller) in a scratch folder, after the shell
/// commands `before` (e.g. "ulimit -f 64 && ").
inline CliResult run_cli(const std::string& args, const std::string& before = "") {
  static const std::string dir = process_scratch("cli_io");
  const std::string out = dir + "/stdout.txt", err = dir + "/stderr.txt";
  const std::string cmd = "cd '" + dir + "' && " + before + "'" SIGNSNET_CLI "' " + args + " >'" +
                          out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

/// The run failed with `code` and one stderr line "signsnet-cli: error: ..." holding `needle`.
inline void expect_one_error_line(const CliResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(r.err.rfind("signsnet-cli: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

}  // namespace signsnet::test
