// Synchronized batch normalization: ranks (threads with a ThreadCommunicator) that each hold part
// of a batch must compute what one network computes with the whole batch: the outputs, the input
// gradients and, summed over the ranks, the gamma / beta gradients and the moving statistics.
// Without sync (or with one rank) the layer must be bit-identical to one that has no communicator.
#include <gtest/gtest.h>
#include <omp.h>

#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/batchnorm.hpp"
#include "naive.hpp"
#include "signsnet/distributed.hpp"
#include "support/thread_communicator.hpp"
#include "test_util.hpp"

namespace signsnet::test {
namespace {

using naive::Shape;

constexpr float kBnEps = 1e-3f;
constexpr float kMomentum = 0.9f;

/// The global batch: input, parameters, and the output gradient of the loss sum(dy * y).
struct Data {
  Shape s;
  Vec x, gamma, beta, dy, moving_mean, moving_var;

  explicit Data(const Shape& shape) : s(shape) {
    std::mt19937 rng(31);
    x = uniform(rng, s.size(), -2.0f, 3.0f);
    gamma = uniform(rng, static_cast<std::size_t>(s.c), 0.5f, 1.5f);
    beta = uniform(rng, static_cast<std::size_t>(s.c), -0.5f, 0.5f);
    dy = uniform(rng, s.size());
    moving_mean = uniform(rng, static_cast<std::size_t>(s.c));
    moving_var = uniform(rng, static_cast<std::size_t>(s.c), 0.5f, 2.0f);
  }

