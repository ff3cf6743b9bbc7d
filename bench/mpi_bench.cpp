// signsnet-bench-mpi: data-parallel training steps of ResNet-50 under mpirun, for the scaling
// figures in docs/SCALING.md. Every rank trains on its share of each global batch of random
// images; rank 0 prints one JSON line: images/s over the timed steps, the step time, and the
// time each rank spent inside communication calls per step.
//   mpirun -np 2 signsnet-bench-mpi --threads 1 --steps 10
//   signsnet-bench-mpi --threads 1 --steps 10          (one process: the baseline)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "signsnet/data.hpp"
#include "signsnet/distributed.hpp"
#include "signsnet/model.hpp"

namespace {

using namespace signsnet;

struct Options {
  int global_batch = 32, steps = 10, warmup = 2, threads = 1;
  bool sync_bn = false, overlap = true, per_rank = false;
  double bucket_mib = 4.0;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int run(const Options& o, Communicator* comm) {
  const int ranks = comm ? comm->size() : 1, rank = comm ? comm->rank() : 0;
  const int share = shard_range(o.global_batch, rank, ranks).size();
  Model::set_threads(o.threads);
  const ModelConfig config = ModelConfig::resnet50();
  Model model(config, share);
  DistributedConfig dist;
  dist.sync_batchnorm = o.sync_bn;
  dist.overlap = o.overlap;
  dist.bucket_mib = o.bucket_mib;
  if (comm) model.set_communicator(comm, dist);
  std::mt19937 rng(static_cast<std::uint32_t>(rank + 1));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> images(static_cast<std::size_t>(share) * model.image_floats());
  for (float& p : images) p = u(rng);
  std::vector<std::int32_t> labels(share);
  for (auto& l : labels) l = static_cast<std::int32_t>(rng() % config.classes);

  for (int s = 0; s < o.warmup; ++s) model.train_step(images.data(), labels.data(), share);
  if (comm) {
    comm->barrier();
    comm->reset_wait_seconds();
  }
  std::vector<double> step_seconds;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < o.steps; ++s) {
    const auto t = std::chrono::steady_clock::now();
    model.train_step(images.data(), labels.data(), share);
    step_seconds.push_back(seconds_since(t));
  }
  const double total = seconds_since(start);
  // Each rank's seconds inside communication calls, gathered by a sum of one-hot vectors.
  std::vector<double> comm_seconds(static_cast<std::size_t>(ranks), 0.0);
  comm_seconds[rank] = comm ? comm->wait_seconds() : 0.0;
  if (comm) comm->allreduce_sum(comm_seconds.data(), comm_seconds.size());
  double comm_sum = 0, comm_most = 0;
  for (double c : comm_seconds) {
    comm_sum += c;
    comm_most = std::max(comm_most, c);
  }
  if (o.per_rank) {
    std::fprintf(stderr, "rank %d: %.1f ms per step, %.1f in communication\n", rank,
                 1e3 * total / o.steps, 1e3 * comm_seconds[rank] / o.steps);
  }
  std::sort(step_seconds.begin(), step_seconds.end());
  if (rank == 0) {
    std::printf(
        "{\"ranks\": %d, \"threads_per_rank\": %d, \"global_batch\": %d, \"steps\": %d, "
        "\"sync_bn\": %s, \"overlap\": %s, \"bucket_mib\": %g, \"images_per_second\": %.2f, "
        "\"median_step_ms\": %.1f, \"comm_ms_per_step_mean_over_ranks\": %.1f, "
        "\"comm_ms_per_step_max_rank\": %.1f}\n",
        ranks, o.threads, o.global_batch, o.steps, o.sync_bn ? "true" : "false",
        o.overlap ? "true" : "false", o.bucket_mib, o.global_batch * o.steps / total,
        1e3 * step_seconds[step_seconds.size() / 2], 1e3 * comm_sum / ranks / o.steps,
        1e3 * comm_most / o.steps);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<Communicator> world;
  if (launched_by_mpi() && mpi_available()) world = mpi_world(&argc, &argv);
  CLI::App app{"signsnet-bench-mpi: data-parallel ResNet-50 training steps (run under mpirun)"};
  Options o;
  app.add_option("--batch", o.global_batch, "Global batch (default 32)")->check(CLI::Range(1, 4096));
  app.add_option("--steps", o.steps, "Timed steps (default 10)")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.warmup, "Untimed steps first (default 2)")->check(CLI::Range(0, 1000));
  app.add_option("--threads", o.threads, "Compute threads per rank (default 1)")
      ->check(CLI::Range(1, 1024));
  app.add_flag("--sync-bn,!--no-sync-bn", o.sync_bn, "Synchronized batch norm");
  app.add_flag("--overlap,!--no-overlap", o.overlap, "Sum gradients during backward (default)");
  app.add_option("--bucket-mb", o.bucket_mib, "Bucket size in MiB (default 4)")
      ->check(CLI::Range(0.0, 4096.0));
  app.add_flag("--per-rank", o.per_rank,
               "Also print each rank's time per step and time in MPI (on stderr)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run(o, world && world->size() > 1 ? world.get() : nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "signsnet-bench-mpi: error: %s\n", e.what());
    if (world && world->size() > 1) world->abort("signsnet-bench-mpi: aborting all ranks", 1);
    return 1;
  }
}
