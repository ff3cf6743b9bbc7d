// The real SIGNS files (skipped when SIGNSNET_DATA_DIR is missing). Kept fast: two HDF5 files
// and two JPEG folders, about 1000 small images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "data/test_support.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

std::vector<int> histogram(const Dataset& d) {
  std::vector<int> counts(6, 0);
  for (int label : d.labels) {
    EXPECT_TRUE(label >= 0 && label < 6) << label;
    if (label >= 0 && label < 6) ++counts[label];
  }
  return counts;
}

double mean_abs_diff(const std::uint8_t* a, const std::uint8_t* b) {
  int sum = 0;
  for (int k = 0; k < 64 * 64 * 3; ++k) sum += std::abs(a[k] - b[k]);
  return sum / (64.0 * 64 * 3);
}

TEST(RealDataTest, TrainH5) {
  SIGNSNET_SKIP_WITHOUT_DATA();
  const Dataset d = load_hdf5(test::data_dir() + "/train_signs.h5");
  EXPECT_EQ(d.count, 1080);
  EXPECT_EQ(d.height, 64);
  EXPECT_EQ(d.width, 64);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.classes, 6);
  EXPECT_EQ(d.pixels.size(), 1080u * 64 * 64 * 3);
  EXPECT_EQ(histogram(d), std::vector<int>(6, 180));
}

TEST(RealDataTest, TestH5MatchesTheTestFolder) {
  SIGNSNET_SKIP_WITHOUT_DATA();
  const Dataset h5 = load_hdf5(test::data_dir() + "/test_signs.h5");
  EXPECT_EQ(h5.count, 120);
  EXPECT_EQ(histogram(h5), std::vector<int>(6, 20));
  const Dataset jpg = load_image_folder(test::data_dir() + "/images/test_signs", 64, 64, 6);
  EXPECT_EQ(jpg.count, 120);
  EXPECT_EQ(histogram(jpg), histogram(h5));
  // Same photos: each JPEG is close to one row of its class (README: about 2.8 of 255 apart).
  double total = 0;
  for (int i = 0; i < jpg.count; ++i) {
    double best = 255;
    for (int j = 0; j < h5.count; ++j) {
      if (h5.labels[j] == jpg.labels[i])
        best = std::min(best, mean_abs_diff(jpg.image(i), h5.image(j)));
    }
    EXPECT_LT(best, 10.0) << jpg.sources[i];
    total += best;
  }
  EXPECT_NEAR(total / jpg.count, 2.8, 0.5);
}

TEST(RealDataTest, TrainFolderLoadsTheNamesWithSpaces) {
  SIGNSNET_SKIP_WITHOUT_DATA();
  const Dataset d = load_image_folder(test::data_dir() + "/images/train_signs", 64, 64, 6);
  EXPECT_EQ(d.count, 864);
  const auto spaced = std::count_if(d.sources.begin(), d.sources.end(), [](const std::string& s) {
    return s.find(' ') != std::string::npos;
  });
  EXPECT_EQ(spaced, 40);
  EXPECT_TRUE(std::is_sorted(d.sources.begin(), d.sources.end()));
  const auto counts = histogram(d);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0), 864);
}

TEST(RealDataTest, LoaderRunsAnEpochOfTheTrainSet) {
  SIGNSNET_SKIP_WITHOUT_DATA();
  const Dataset d = load_hdf5(test::data_dir() + "/train_signs.h5");
  LoaderConfig cfg;
  cfg.layout = ImageLayout::nchw;
  cfg.threads = 2;
  Loader loader(d, cfg);
  loader.start_epoch(0);
  Batch b;
  std::vector<int> counts(6, 0);
  while (loader.next(b)) {
    for (int label : b.labels) ++counts[label];
  }
  EXPECT_EQ(counts, std::vector<int>(6, 180));
  EXPECT_EQ(b.count, 1080 % 32);
}

}  // namespace
}  // namespace signsnet
