// The batch loader on the real SIGNS training set: images/s with and without augmentation, by
// loader threads. Skipped when the data set is not beside the checkout.
#include <filesystem>

#include "bench_common.hpp"
#include "signsnet/data.hpp"

namespace signsnet::bench {
namespace {

const Dataset* training_set() {
  static std::unique_ptr<Dataset> data = [] {
    const std::string path = std::string(SIGNSNET_DATA_DIR) + "/train_signs.h5";
    if (!std::filesystem::exists(path)) return std::unique_ptr<Dataset>();
    return std::make_unique<Dataset>(load_hdf5(path));
  }();
  return data.get();
}

void loader_benchmark(benchmark::State& state, bool augment) {
  const Dataset* data = training_set();
  if (!data) {
    state.SkipWithError("train_signs.h5 not found beside the checkout");
    return;
  }
  LoaderConfig c;
  c.layout = ImageLayout::nchw;
  c.threads = static_cast<int>(state.range(0));
  if (augment) {
    c.augmentation.shift = 4;
    c.augmentation.rotation_degrees = 10;
    c.augmentation.brightness = 0.1f;
    c.augmentation.contrast = 0.1f;
  }
  Loader loader(*data, c);
  Batch batch;
  std::int64_t images = 0;
  int epoch = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (loader.next(batch)) images += batch.count;
  }
  state.SetItemsProcessed(images);
}
BENCHMARK_CAPTURE(loader_benchmark, plain, false)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(loader_benchmark, augmented, true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace signsnet::bench
