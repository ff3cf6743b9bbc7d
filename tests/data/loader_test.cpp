// Loader: layout, normalization, epoch order, batching, determinism and buffer reuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <set>

#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using test::message_of;
using ::testing::HasSubstr;

// Image i has value (i + 40 c + 3 y + 5 x) % 256 at (y, x, c): its first byte is i.
Dataset make_data(int n, int h, int w, int classes) {
  Dataset d;
  d.count = n;
  d.height = h;
  d.width = w;
  d.classes = classes;
  for (int i = 0; i < n; ++i) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        for (int c = 0; c < 3; ++c)
          d.pixels.push_back(static_cast<std::uint8_t>((i + 40 * c + 3 * y + 5 * x) % 256));
      }
    }
    d.labels.push_back(i % classes);
  }
  return d;
}

std::vector<Batch> epoch_batches(Loader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> out;
  Batch b;
  while (loader.next(b)) out.push_back(b);
  return out;
}

// The first float of every image, times 255: the image's index in make_data.
std::vector<int> ids(const std::vector<Batch>& batches, int image_floats) {
  std::vector<int> out;
  for (const auto& b : batches) {
    for (int i = 0; i < b.count; ++i)
      out.push_back(static_cast<int>(std::lround(b.images[i * image_floats] * 255)));
  }
  return out;
}

TEST(LoaderTest, NchwAndNhwcHoldTheSameValues) {
  const Dataset d = make_data(5, 3, 4, 2);
  LoaderConfig cfg;
  cfg.batch_size = 5;
  cfg.shuffle = false;
  Batch nhwc, nchw;
  cfg.layout = ImageLayout::nhwc;
  Loader(d, cfg).next(nhwc);
  cfg.layout = ImageLayout::nchw;
  Loader(d, cfg).next(nchw);
  ASSERT_EQ(nhwc.images.size(), 5u * 3 * 4 * 3);
  ASSERT_EQ(nchw.images.size(), nhwc.images.size());
  for (int i = 0; i < 5; ++i) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 4; ++x) {
        for (int c = 0; c < 3; ++c) {
          const float expected = d.image(i)[(y * 4 + x) * 3 + c] / 255.0f;
          EXPECT_FLOAT_EQ(nhwc.images[((i * 3 + y) * 4 + x) * 3 + c], expected);
          EXPECT_FLOAT_EQ(nchw.images[((i * 3 + c) * 3 + y) * 4 + x], expected);
        }
      }
    }
  }
}

TEST(LoaderTest, PerChannelNormalization) {
  const Dataset d = make_data(2, 2, 2, 2);
  LoaderConfig cfg;
  cfg.shuffle = false;
  cfg.layout = ImageLayout::nhwc;
  cfg.normalization.per_channel = true;
  const float mean[3] = {0.5f, 0.25f, 0.0f}, std[3] = {0.5f, 2.0f, 0.25f};
  std::copy(mean, mean + 3, cfg.normalization.mean);
  std::copy(std, std + 3, cfg.normalization.std);
  Batch b;
  Loader(d, cfg).next(b);
  ASSERT_EQ(b.count, 2);
  for (std::size_t k = 0; k < b.images.size(); ++k) {
    const int c = static_cast<int>(k % 3);
    EXPECT_NEAR(b.images[k], (d.pixels[k] / 255.0f - mean[c]) / std[c], 1e-6) << k;
  }
}

TEST(LoaderTest, EveryImageOncePerEpochInASeededOrder) {
  const Dataset d = make_data(50, 2, 2, 5);
  LoaderConfig cfg;
  cfg.batch_size = 8;
  cfg.seed = 42;
  Loader loader(d, cfg);
  const auto e0 = ids(epoch_batches(loader, 0), 12);
  const auto e1 = ids(epoch_batches(loader, 1), 12);
  auto sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> all(50);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, all);
  EXPECT_EQ(ids(epoch_batches(loader, 0), 12), e0);  // the order depends on (seed, epoch) only
  cfg.seed = 43;
  Loader other(d, cfg);
  EXPECT_NE(ids(epoch_batches(other, 0), 12), e0);
}

