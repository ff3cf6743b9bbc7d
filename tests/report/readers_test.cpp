// The report's inputs: log.jsonl lines, run folders and signsnet-bench JSON, with their errors.
#include <gtest/gtest.h>

#include <fstream>

#include "bench_results.hpp"
#include "errors.hpp"
#include "run_folder.hpp"
#include "signsnet/checkpoint.hpp"
#include "train/synthetic.hpp"

namespace signsnet::cli {
namespace {

template <typename E, typename F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

const std::string kLine =
    R"({"accuracy":0.5,"epoch":2,"epochs":3,"images_per_second":100.0,"loss":1.25,"lr":0.001,)"
    R"("seconds":2.5,"step":62,"val_accuracy":null,"val_loss":null})";

TEST(RunFolder, ParsesALogLine) {
  const EpochReport r = parse_epoch_line(kLine, "log.jsonl: line 1");
  EXPECT_EQ(r.epoch, 2);
  EXPECT_FLOAT_EQ(r.loss, 1.25f);
  EXPECT_FLOAT_EQ(r.val_loss, -1);  // null: no validation
  EXPECT_DOUBLE_EQ(r.seconds, 2.5);
}

TEST(RunFolder, BadLinesNameFileLineAndField) {
  expect_error<DataError>([] { parse_epoch_line("{\"epoch\":", "f: line 3"); },
                          "f: line 3: expected a JSON object, got '{\"epoch\":'");
  std::string text = kLine;
  text.replace(text.find("1.25"), 4, "\"x\"");
  expect_error<DataError>([&] { parse_epoch_line(text, "f: line 2"); },
                          "f: line 2: loss: expected a number, got string \"x\"");
  text = kLine;
  text.replace(text.find("\"seconds\":2.5,"), 14, "");
  expect_error<DataError>([&] { parse_epoch_line(text, "f: line 1"); },
                          "f: line 1: seconds: expected a number, got nothing");
}

TEST(RunFolder, ReadsEpochsInOrderKeepingTheLastOfARepeat) {
  const std::string dir = test::scratch("report_run_folder");
  std::string again = kLine;
  again.replace(again.find("1.25"), 4, "0.75");
  std::string first = kLine;
  first.replace(first.find("\"epoch\":2"), 9, "\"epoch\":1");
  write(dir + "/log.jsonl", kLine + "\n" + first + "\n\n" + again + "\n");
  const RunFolder run = read_run_folder(dir);
  ASSERT_EQ(run.epochs.size(), 2u);
  EXPECT_EQ(run.epochs[0].epoch, 1);
  EXPECT_FLOAT_EQ(run.epochs[1].loss, 0.75f);
  EXPECT_TRUE(run.config_json.empty());
}

TEST(RunFolder, MissingPiecesAreNamed) {
  expect_error<DataError>([] { read_run_folder("/nonexistent/run"); },
                          "--run: expected a run folder written by signsnet-cli train --out, got "
                          "'/nonexistent/run'");
  const std::string dir = test::scratch("report_run_missing");
  expect_error<DataError>([&] { read_run_folder(dir); },
                          dir + "/log.jsonl: file: expected the run's epoch log, got no such file");
  write(dir + "/log.jsonl", "\n");
  expect_error<DataError>([&] { read_run_folder(dir); },
                          "log.jsonl: epochs: expected at least one line, got none");
  expect_error<CheckpointError>([&] { default_checkpoint(dir); },
                                dir + ": checkpoint: expected best.h5 or last.h5");
  write(dir + "/last.h5", "");
  EXPECT_EQ(default_checkpoint(dir), dir + "/last.h5");
  write(dir + "/best.h5", "");
  EXPECT_EQ(default_checkpoint(dir), dir + "/best.h5");
}

TEST(RunFolder, FlattensTheConfig) {
  const auto flat = flatten_json(R"({"b":{"c":1.5,"d":"adam"},"a":true})", "config.json");
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat[0], (std::pair<std::string, std::string>{"a", "true"}));
  EXPECT_EQ(flat[1], (std::pair<std::string, std::string>{"b.c", "1.5"}));
  EXPECT_EQ(flat[2], (std::pair<std::string, std::string>{"b.d", "adam"}));
  expect_error<DataError>([] { flatten_json("[1]", "config.json"); },
                          "config.json: expected a JSON object, got array");
}

TEST(Bench, ReadsTheRepositorysResults) {
  const BenchResults b = read_bench(std::string(SIGNSNET_SOURCE_DIR) +
                                    "/bench/results/2026-11-27-session2-model.json");
  EXPECT_TRUE(b.medians);
  ASSERT_EQ(b.rows.size(), 3u);
  EXPECT_EQ(b.rows[0].name, "BM_TrainStep/32");
  EXPECT_NEAR(b.rows[0].images_per_second, 42.37, 0.01);
  ASSERT_EQ(b.pytorch.size(), 3u);
  EXPECT_EQ(b.pytorch[0].what, "training, batch 32");
  EXPECT_NEAR(b.pytorch[0].speedup(), 42.37 / 22.50, 0.01);
  EXPECT_EQ(b.pytorch[2].unit, "ms");
  EXPECT_GT(b.pytorch[2].speedup(), 1);  // PyTorch's 93 ms over signsnet's 13.5 ms
  EXPECT_NEAR(b.peak_gflops, 134.46, 0.01);
}

TEST(Bench, ShortensNamesAndSumsTheBreakdownByKind) {
  const std::string dir = test::scratch("report_bench");
  write(dir + "/b.json",
        R"({"context":{"breakdown_batch32":"[[\"a.conv fwd\",2],[\"b.conv fwd\",1],)"
        R"([\"optimizer\",5]]"},"benchmarks":[{"name":"BM_Conv/conv1/forward/32/)"
        R"(min_time:0.200/manual_time","real_time":4.8,"time_unit":"ms"}]})");
  const BenchResults b = read_bench(dir + "/b.json");
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].name, "BM_Conv/conv1/forward/32");
  EXPECT_DOUBLE_EQ(b.breakdown_total_ms, 8);
  ASSERT_EQ(b.breakdown_by_kind.size(), 2u);
  EXPECT_EQ(b.breakdown_by_kind[0], (std::pair<std::string, double>{"optimizer", 5}));
  EXPECT_EQ(b.breakdown_by_kind[1], (std::pair<std::string, double>{"fwd", 3}));
  EXPECT_EQ(b.breakdown[0].first, "optimizer");
}

TEST(Bench, BadFilesAreNamed) {
  const std::string dir = test::scratch("report_bench_bad");
  write(dir + "/text.json", "not json");
  expect_error<DataError>([&] { read_bench(dir + "/text.json"); },
                          dir + "/text.json: file: expected signsnet-bench's JSON");
  write(dir + "/none.json", "{}");
  expect_error<DataError>([&] { read_bench(dir + "/none.json"); },
                          "none.json: benchmarks: expected an array, got none");
  write(dir + "/torch.json", R"({"benchmarks":[],"context":{"pytorch":"{oops"}})");
  expect_error<DataError>(
      [&] { read_bench(dir + "/torch.json"); },
      "torch.json: context.pytorch: expected JSON in a string, got a parse error");
  expect_error<DataError>([&] { read_bench(dir + "/missing.json"); },
                          "missing.json: file: expected a readable signsnet-bench JSON file");
}

}  // namespace
}  // namespace signsnet::cli
