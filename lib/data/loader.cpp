// Loader: epoch order, and a background thread that assembles batch k + 1 while the caller
// trains on batch k. Two batch buffers circulate (the caller's and the spare), so memory stays
// flat after the first two batches.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "data/batch_assembler.hpp"
#include "data/error.hpp"
#include "data/rng.hpp"
#include "signsnet/data.hpp"

namespace signsnet {
namespace {

using data_detail::fail_argument;

void check_augmentation(const Augmentation& a) {
  const char* where = "LoaderConfig";
  if (a.shift < 0) fail_argument(where, "augmentation.shift", ">= 0", std::to_string(a.shift));
  if (!(a.rotation_degrees >= 0 && a.rotation_degrees <= 180)) {
    fail_argument(where, "augmentation.rotation_degrees", "0..180",
                  std::to_string(a.rotation_degrees));
  }
  if (!(a.brightness >= 0 && a.brightness <= 1)) {
    fail_argument(where, "augmentation.brightness", "0..1", std::to_string(a.brightness));
  }
  if (!(a.contrast >= 0 && a.contrast <= 1)) {
    fail_argument(where, "augmentation.contrast", "0..1", std::to_string(a.contrast));
  }
  // Up to 1 + z and down to 1 - z: 0.5 keeps the smallest magnification at half size.
  if (!(a.zoom >= 0 && a.zoom <= 0.5)) {
    fail_argument(where, "augmentation.zoom", "0..0.5", std::to_string(a.zoom));
  }
}

void check_config(const Dataset& data, const LoaderConfig& c) {
  const char* where = "LoaderConfig";
  if (c.batch_size < 1) fail_argument(where, "batch_size", ">= 1", std::to_string(c.batch_size));
  if (c.threads < 1) fail_argument(where, "threads", ">= 1", std::to_string(c.threads));
  if (c.shards < 1) fail_argument(where, "shards", ">= 1", std::to_string(c.shards));
  if (c.shard < 0 || c.shard >= c.shards)
    fail_argument(where, "shard", "0.." + std::to_string(c.shards - 1), std::to_string(c.shard));
  check_augmentation(c.augmentation);
  if (!c.normalization.per_channel) return;
  if (data.channels > 3) {
    fail_argument(where, "normalization", "<= 3 channels", std::to_string(data.channels));
  }
  for (int ch = 0; ch < data.channels; ++ch) {
    if (!(c.normalization.std[ch] > 0)) {
      fail_argument(where, "normalization.std[" + std::to_string(ch) + "]", "> 0",
                    std::to_string(c.normalization.std[ch]));
    }
  }
}

void check_data(const Dataset& d) {
  const std::string where = d.origin.empty() ? "Loader" : d.origin;
  const auto count = static_cast<std::size_t>(std::max(d.count, 0));
  if (d.pixels.size() != count * d.image_bytes()) {
    fail_argument(where, "pixels", std::to_string(count * d.image_bytes()) + " bytes",
                  std::to_string(d.pixels.size()));
  }
  if (d.labels.size() != count) {
    fail_argument(where, "labels", std::to_string(count) + " labels",
                  std::to_string(d.labels.size()));
  }
}

}  // namespace

struct Loader::Impl {
  Impl(const Dataset& d, const LoaderConfig& c) : data(d), config(c), assembler(d, c) {}

  void fill(int batch, Batch& out) {
    const int first = batch * config.batch_size;
    const int count = std::min(config.batch_size, data.count - first);
    // This shard's part of the global batch (all of it with one shard).
    const ShardRange part = shard_range(count, config.shard, config.shards);
    assembler.fill(order, first + part.first, part.size(), epoch, out);
    out.index = batch;
  }

  // The background thread: waits for a job, fills `spare`, reports.
  void work() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return stop || job >= 0; });
      if (stop) return;
      const int batch = job;
      lock.unlock();
      std::exception_ptr failure;
      try {
        fill(batch, spare);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      job = -1;
      ready = batch;
      error = failure;
      changed.notify_all();
    }
  }

  void launch(int batch) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!worker.joinable()) worker = std::thread([this] { work(); });
    ready = -1;
    job = batch;
    changed.notify_all();
  }

  // Waits until the background thread holds no job; returns the batch it finished, if any.
  int wait_idle(std::unique_lock<std::mutex>& lock) {
    changed.wait(lock, [&] { return job < 0; });
    return ready;
  }

  const Dataset& data;
  LoaderConfig config;
  data_detail::BatchAssembler assembler;
  std::vector<int> order;
  int epoch = -1;
  int cursor = 0;
  int batches = 0;

  std::thread worker;
  std::mutex mutex;
  std::condition_variable changed;
  Batch spare;
  int job = -1;    // batch queued or being filled; -1 when idle
  int ready = -1;  // batch waiting in `spare`
  bool stop = false;
  std::exception_ptr error;
};

ShardRange shard_range(int count, int shard, int shards) {
  const auto at = [&](int s) {
    return static_cast<int>(static_cast<long>(count) * s / std::max(shards, 1));
  };
  return {at(shard), at(shard + 1)};
}

Loader::Loader(const Dataset& data, const LoaderConfig& config) {
  check_config(data, config);
  check_data(data);
  impl_ = std::make_unique<Impl>(data, config);
  impl_->batches = batches_per_epoch();
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
    impl_->changed.notify_all();
  }
  if (impl_->worker.joinable()) impl_->worker.join();
}

int Loader::batches_per_epoch() const {
  const int n = impl_->data.count, size = impl_->config.batch_size;
  return impl_->config.drop_last ? n / size : (n + size - 1) / size;
}

void Loader::start_epoch(int epoch) {
  Impl& s = *impl_;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.wait_idle(lock);  // a batch of the previous epoch may still be in flight
    s.ready = -1;
    s.error = nullptr;
  }
  s.epoch = epoch;
  s.cursor = 0;
  s.order.resize(s.data.count);
  std::iota(s.order.begin(), s.order.end(), 0);
  if (s.config.shuffle) {
    // Even stream ids are for shuffles, odd ones for augmentation (batch_assembler.cpp).
    const auto stream = static_cast<std::uint64_t>(epoch) << 1;
    data_detail::shuffle_with(s.order, data_detail::stream_key(s.config.seed, stream));
  }
  if (s.config.prefetch && s.batches > 0) s.launch(0);
}

bool Loader::next(Batch& out) {
  Impl& s = *impl_;
  if (s.epoch < 0) start_epoch(0);
  if (s.cursor >= s.batches) return false;
  if (!s.config.prefetch) {
    s.fill(s.cursor++, out);
    return true;
  }
  bool prepared = false;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    prepared = s.wait_idle(lock) == s.cursor;
    s.ready = -1;
    if (s.error) {
      // The next call assembles this batch again, on this thread.
      std::exception_ptr failure = s.error;
      s.error = nullptr;
      std::rethrow_exception(failure);
    }
    if (prepared) std::swap(out, s.spare);
  }
  if (!prepared) s.fill(s.cursor, out);
  if (++s.cursor < s.batches) s.launch(s.cursor);
  return true;
}

}  // namespace signsnet