TEST(LoaderTest, LabelsFollowTheirImages) {
  const Dataset d = make_data(30, 2, 2, 4);
  LoaderConfig cfg;
  cfg.batch_size = 7;
  Loader loader(d, cfg);
  for (const auto& b : epoch_batches(loader, 2)) {
    for (int i = 0; i < b.count; ++i) {
      EXPECT_EQ(b.labels[i], static_cast<int>(std::lround(b.images[i * 12] * 255)) % 4);
    }
  }
}

TEST(LoaderTest, LastPartialBatchAndDropLast) {
  const Dataset d = make_data(50, 2, 2, 5);
  LoaderConfig cfg;
  cfg.batch_size = 16;
  Loader keep(d, cfg);
  EXPECT_EQ(keep.batches_per_epoch(), 4);
  const auto batches = epoch_batches(keep, 3);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[3].count, 2);
  EXPECT_EQ(batches[3].images.size(), 2u * 12);
  EXPECT_EQ(batches[3].labels.size(), 2u);
  EXPECT_EQ(batches[3].index, 3);
  EXPECT_EQ(batches[3].epoch, 3);
  cfg.drop_last = true;
  Loader drop(d, cfg);
  EXPECT_EQ(drop.batches_per_epoch(), 3);
  const auto full = epoch_batches(drop, 0);
  ASSERT_EQ(full.size(), 3u);
  for (const auto& b : full) EXPECT_EQ(b.count, 16);
  Batch b;
  EXPECT_FALSE(drop.next(b));
}

TEST(LoaderTest, NextBeforeStartEpochAndRestartMidEpoch) {
  const Dataset d = make_data(20, 2, 2, 2);
  LoaderConfig cfg;
  cfg.batch_size = 4;
  Loader loader(d, cfg);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  EXPECT_EQ(b.epoch, 0);
  ASSERT_TRUE(loader.next(b));
  loader.start_epoch(5);
  ASSERT_TRUE(loader.next(b));
  EXPECT_EQ(b.epoch, 5);
  EXPECT_EQ(b.index, 0);
  Loader fresh(d, cfg);
  EXPECT_EQ(ids({b}, 12), ids({epoch_batches(fresh, 5)[0]}, 12));
}

bool same_bits(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].images.size() != b[k].images.size() || a[k].labels != b[k].labels) return false;
    if (std::memcmp(a[k].images.data(), b[k].images.data(), a[k].images.size() * 4) != 0)
      return false;
  }
  return true;
}

LoaderConfig augmenting(int threads) {
  LoaderConfig cfg;
  cfg.batch_size = 10;
  cfg.seed = 7;
  cfg.threads = threads;
  cfg.layout = ImageLayout::nchw;
  cfg.augmentation = {4, true, 10.0f, 0.1f, 0.1f};
  return cfg;
}

TEST(LoaderTest, BitIdenticalWhateverTheThreadsOrPrefetch) {
  const Dataset d = make_data(40, 16, 16, 4);
  LoaderConfig one = augmenting(1), two = augmenting(2), sync = augmenting(2);
  sync.prefetch = false;
  Loader a(d, one), b(d, two), c(d, sync);
  for (int epoch : {0, 1}) {
    const auto reference = epoch_batches(a, epoch);
    EXPECT_TRUE(same_bits(reference, epoch_batches(b, epoch))) << "epoch " << epoch;
    EXPECT_TRUE(same_bits(reference, epoch_batches(c, epoch))) << "epoch " << epoch;
  }
}

TEST(LoaderTest, AugmentationChangesPixelsButNotLabels) {
  const Dataset d = make_data(40, 16, 16, 4);
  LoaderConfig plain = augmenting(2);
  plain.augmentation = {};
  Loader a(d, plain), b(d, augmenting(2));
  const auto x = epoch_batches(a, 0), y = epoch_batches(b, 0);
  ASSERT_EQ(x.size(), y.size());
  int changed = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    EXPECT_EQ(x[k].labels, y[k].labels);
    const std::size_t floats = 3 * 16 * 16;
    for (int i = 0; i < x[k].count; ++i) {
      changed +=
          !std::equal(x[k].images.begin() + i * floats, x[k].images.begin() + (i + 1) * floats,
                      y[k].images.begin() + i * floats);
    }
  }
  EXPECT_GE(changed, 38);  // each image needs every draw neutral to stay the same
}