  /// Images [first, first + count) of a plain NCHW tensor of this batch.
  Vec images(const Vec& v, int first, int count) const {
    const std::size_t per = static_cast<std::size_t>(s.c) * s.h * s.w;
    return Vec(v.begin() + first * per, v.begin() + (first + count) * per);
  }
};

/// What one BatchNorm computed in a forward, backward and update_moving.
struct Result {
  Vec y, dx, dgamma, dbeta, moving_mean, moving_var;
  std::int64_t primitives_created = 0, memories_created = 0;
};

struct RunOptions {
  tag layout = tag::nChw8c;
  bool relu = false;
  Communicator* comm = nullptr;
  bool sync = false;
  int steps = 1;  // forward + backward pairs; the result is the last one's
};

/// Builds a training BatchNorm for images [first, first + count) of `d`, sets the collectives
/// (after building, as a model does), and runs it.
Result run_bn(const Data& d, int first, int count, const RunOptions& u) {
  LayerEnv env;
  const Shape s{count, d.s.c, d.s.h, d.s.w};
  core::Build b = env.build(/*training=*/true, s.n);
  core::Act in = make_act(env.rt, s, u.layout);
  core::BatchNorm bn(b, "t.bn", in, u.relu, kBnEps);
  env.finalize();
  env.rt.collectives().comm = u.comm;
  env.rt.collectives().sync_batchnorm = u.sync;
  write_plain(env.rt, in.value, d.images(d.x, first, count));
  write_param(env.params, "t.bn.gamma", d.gamma);
  write_param(env.params, "t.bn.beta", d.beta);
  write_param(env.params, "t.bn.moving_mean", d.moving_mean);
  write_param(env.params, "t.bn.moving_variance", d.moving_var);
  write_plain(env.rt, bn.out().grad, d.images(d.dy, first, count));
  const Vec nan(s.size(), std::numeric_limits<float>::quiet_NaN());

  Result r;
  const std::int64_t primitives = env.rt.primitives(), memories = env.rt.memories();
  for (int step = 0; step < u.steps; ++step) {
    write_plain(env.rt, in.grad, nan);  // every element must be written, not accumulated into
    bn.forward(env.rt.stream());
    bn.backward(env.rt.stream());
    env.wait();
  }
  r.primitives_created = env.rt.primitives() - primitives;
  r.memories_created = env.rt.memories() - memories;
  r.y = read_plain(env.rt, bn.out().value);
  r.dx = read_plain(env.rt, in.grad);
  r.dgamma = read_param(env.params, "t.bn.gamma", TensorRole::gradient);
  r.dbeta = read_param(env.params, "t.bn.beta", TensorRole::gradient);
  bn.update_moving(kMomentum);
  r.moving_mean = read_param(env.params, "t.bn.moving_mean");
  r.moving_var = read_param(env.params, "t.bn.moving_variance");
  return r;
}

/// Runs `body(rank, comm)` on `sizes.size()` ranks, each rank with one OpenMP thread and the
/// images that follow the previous ranks' ones; returns each rank's result.
std::vector<Result> run_split(const Data& d, const std::vector<int>& sizes, RunOptions u) {
  std::vector<Result> results(sizes.size());
  testing::run_ranks(static_cast<int>(sizes.size()), [&](int rank, Communicator& comm) {
    omp_set_num_threads(1);
    const int first = std::accumulate(sizes.begin(), sizes.begin() + rank, 0);
    RunOptions mine = u;
    if (mine.comm == nullptr) mine.comm = &comm;
    results[rank] = run_bn(d, first, sizes[rank], mine);
  });
  return results;
}

/// The whole batch in one network with no communicator, on one OpenMP thread like the ranks.
Result run_alone(const Data& d, int first, int count, RunOptions u) {
  Result r;
  testing::run_ranks(1, [&](int, Communicator&) {
    omp_set_num_threads(1);
    u.comm = nullptr;
    r = run_bn(d, first, count, u);
  });
  return r;
}

Vec concat(const std::vector<Result>& rs, Vec Result::*field) {
  Vec v;
  for (const Result& r : rs) v.insert(v.end(), (r.*field).begin(), (r.*field).end());
  return v;
}

Vec sum(const std::vector<Result>& rs, Vec Result::*field) {
  Vec v((rs.front().*field).size(), 0.0f);
  for (const Result& r : rs)
    for (std::size_t i = 0; i < v.size(); ++i) v[i] += (r.*field)[i];
  return v;
}

void expect_bit_identical(const Result& got, const Result& want) {
  EXPECT_EQ(got.y, want.y);
  EXPECT_EQ(got.dx, want.dx);
  EXPECT_EQ(got.dgamma, want.dgamma);
  EXPECT_EQ(got.dbeta, want.dbeta);
  EXPECT_EQ(got.moving_mean, want.moving_mean);
  EXPECT_EQ(got.moving_var, want.moving_var);
}

struct SyncCase {
  const char* name;
  int channels;
  tag layout;
  bool relu;
  std::vector<int> split;  // images per rank
};

void PrintTo(const SyncCase& c, std::ostream* os) {
  *os << c.name;
}

class SyncBatchNormTest : public ::testing::TestWithParam<SyncCase> {};

TEST_P(SyncBatchNormTest, RanksMatchOneNetworkWithTheWholeBatch) {
  const SyncCase& c = GetParam();
  const int total = std::accumulate(c.split.begin(), c.split.end(), 0);
  const Data d({total, c.channels, 5, 5});
  const RunOptions u{c.layout, c.relu, nullptr, /*sync=*/true};
  const Result want = run_alone(d, 0, total, u);
  const std::vector<Result> ranks = run_split(d, c.split, u);

  constexpr double rel = 1e-5, abs = 1e-5;
  EXPECT_TRUE(AllNear(concat(ranks, &Result::y), want.y, rel, abs));
  EXPECT_TRUE(AllNear(concat(ranks, &Result::dx), want.dx, rel, abs));
  // Each rank keeps its own sums in the gradient slots; the model sums them over the ranks.
  EXPECT_TRUE(AllNear(sum(ranks, &Result::dgamma), want.dgamma, rel, abs));
  EXPECT_TRUE(AllNear(sum(ranks, &Result::dbeta), want.dbeta, rel, abs));
  for (const Result& r : ranks) {
    EXPECT_TRUE(AllNear(r.moving_mean, want.moving_mean, rel, abs));
    EXPECT_TRUE(AllNear(r.moving_var, want.moving_var, rel, abs));  // unbiased by the global count
  }
  // And the single network itself against the naive loops (double precision).
  const naive::BnGrads g = naive::bn_backward(d.s, d.x, d.dy, d.gamma, d.beta, kBnEps, c.relu);
  EXPECT_TRUE(AllNear(concat(ranks, &Result::dx), g.dx));
  EXPECT_TRUE(AllNear(sum(ranks, &Result::dgamma), g.dgamma));
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SyncBatchNormTest,
    ::testing::Values(SyncCase{"blocked8", 16, tag::nChw8c, false, {4, 4}},
                      SyncCase{"blocked8_relu", 16, tag::nChw8c, true, {4, 4}},
                      SyncCase{"uneven_5_3", 16, tag::nChw8c, false, {5, 3}},
                      SyncCase{"uneven_5_3_relu", 16, tag::nChw8c, true, {5, 3}},
                      SyncCase{"three_ranks_relu", 16, tag::nChw8c, true, {3, 3, 2}},
                      SyncCase{"padded_c6_relu", 6, tag::nChw8c, true, {4, 4}},
                      SyncCase{"blocked16_relu", 16, tag::nChw16c, true, {4, 4}},
                      SyncCase{"nchw_relu", 16, tag::nchw, true, {4, 4}},
                      SyncCase{"nhwc", 16, tag::nhwc, false, {5, 3}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SyncBatchNormOff, RanksWithSyncOffAreBitIdenticalToNetworksWithoutCommunicator) {
  const Data d({8, 16, 5, 5});
  for (bool relu : {false, true}) {
    const RunOptions u{tag::nChw8c, relu, nullptr, /*sync=*/false};
    const std::vector<Result> ranks = run_split(d, {5, 3}, u);
    expect_bit_identical(ranks[0], run_alone(d, 0, 5, u));
    expect_bit_identical(ranks[1], run_alone(d, 5, 3, u));
  }
}

TEST(SyncBatchNormOff, OneRankWithSyncOnIsBitIdenticalToANetworkWithoutCommunicator) {
  const Data d({8, 16, 5, 5});
  const RunOptions u{tag::nChw8c, true, nullptr, /*sync=*/true};
  expect_bit_identical(run_split(d, {8}, u)[0], run_alone(d, 0, 8, u));
}

TEST(SyncBatchNormSteps, SyncedForwardAndBackwardCreateNoPrimitiveOrMemory) {
  const Data d({8, 16, 5, 5});
  RunOptions u{tag::nChw8c, true, nullptr, /*sync=*/true};
  u.steps = 3;
  const std::vector<Result> ranks = run_split(d, {4, 4}, u);
  for (const Result& r : ranks) {
    EXPECT_EQ(r.primitives_created, 0);
    EXPECT_EQ(r.memories_created, 0);
  }
  // Repeated steps on the same data give the one-network result each time.
  EXPECT_TRUE(AllNear(concat(ranks, &Result::dx), run_alone(d, 0, 8, u).dx, 1e-5, 1e-5));
}

TEST(SyncBatchNormLayout, UnsupportedLayoutFailsOnlyWhenSynchronizing) {
  const Data d({8, 16, 5, 5});
  // Blocked twice (images by 16, channels by 16): no per-channel loop for it.
  const RunOptions u{tag::NChw16n16c, false, nullptr, /*sync=*/true};
  EXPECT_NO_THROW(run_alone(d, 0, 8, u));
  try {
    run_split(d, {4, 4}, u);
    ADD_FAILURE() << "expected std::logic_error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("t.bn: synchronized batch norm: layout: expected a plain "
                                         "one or the channels blocked once"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace signsnet::test
