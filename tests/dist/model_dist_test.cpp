// Data-parallel Model: ranks as threads (tests/support/thread_communicator.hpp), so these run
// without MPI and under the sanitizers. tests/dist/mpi_test.cpp runs the same over mpirun.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <vector>

#include "dist/dist_test_util.hpp"
#include "signsnet/model.hpp"
#include "support/thread_communicator.hpp"

namespace signsnet {
namespace {

using namespace dist_test;
using testing::run_ranks;

// Trains `steps` steps on global batches of `global` images split over `ranks` ranks (rank r
// gets the r-th contiguous share) and returns each rank's trainable values and statistics.
struct RankResult {
  std::vector<float> weights, stats;
  std::vector<StepResult> steps;
  int started = 0;
};

std::vector<RankResult> train_split(const ModelConfig& config, const Images& data, int global,
                                    int steps, int ranks, const DistributedConfig& dist,
                                    const OptimizerConfig& optimizer = {}) {
  std::vector<RankResult> results(ranks);
  run_ranks(ranks, [&](int rank, Communicator& comm) {
    omp_set_num_threads(1);
    const ShardRange share = shard_range(global, rank, ranks);
    const int first = share.first, last = share.last;
    Model m(config, last - first, optimizer);
    m.set_communicator(&comm, dist);
    const std::size_t floats = m.image_floats();
    for (int s = 0; s < steps; ++s) {
      const std::size_t base = static_cast<std::size_t>(s) * global;
      results[rank].steps.push_back(m.train_step(data.pixels.data() + (base + first) * floats,
                                                 data.labels.data() + base + first, last - first));
    }
    m.average_statistics();
    results[rank].weights = all_values(m, false);
    results[rank].stats = all_values(m, true);
    results[rank].started = static_cast<testing::ThreadCommunicator&>(comm).started();
  });
  return results;
}

TEST(DistributedModel, RanksStayIdenticalAndReportTheGlobalBatch) {
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 3 * 12, 1);
  const auto r = train_split(c, data, 12, 3, 2, {});
  EXPECT_EQ(max_abs_diff(r[0].weights, r[1].weights), 0.0) << "ranks drifted apart";
  EXPECT_EQ(max_abs_diff(r[0].stats, r[1].stats), 0.0) << "statistics were not averaged";
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(r[0].steps[s].count, 12);
    EXPECT_EQ(r[1].steps[s].count, 12);
    EXPECT_EQ(r[0].steps[s].correct, r[1].steps[s].correct);
    EXPECT_FLOAT_EQ(r[0].steps[s].loss, r[1].steps[s].loss);
  }
}

// With per-rank batch norm, each rank's forward pass is that of a single model on its share, so
// the first step's global loss is the image-weighted mean of those.
TEST(DistributedModel, GlobalLossIsTheMeanOverAllImages) {
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 10, 2);
  const auto r = train_split(c, data, 10, 1, 2, {});
  // Each rank alone, evaluated in training mode on its share, with the same initial weights.
  double loss_sum = 0;
  int correct = 0;
  for (int rank = 0; rank < 2; ++rank) {
    Model m(c, 5);
    const StepResult s = m.compute_gradients(data.pixels.data() + rank * 5 * m.image_floats(),
                                             data.labels.data() + rank * 5, 5);
    loss_sum += static_cast<double>(s.loss) * 5;
    correct += s.correct;
  }
  EXPECT_NEAR(r[0].steps[0].loss, loss_sum / 10, 1e-5);
  EXPECT_EQ(r[0].steps[0].correct, correct);
}

TEST(DistributedModel, BucketsGiveTheSameWeightsAsOneSumAfterBackward) {
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 2 * 8, 3);
  DistributedConfig overlap;
  overlap.bucket_mib = 0;  // one bucket per block
  DistributedConfig at_end;
  at_end.overlap = false;
  const auto a = train_split(c, data, 8, 2, 2, overlap);
  const auto b = train_split(c, data, 8, 2, 2, at_end);
  EXPECT_GT(a[0].started, 2 * 3) << "expected one bucket per block and step";
  EXPECT_EQ(b[0].started, 2) << "expected one sum per step";
  EXPECT_LT(max_abs_diff(a[0].weights, b[0].weights), 1e-6);
}

TEST(DistributedModel, UnevenSharesWeighTheirImages) {
  // 7 images as 4 + 3: the global loss and the ranks' agreement must not depend on the split.
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 7, 4);
  const auto r = train_split(c, data, 7, 1, 2, {});
  EXPECT_EQ(r[0].steps[0].count, 7);
  EXPECT_EQ(max_abs_diff(r[0].weights, r[1].weights), 0.0);
}

TEST(DistributedModel, OneRankIsTheSingleProcessModel) {
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 2 * 8, 6);
  const auto r = train_split(c, data, 8, 2, 1, {});
  omp_set_num_threads(1);  // as the rank did: oneDNN's sums depend on the thread count
  Model m(c, 8);
  for (int s = 0; s < 2; ++s)
    m.train_step(data.pixels.data() + s * 8 * m.image_floats(), data.labels.data() + s * 8, 8);
  EXPECT_EQ(max_abs_diff(r[0].weights, all_values(m, false)), 0.0);
}

// The equivalence the design rests on: with synchronized batch norm, 2 ranks with half the batch
// each take the steps of one process with the whole batch (up to float summation order).
std::vector<float> single_process(const ModelConfig& c, const Images& data, int batch, int steps,
                                  const OptimizerConfig& optimizer, std::vector<float>* stats) {
  omp_set_num_threads(1);
  Model m(c, batch, optimizer);
  for (int s = 0; s < steps; ++s)
    m.train_step(data.pixels.data() + static_cast<std::size_t>(s) * batch * m.image_floats(),
                 data.labels.data() + s * batch, batch);
  if (stats) *stats = all_values(m, true);
  return all_values(m, false);
}

// SGD (see dist_test_util.hpp for why not Adam).
TEST(DistributedModel, SyncBatchNormTwoRanksEqualOneProcess) {
  const ModelConfig c = tiny_config();
  const int steps = 2;
  const Images data = random_images(c, steps * 16, 7);
  DistributedConfig sync;
  sync.sync_batchnorm = true;
  const auto r = train_split(c, data, 16, steps, 2, sync, sgd());
  std::vector<float> stats;
  const std::vector<float> one = single_process(c, data, 16, steps, sgd(), &stats);
  EXPECT_EQ(max_abs_diff(r[0].weights, r[1].weights), 0.0);
  // Measured (this model, seed 7, AVX2): 7e-7 after 1 step, 4e-6 after 2, 3.5e-5 after 4; one
  // process at 2 threads against 1 thread differs by 3e-8, 2e-7 and 1.6e-6 (summation order,
  // amplified by every step alike). On AVX-512, where oneDNN picks other kernels for 8 images
  // than for 16, the third step gave 2.9e-4 and the fourth under 1e-4 again: two steps keep the
  // test to the summation order.
  EXPECT_LT(max_abs_diff(r[0].weights, one), 1e-4);
  EXPECT_LT(max_abs_diff(r[0].stats, stats), 1e-4);
  // Without synchronization the ranks normalize with their own 8 images: a different model
  // (0.34 after 1 step, 1.6 after 4).
  const auto local = train_split(c, data, 16, steps, 2, {}, sgd());
  EXPECT_GT(max_abs_diff(local[0].weights, one), 0.1);
}

}  // namespace
}  // namespace signsnet
