// signsnet-cli report as a user runs it, on a tiny run over synthetic PNG folders: the page, its
// defaults, and the one-line errors and exit codes of bad inputs. A failed run leaves an
// existing report as it was.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli_runner.hpp"
#include "png_encode.hpp"
#include "train/synthetic.hpp"

namespace signsnet {
namespace {

namespace fs = std::filesystem;

using test::CliResult;
using test::expect_one_error_line;
using test::process_scratch;
using test::run_cli;
using test::slurp;

// "{label}_{i}.png" files of a synthetic data set (16x16, 3 classes).
std::string png_folder(const std::string& dir, int count, std::uint32_t seed) {
  fs::create_directories(dir);
  const Dataset d = test::synthetic_dataset(count, 16, 3, seed);
  for (int i = 0; i < d.count; ++i) {
    const std::vector<std::uint8_t> png = cli::encode_png(d.image(i), 16, 16, 3);
    std::ofstream(dir + "/" + std::to_string(d.labels[i]) + "_" + std::to_string(i) + ".png",
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  return dir;
}

struct Fixture {
  std::string data, test, run;
};

// One training run (2 epochs, a validation split) shared by the tests of this process.
const Fixture& trained() {
  static const Fixture f = [] {
    const std::string base = process_scratch("report_cli_run");
    Fixture x{png_folder(base + "/train", 48, 1), png_folder(base + "/test", 12, 2), base + "/run"};
    const CliResult r =
        run_cli("train --train '" + x.data + "' --test '" + x.test +
                "' --epochs 2 --val-split 0.25 --config tiny --input-size 16 --batch 8 "
                "--threads 2 --out '" +
                x.run + "'");
    EXPECT_EQ(r.code, 0) << r.err;
    return x;
  }();
  return f;
}

std::string report_args(const std::string& out, const std::string& extra = "") {
  const Fixture& f = trained();
  return "report --run '" + f.run + "' --test '" + f.test + "' --out '" + out + "' " + extra;
}

int errors_in(const std::string& stdout_text) {
  std::smatch m;
  const std::regex pattern("(\\d+) misclassified images");
  return std::regex_search(stdout_text, m, pattern) ? std::stoi(m[1]) : -1;
}

TEST(ReportCli, WritesASelfContainedPage) {
  const std::string out = process_scratch("report_cli_page") + "/report.html";
  const CliResult r = run_cli(report_args(
      out, "--bench '" SIGNSNET_SOURCE_DIR "/bench/results/2026-11-27-session2-model.json'"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Wrote " + out), std::string::npos) << r.out;
  const std::string html = slurp(out);
  for (const char* id :
       {"summary", "curves", "confusion", "per-class", "misclassified", "model", "bench"})
    EXPECT_NE(html.find("<section id=\"" + std::string(id) + "\""), std::string::npos) << id;
  const int errors = errors_in(r.out);
  ASSERT_GE(errors, 0) << r.out;
  EXPECT_NE(html.find("data-errors=\"" + std::to_string(errors) + "\""), std::string::npos);
  std::ptrdiff_t images = 0;
  for (std::size_t at = html.find("<img "); at != std::string::npos;
       at = html.find("<img ", at + 1))
    ++images;
  EXPECT_EQ(images, errors);
  EXPECT_FALSE(std::regex_search(html, std::regex("(https?|ftp)://", std::regex::icase)));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  EXPECT_NE(html.find("best.h5"), std::string::npos);  // the default checkpoint
}

TEST(ReportCli, DefaultsToReportHtmlInTheRunFolder) {
  const Fixture& f = trained();
  const CliResult r = run_cli("report --run '" + f.run + "' --test '" + f.test +
                              "' --checkpoint '" + f.run + "/last.h5' --max-images 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = slurp(f.run + "/report.html");
  EXPECT_NE(html.find("last.h5"), std::string::npos);
  const std::string::size_type first = html.find("<img "), second = html.find("<img ", first + 1);
  EXPECT_EQ(second, std::string::npos);  // --max-images 1
}

TEST(ReportCli, BadFlagsAndPathsAreOneLineErrors) {
  expect_one_error_line(run_cli("report"), 2, "--run is required");
  expect_one_error_line(run_cli("report --run /nonexistent/run"), 4,
                        "--run: expected a run folder written by signsnet-cli train --out, got "
                        "'/nonexistent/run'");
  const std::string out = process_scratch("report_cli_errors") + "/r.html";
  expect_one_error_line(run_cli(report_args(out, "--bench /nonexistent/b.json")), 4,
                        "--bench: expected an existing file or folder, got '/nonexistent/b.json'");
  expect_one_error_line(
      run_cli(report_args("/nonexistent/dir/r.html")), 2,
      "--out: expected a file in an existing folder, got '/nonexistent/dir/r.html'");
  expect_one_error_line(
      run_cli("report --run '" + trained().run + "' --test /nonexistent/t.h5 --out '" + out + "'"),
      4, "--test: expected an existing file or folder, got '/nonexistent/t.h5'");
  EXPECT_FALSE(fs::exists(out));
}

TEST(ReportCli, BadRunFilesNameTheFileLineAndField) {
  const std::string dir = process_scratch("report_cli_bad_run");
  fs::copy(trained().run, dir + "/run");
  std::ofstream(dir + "/run/log.jsonl", std::ios::app) << "{\"epoch\":3,\"loss\":\"high\"}\n";
  expect_one_error_line(run_cli("report --run '" + dir + "/run' --test '" + trained().test + "'"),
                        4, dir + "/run/log.jsonl: line 3: epochs: expected a number, got nothing");
  fs::remove(dir + "/run/best.h5");
  fs::remove(dir + "/run/last.h5");
  std::ofstream(dir + "/run/log.jsonl") << slurp(trained().run + "/log.jsonl");
  expect_one_error_line(run_cli("report --run '" + dir + "/run' --test '" + trained().test + "'"),
                        5, dir + "/run: checkpoint: expected best.h5 or last.h5");
  std::ofstream(dir + "/not.h5") << "not a checkpoint";
  expect_one_error_line(run_cli("report --run '" + dir + "/run' --checkpoint '" + dir + "/not.h5'"),
                        5, dir + "/not.h5: ");
}

TEST(ReportCli, AFailedRunLeavesTheGoodReport) {
  const std::string dir = process_scratch("report_cli_keep");
  const std::string out = dir + "/report.html";
  ASSERT_EQ(run_cli(report_args(out)).code, 0);
  const std::string good = slurp(out);
  std::ofstream(dir + "/bad.json") << "{\"benchmarks\": 3}";
  expect_one_error_line(run_cli(report_args(out, "--bench '" + dir + "/bad.json'")), 4,
                        dir + "/bad.json: benchmarks: expected an array, got number");
  EXPECT_EQ(slurp(out), good);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  // A write that fails at the end (the target is a folder): exit 1, no temp file left.
  fs::create_directories(dir + "/folder.html");
  expect_one_error_line(run_cli(report_args(dir + "/folder.html")), 1,
                        dir + "/folder.html: file: expected a written report, got ");
  EXPECT_FALSE(fs::exists(dir + "/folder.html.tmp"));
}

TEST(ReportCli, HelpListsTheFlags) {
  const CliResult r = run_cli("report --help");
  EXPECT_EQ(r.code, 0);
  for (const char* flag : {"--run", "--checkpoint", "--data", "--test", "--bench", "--out"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  expect_one_error_line(
      run_cli(""), 2, "expected a subcommand: train, evaluate, predict, summary, export or report");
}

}  // namespace
}  // namespace signsnet
