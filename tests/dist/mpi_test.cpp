// Data-parallel training over real MPI: run by ctest as `mpirun -np 2 signsnet_mpi_tests`
// (tests/dist/tests.cmake). Every rank runs every test; each test uses the world communicator.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "dist/dist_test_util.hpp"
#include "signsnet/checkpoint.hpp"
#include "signsnet/model.hpp"
#include "signsnet/trainer.hpp"

namespace signsnet {
namespace {

using namespace dist_test;

Communicator* g_world = nullptr;

// Steps on global batches of `global` images; this rank trains on its contiguous share.
std::vector<float> train_share(const ModelConfig& c, const Images& data, int global, int steps,
                               const DistributedConfig& dist, const OptimizerConfig& opt) {
  const ShardRange share = shard_range(global, g_world->rank(), g_world->size());
  const int first = share.first, last = share.last;
  Model m(c, last - first, opt);
  m.set_communicator(g_world, dist);
  for (int s = 0; s < steps; ++s) {
    const std::size_t base = static_cast<std::size_t>(s) * global + first;
    m.train_step(data.pixels.data() + base * m.image_floats(), data.labels.data() + base,
                 last - first);
  }
  return all_values(m);
}

std::vector<float> train_alone(const ModelConfig& c, const Images& data, int batch, int steps,
                               const OptimizerConfig& opt) {
  Model m(c, batch, opt);
  for (int s = 0; s < steps; ++s)
    m.train_step(data.pixels.data() + static_cast<std::size_t>(s) * batch * m.image_floats(),
                 data.labels.data() + s * batch, batch);
  return all_values(m);
}

// The equivalence: 2 ranks with batch 16 each against 1 process with batch 32, with
// synchronized batch norm, after a few steps (SGD: see dist_test_util.hpp for why not Adam).
TEST(Mpi, SyncBatchNormRanksEqualOneProcessWithTheGlobalBatch) {
  ASSERT_EQ(g_world->size(), 2) << "run with mpirun -np 2";
  const ModelConfig c = tiny_config();
  const int steps = 3, global = 32;
  const Images data = random_images(c, steps * global, 11);
  DistributedConfig sync;
  sync.sync_batchnorm = true;
  const std::vector<float> mine = train_share(c, data, global, steps, sync, sgd());
  const std::vector<float> alone = train_alone(c, data, global, steps, sgd());
  EXPECT_LT(max_abs_diff(mine, alone), 1e-4);
  // Every rank holds the same weights, bit for bit.
  std::vector<float> sum = mine;
  g_world->allreduce_sum(sum.data(), sum.size());
  for (std::size_t i = 0; i < sum.size(); ++i) ASSERT_EQ(sum[i], 2 * mine[i]) << "element " << i;
}

TEST(Mpi, OverlappedBucketsEqualOneSumAfterBackward) {
  const ModelConfig c = tiny_config();
  const Images data = random_images(c, 2 * 16, 12);
  DistributedConfig overlap, at_end;
  overlap.bucket_mib = 0;
  at_end.overlap = false;
  const std::vector<float> a = train_share(c, data, 16, 2, overlap, {});
  const std::vector<float> b = train_share(c, data, 16, 2, at_end, {});
  EXPECT_LT(max_abs_diff(a, b), 1e-6);
}

// The Trainer: shards, global figures, rank 0 alone writes the checkpoint, every rank resumes.
TEST(Mpi, TrainerWritesOnRankZeroAndResumesOnEvery) {
  const ModelConfig c = tiny_config();
  Dataset d;
  d.count = 40;
  d.height = d.width = 16;
  d.channels = 3;
  d.classes = 3;
  std::mt19937 rng(3);
  for (int i = 0; i < d.count * 16 * 16 * 3; ++i) d.pixels.push_back(rng() % 256);
  for (int i = 0; i < d.count; ++i) d.labels.push_back(i % 3);
  TrainConfig t = TrainConfig::preset("notebook");
  t.epochs = 2;
  t.batch = 16;
  const std::string dir = std::string(SIGNSNET_TEST_TMP) + "/mpi_trainer";
  if (g_world->rank() == 0) std::filesystem::remove_all(dir);
  g_world->barrier();
  t.checkpoint_dir = dir;
  Trainer trainer(c, t, d, g_world);
  EXPECT_EQ(trainer.model().batch_size(), 8);
  const TrainOutcome out = trainer.run(1);
  ASSERT_EQ(out.history.size(), 1u);
  EXPECT_DOUBLE_EQ(out.history[0].images_per_second > 0, true);
  g_world->barrier();
  EXPECT_TRUE(std::filesystem::exists(dir + "/last.h5"));
  Trainer resumed(c, t, d, g_world);
  resumed.resume(dir + "/last.h5");
  EXPECT_EQ(resumed.epochs_done(), 1);
  EXPECT_EQ(max_abs_diff(all_values(resumed.model()), all_values(trainer.model())),
            0.0);
}

}  // namespace
}  // namespace signsnet

int main(int argc, char** argv) {
  std::unique_ptr<signsnet::Communicator> world = signsnet::mpi_world(&argc, &argv);
  signsnet::g_world = world.get();
  omp_set_num_threads(1);
  ::testing::InitGoogleTest(&argc, argv);
  const int failed = RUN_ALL_TESTS();  // every rank reports; any rank's failure fails the run
  double any = failed ? 1 : 0;
  world->allreduce_sum(&any, 1);
  return any > 0 ? 1 : 0;
}
