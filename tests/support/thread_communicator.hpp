// A Communicator for tests: N "ranks" as threads of one process, so that data-parallel code runs
// (and is checked under the sanitizers) without MPI. Collectives meet at a barrier; the sum is
// taken in rank order, so results do not depend on thread timing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "signsnet/distributed.hpp"

namespace signsnet::testing {

/// What the ranks of one group share.
class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), slots_(size) {}
  int size() const { return size_; }

  // Every rank passes its buffer; when all have arrived, each gets the elementwise sum.
  template <class T>
  void allreduce(int rank, T* data, std::size_t count) {
    meet(rank, data, count, [&] {
      std::vector<T> sum(count, T(0));
      for (int r = 0; r < size_; ++r) {
        const T* p = static_cast<const T*>(slots_[r]);
        for (std::size_t i = 0; i < count; ++i) sum[i] += p[i];
      }
      for (int r = 0; r < size_; ++r) std::copy(sum.begin(), sum.end(), static_cast<T*>(slots_[r]));
    });
  }

  void broadcast(int rank, void* data, std::size_t bytes, int root) {
    meet(rank, data, bytes, [&] {
      for (int r = 0; r < size_; ++r)
        if (r != root) std::memcpy(slots_[r], slots_[root], bytes);
    });
  }

  /// A rank failed: every rank waiting in a collective (now or later) throws.
  void fail() {
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }

 private:
  // Every rank arrives with its buffer; the last to arrive runs `combine` over all of them (in
  // rank order, so the result does not depend on timing), then every rank leaves.
  template <class Combine>
  void meet(int rank, void* data, std::size_t count, Combine combine) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (failed_) throw std::runtime_error("ThreadGroup: another rank failed");
    const std::uint64_t gen = generation_;
    slots_[rank] = data;
    counts_.push_back(count);
    if (++arrived_ < size_) {
      wait(lock, gen);
      return;
    }
    for (std::size_t c : counts_)
      if (c != count) throw std::logic_error("ThreadGroup: ranks passed different counts");
    combine();
    arrived_ = 0;
    counts_.clear();
    ++generation_;
    changed_.notify_all();
  }

  void wait(std::unique_lock<std::mutex>& lock, std::uint64_t gen) {
    changed_.wait(lock, [&] { return generation_ != gen || failed_; });
    if (generation_ == gen) throw std::runtime_error("ThreadGroup: another rank failed");
  }

  int size_;
  bool failed_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<void*> slots_;
  std::vector<std::size_t> counts_;
  int arrived_ = 0;
  std::uint64_t generation_ = 0;
};

/// One rank of a ThreadGroup. "Non-blocking" sums are queued and done in wait_all(), in order.
class ThreadCommunicator : public Communicator {
 public:
  ThreadCommunicator(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size(); }
  void allreduce_sum(float* data, std::size_t count) override { group_.allreduce(rank_, data, count); }
  void allreduce_sum(double* data, std::size_t count) override {
    group_.allreduce(rank_, data, count);
  }
  void start_allreduce_sum(float* data, std::size_t count) override {
    pending_.emplace_back(data, count);
    ++started_;
  }
  void progress() override {}
  void wait_all() override {
    for (auto& [data, count] : pending_) group_.allreduce(rank_, data, count);
    pending_.clear();
  }
  void broadcast(void* data, std::size_t bytes, int root) override {
    group_.broadcast(rank_, data, bytes, root);
  }
  void barrier() override {
    double x = 0;
    group_.allreduce(rank_, &x, 1);
  }
  double wait_seconds() const override { return 0; }
  void reset_wait_seconds() override {}
  [[noreturn]] void abort(const std::string& message, int) override {
    throw std::runtime_error("ThreadCommunicator::abort: " + message);
  }
  /// Non-blocking sums started so far.
  int started() const { return started_; }

 private:
  ThreadGroup& group_;
  int rank_;
  std::vector<std::pair<float*, std::size_t>> pending_;
  int started_ = 0;
};

/// Runs `body(rank, communicator)` on `size` threads and rethrows the first exception.
inline void run_ranks(int size, const std::function<void(int, Communicator&)>& body) {
  ThreadGroup group(size);
  std::vector<std::exception_ptr> errors(size);
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(group, r);
      try {
        body(r, comm);
      } catch (...) {
        errors[r] = std::current_exception();
        group.fail();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace signsnet::testing