TEST(LoaderTest, TwoBuffersCirculateWithoutReallocation) {
  const Dataset d = make_data(64, 8, 8, 2);
  LoaderConfig cfg;
  cfg.batch_size = 8;
  Loader loader(d, cfg);
  Batch b;
  std::set<const float*> seen;
  for (int epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    while (loader.next(b)) seen.insert(b.images.data());
  }
  EXPECT_LE(seen.size(), 2u);
}

TEST(LoaderTest, EmptyDataGivesNoBatches) {
  const Dataset d = make_data(0, 4, 4, 2);
  Loader loader(d, LoaderConfig{});
  Batch b;
  EXPECT_EQ(loader.batches_per_epoch(), 0);
  EXPECT_FALSE(loader.next(b));
}

TEST(LoaderTest, BadConfigIsRejected) {
  const Dataset d = make_data(4, 2, 2, 2);
  LoaderConfig cfg;
  cfg.batch_size = 0;
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader(d, cfg); }),
              HasSubstr("LoaderConfig: batch_size: expected >= 1, got 0"));
  cfg = {};
  cfg.threads = 0;
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader(d, cfg); }),
              HasSubstr("LoaderConfig: threads: expected >= 1, got 0"));
  cfg = {};
  cfg.normalization.per_channel = true;
  cfg.normalization.std[1] = 0;
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader(d, cfg); }),
              HasSubstr("LoaderConfig: normalization.std[1]: expected > 0, got 0"));
  Dataset broken = d;
  broken.labels.pop_back();
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader(broken, LoaderConfig{}); }),
              HasSubstr("labels: expected 4 labels, got 3"));
}

}  // namespace
}  // namespace signsnet

namespace signsnet {
namespace {

// Data-parallel shards: together, in rank order, they are the unsharded batches, augmentation
// included, and each gets its contiguous part of every global batch.
TEST(LoaderTest, ShardsTogetherAreTheUnshardedBatches) {
  const Dataset d = make_data(23, 6, 6, 3);
  LoaderConfig cfg;
  cfg.batch_size = 8;
  cfg.seed = 11;
  cfg.augmentation.shift = 1;
  cfg.augmentation.horizontal_flip = true;
  Loader whole(d, cfg);
  const std::vector<Batch> expected = epoch_batches(whole, 2);
  const int shards = 3;
  std::vector<std::vector<Batch>> parts;
  for (int s = 0; s < shards; ++s) {
    LoaderConfig c = cfg;
    c.shard = s;
    c.shards = shards;
    Loader l(d, c);
    parts.push_back(epoch_batches(l, 2));
    ASSERT_EQ(parts.back().size(), expected.size());
  }
  const std::size_t floats = d.image_bytes();
  for (std::size_t b = 0; b < expected.size(); ++b) {
    std::vector<float> images;
    std::vector<std::int32_t> labels;
    for (int s = 0; s < shards; ++s) {
      const Batch& p = parts[s][b];
      EXPECT_EQ(p.count, expected[b].count * (s + 1) / shards - expected[b].count * s / shards);
      images.insert(images.end(), p.images.begin(), p.images.begin() + p.count * floats);
      labels.insert(labels.end(), p.labels.begin(), p.labels.begin() + p.count);
    }
    EXPECT_EQ(labels, std::vector<std::int32_t>(expected[b].labels.begin(),
                                                 expected[b].labels.begin() + expected[b].count));
    EXPECT_EQ(images, std::vector<float>(expected[b].images.begin(),
                                         expected[b].images.begin() + expected[b].count * floats));
  }
}

TEST(LoaderTest, ABadShardIsRefusedByName) {
  const Dataset d = make_data(4, 2, 2, 2);
  LoaderConfig cfg;
  cfg.shards = 2;
  cfg.shard = 2;
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader l(d, cfg); }), HasSubstr("shard: expected 0..1, got 2"));
  cfg.shards = 0;
  cfg.shard = 0;
  EXPECT_THAT(message_of<std::invalid_argument>([&] { Loader l(d, cfg); }), HasSubstr("shards: expected >= 1, got 0"));
}

}  // namespace
}  // namespace signsnet
