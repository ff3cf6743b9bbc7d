// signsnet-bench: Google Benchmark's main plus the run's context: the machine's measured peak and
// read bandwidth with the inference floor they imply, optionally the PyTorch reference measured
// in the same run, and (--breakdown) per-primitive breakdowns of one training step and of one
// batch-1 inference. bench/report.py turns the JSON output into the markdown report.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <sstream>

#include "bench_common.hpp"
#include "flops.hpp"

namespace signsnet::bench {

Model& cached_model(int batch) {
  static std::map<int, std::unique_ptr<Model>> models;
  auto& m = models[batch];
  if (!m) m = std::make_unique<Model>(ModelConfig::resnet50(), batch);
  return *m;
}

const Inputs& cached_inputs(const Model& model, int count) {
  static std::map<int, Inputs> inputs;
  Inputs& in = inputs[count];
  if (in.images.empty()) {
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    in.images.resize(count * model.image_floats());
    for (float& x : in.images) x = pixel(gen);
    for (int i = 0; i < count; ++i) in.labels.push_back(i % model.config().classes);
  }
  return in;
}

double machine_peak_gflops() {
  static const double peak = peak_gflops();
  return peak;
}

void report_rates(benchmark::State& state, int images_per_iteration, double flops_per_image) {
  const double images = static_cast<double>(images_per_iteration);
  state.SetItemsProcessed(state.iterations() * images_per_iteration);
  state.counters["img/s"] =
      benchmark::Counter(images, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(images * flops_per_image * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  // Percent of peak is GFLOP/s over the context's peak_gflops: bench/report.py computes it.
}

namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) return "";
  }
  return out;
}

// Median milliseconds per primitive over `repeats` profiled runs of `profile` (after one unmeasured
// run), as a JSON array [[name, ms], ...] in the order the names first appear. Records of the same
// name in one run (a Winograd layer's 16 products, a transform run twice) add up.
template <class Profile>
std::string median_records_json(int repeats, Profile profile) {
  profile();
  std::map<std::string, std::vector<double>> times;
  std::vector<std::string> order;
  for (int r = 0; r < repeats; ++r) {
    std::map<std::string, double> run;
    for (const auto& [name, ms] : profile()) {
      if (!times.count(name) && !run.count(name)) order.push_back(name);
      run[name] += ms;
    }
    for (const auto& [name, ms] : run) times[name].push_back(ms);
  }
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto& v = times[order[i]];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    out << (i ? "," : "") << "[\"" << order[i] << "\"," << v[v.size() / 2] << "]";
  }
  out << "]";
  return out.str();
}

// One training step of `batch` images, primitive by primitive.
std::string breakdown_json(int batch, int repeats) {
  Model& m = cached_model(batch);
  const Inputs& in = cached_inputs(m, batch);
  return median_records_json(
      repeats, [&] { return m.profile_step(in.images.data(), in.labels.data(), batch); });
}

// One inference pass of `batch` images (the model's batch is 32; predict runs a network of the
// pass's own size), primitive by primitive.
std::string inference_breakdown_json(int batch, int repeats) {
  Model& m = cached_model(32);
  const Inputs& in = cached_inputs(m, 32);
  return median_records_json(repeats, [&] { return m.profile_predict(in.images.data(), batch); });
}

bool take_flag(int& argc, char** argv, const char* flag, std::string* value) {
  for (int i = 1; i < argc; ++i) {
    const std::size_t n = std::strlen(flag);
    if (std::strncmp(argv[i], flag, n) != 0 || (argv[i][n] != '\0' && argv[i][n] != '=')) continue;
    if (value) *value = argv[i][n] == '=' ? argv[i] + n + 1 : "";
    std::copy(argv + i + 1, argv + argc, argv + i);
    --argc;
    return true;
  }
  return false;
}

}  // namespace
}  // namespace signsnet::bench

int main(int argc, char** argv) {
  using namespace signsnet::bench;
  std::string value;
  if (take_flag(argc, argv, "--threads", &value))
    signsnet::Model::set_threads(std::atoi(value.c_str()));
  const bool pytorch = take_flag(argc, argv, "--pytorch", &value);
  const std::string pytorch_args = value;
  const bool breakdown = take_flag(argc, argv, "--breakdown", nullptr);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const signsnet::Model& model = cached_model(32);
  const double peak = machine_peak_gflops(), gbps = read_gbps(weight_bytes(model));
  benchmark::AddCustomContext("peak_gflops", std::to_string(peak));
  benchmark::AddCustomContext("threads", std::to_string(signsnet::Model::threads()));
  benchmark::AddCustomContext("read_gbps", std::to_string(gbps));
  for (const int batch : {1, 32}) {
    const std::string key = "inference_floor_ms_batch" + std::to_string(batch);
    benchmark::AddCustomContext(
        key, std::to_string(layerwise_inference_floor_ms(model, batch, peak, gbps)));
    std::string by_stage;
    for (const std::string stage : {"stem", "stage2", "stage3", "stage4", "stage5", "head"}) {
      char ms[32];
      std::snprintf(ms, sizeof ms, " %.2f",
                    layerwise_inference_floor_ms(model, batch, peak, gbps, stage + "."));
      by_stage += (by_stage.empty() ? "" : ", ") + stage + ms;
    }
    benchmark::AddCustomContext(key + "_by_stage", by_stage);
  }
  if (pytorch) {
    // Same machine, same run: PyTorch first, so both see the same conditions.
    const std::string cmd = "/usr/bin/python3 " + std::string(SIGNSNET_BENCH_DIR) +
                            "/pytorch_reference.py speed --json --threads " +
                            std::to_string(signsnet::Model::threads()) + " " + pytorch_args;
    const std::string json = run_command(cmd);
    if (json.empty())
      std::fprintf(stderr, "signsnet-bench: --pytorch: the reference failed: %s\n", cmd.c_str());
    benchmark::AddCustomContext("pytorch", json.empty() ? "{}" : json);
  }
  if (breakdown) {
    benchmark::AddCustomContext("breakdown_batch32", breakdown_json(32, 5));
    benchmark::AddCustomContext("inference_breakdown_batch1", inference_breakdown_json(1, 21));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
