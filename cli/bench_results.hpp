// Reading signsnet-bench's JSON (--benchmark_out=F --benchmark_out_format=json) for the report:
// the rows, the run's context, the PyTorch reference and the per-primitive breakdown.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace signsnet::cli {

/// One benchmark (an iteration run, or the median of repetitions).
struct BenchRow {
  std::string name;  ///< without "/real_time", "/manual_time", "/iterations:N", "/min_time:T"
  double time = NAN;
  std::string unit;  ///< Google Benchmark's time_unit, e.g. "ms"
  double images_per_second = NAN;
  double gflops = NAN;
  std::string label;
};

/// signsnet against the PyTorch reference measured in the same run.
struct BenchComparison {
  std::string what;  ///< e.g. "training, batch 32"
  std::string unit;  ///< "img/s" (higher is better) or "ms" (lower is better)
  double signsnet = NAN;
  double pytorch = NAN;
  double speedup() const { return unit == "ms" ? pytorch / signsnet : signsnet / pytorch; }
};

struct BenchResults {
  std::string path;
  std::vector<std::pair<std::string, std::string>> context;  ///< date, host, CPUs, threads ...
  double peak_gflops = NAN;
  bool medians = false;  ///< rows are medians of repetitions
  std::vector<BenchRow> rows;
  std::vector<BenchComparison> pytorch;
  std::vector<std::pair<std::string, double>> breakdown;          ///< the slowest primitives, ms
  std::vector<std::pair<std::string, double>> breakdown_by_kind;  ///< "fwd", "bwd_w" ...: ms
  double breakdown_total_ms = 0;
  int breakdown_entries = 0;
};

/// Parses the file. Throws DataError "<path>: <field>: expected X, got Y".
BenchResults read_bench(const std::string& path);

}  // namespace signsnet::cli
