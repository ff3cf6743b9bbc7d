#include "bench_results.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "errors.hpp"
#include "html.hpp"

namespace signsnet::cli {
namespace {

using nlohmann::json;

constexpr int kBreakdownRows = 12;

json parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": file: expected a readable signsnet-bench JSON file, got none");
  std::stringstream s;
  s << in.rdbuf();
  const json j = json::parse(s.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw DataError(path +
                    ": file: expected signsnet-bench's JSON (--benchmark_out_format=json), "
                    "got " +
                    (j.is_discarded() ? std::string("a parse error") : j.type_name()));
  return j;
}

// "BM_Conv/conv1/forward/32/min_time:0.200/real_time" -> "BM_Conv/conv1/forward/32".
std::string short_name(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string part = name.substr(start, end - start);
    const bool option = part == "real_time" || part == "manual_time" ||
                        part.rfind("iterations:", 0) == 0 || part.rfind("min_time:", 0) == 0 ||
                        part.rfind("repeats:", 0) == 0;
    if (!option) out += (out.empty() ? "" : "/") + part;
    start = end + 1;
  }
  return out;
}

double optional_number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string text_of(const json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

BenchRow parse_row(const json& b, const std::string& where) {
  if (!b.is_object() || !b.contains("name") || !b["name"].is_string())
    throw DataError(where + ".name: expected a string, got " +
                    (b.is_object() ? "none" : b.type_name()));
  BenchRow r;
  const auto run_name = b.find("run_name");
  r.name = short_name(run_name != b.end() && run_name->is_string() ? run_name->get<std::string>()
                                                                   : b["name"].get<std::string>());
  r.time = optional_number(b, "real_time");
  r.unit = b.value("time_unit", std::string("ns"));
  r.images_per_second = optional_number(b, "img/s");
  r.gflops = optional_number(b, "GFLOP/s");
  r.label = b.value("label", std::string());
  return r;
}

// With repetitions Google Benchmark writes each run and the aggregates: keep the medians.
void read_rows(const json& j, BenchResults* out) {
  const auto it = j.find("benchmarks");
  if (it == j.end() || !it->is_array())
    throw DataError(out->path + ": benchmarks: expected an array, got " +
                    (it == j.end() ? std::string("none") : it->type_name()));
  for (const json& b : *it)
    out->medians |= b.is_object() && b.value("aggregate_name", std::string()) == "median";
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& b = (*it)[i];
    const bool median = b.is_object() && b.value("aggregate_name", std::string()) == "median";
    const bool iteration =
        b.is_object() && b.value("run_type", std::string("iteration")) == "iteration";
    if (out->medians ? median : iteration)
      out->rows.push_back(parse_row(b, out->path + ": benchmarks[" + std::to_string(i) + "]"));
  }
}

json embedded_json(const json& ctx, const char* key, const std::string& path) {
  const auto it = ctx.find(key);
  if (it == ctx.end()) return json();
  const json j = it->is_string() ? json::parse(it->get<std::string>(), nullptr, false) : *it;
  if (j.is_discarded())
    throw DataError(path + ": context." + key + ": expected JSON in a string, got a parse error");
  return j;
}

const BenchRow* find_row(const BenchResults& r, const std::string& name) {
  for (const BenchRow& row : r.rows)
    if (row.name == name) return &row;
  return nullptr;
}

void read_pytorch(const json& torch, BenchResults* out) {
  if (!torch.is_object()) return;
  struct Pair {
    const char* what;
    const char* key;
    const char* row;
    const char* unit;
  };
  for (const Pair& p :
       {Pair{"training, batch 32", "train_fp32_cl_img_s", "BM_TrainStep/32", "img/s"},
        Pair{"inference, batch 32", "infer_b32_fp32_img_s", "BM_Inference/32", "img/s"},
        Pair{"inference, batch 1", "infer_b1_fp32_ms", "BM_Inference/1", "ms"}}) {
    const BenchRow* row = find_row(*out, p.row);
    const double ref = optional_number(torch, p.key);
    if (!row || !std::isfinite(ref)) continue;
    const double mine = std::string(p.unit) == "ms" ? row->time : row->images_per_second;
    out->pytorch.push_back({p.what, p.unit, mine, ref});
  }
  if (torch.contains("torch_version"))
    out->context.emplace_back(
        "PyTorch reference", "PyTorch " + text_of(torch["torch_version"]) + ", " +
                                 text_of(torch.value("threads", json("?"))) + " threads, same run");
}

// "stage5.block2.conv2 bwd_w" is of kind "bwd_w"; "optimizer" is its own kind.
void add_to_kind(const std::string& kind, double ms,
                 std::vector<std::pair<std::string, double>>* kinds) {
  for (auto& [name, total] : *kinds) {
    if (name == kind) {
      total += ms;
      return;
    }
  }
  kinds->emplace_back(kind, ms);
}

void read_breakdown(const json& records, BenchResults* out) {
  if (!records.is_array()) return;
  for (const json& r : records) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_string() || !r[1].is_number())
      throw DataError(out->path + ": context.breakdown_batch32: expected [name, ms] pairs, got " +
                      r.dump().substr(0, 40));
    const std::string name = r[0].get<std::string>();
    const double ms = r[1].get<double>();
    out->breakdown.emplace_back(name, ms);
    out->breakdown_total_ms += ms;
    add_to_kind(name.substr(name.rfind(' ') + 1), ms, &out->breakdown_by_kind);
  }
  std::stable_sort(out->breakdown_by_kind.begin(), out->breakdown_by_kind.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  out->breakdown_entries = static_cast<int>(out->breakdown.size());
  std::stable_sort(out->breakdown.begin(), out->breakdown.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out->breakdown.size() > kBreakdownRows) out->breakdown.resize(kBreakdownRows);
}

void read_context(const json& ctx, BenchResults* out) {
  static const std::pair<const char*, const char*> kShown[] = {
      {"date", "date"},       {"host_name", "host"},
      {"num_cpus", "CPUs"},   {"mhz_per_cpu", "MHz per CPU"},
      {"threads", "threads"}, {"library_build_type", "Google Benchmark library build"}};
  for (const auto& [key, label] : kShown)
    if (ctx.contains(key)) out->context.emplace_back(label, text_of(ctx[key]));
  if (ctx.contains("peak_gflops")) {
    const json& p = ctx["peak_gflops"];
    out->peak_gflops = p.is_number() ? p.get<double>() : std::atof(text_of(p).c_str());
    out->context.emplace_back("peak (fp32 matmul)", fixed(out->peak_gflops, 1) + " GFLOP/s");
  }
}

}  // namespace

BenchResults read_bench(const std::string& path) {
  BenchResults out;
  out.path = path;
  const json j = parse_file(path);
  read_rows(j, &out);
  const json ctx = j.value("context", json::object());
  if (!ctx.is_object())
    throw DataError(path + ": context: expected an object, got " + std::string(ctx.type_name()));
  read_context(ctx, &out);
  read_pytorch(embedded_json(ctx, "pytorch", path), &out);
  read_breakdown(embedded_json(ctx, "breakdown_batch32", path), &out);
  return out;
}

}  // namespace signsnet::cli
