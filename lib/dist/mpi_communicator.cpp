// The Communicator over MPI's world communicator (built with SIGNSNET_MPI).
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "signsnet/distributed.hpp"

namespace signsnet {
namespace {

class Stopwatch {
 public:
  explicit Stopwatch(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() {
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

int checked_count(std::size_t count) {
  if (count > static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument("mpi: a collective of " + std::to_string(count) +
                                " elements is over MPI's int count");
  return static_cast<int>(count);
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string("mpi: ") + what + ": " + std::string(text, length));
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) throw std::logic_error("mpi_world: MPI is already initialized");
    // Only the training thread calls MPI (the loader's threads never do).
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    if (!requests_.empty())
      MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allreduce_sum(float* data, std::size_t count) override {
    Stopwatch w(wait_);
    check(MPI_Allreduce(MPI_IN_PLACE, data, checked_count(count), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  void allreduce_sum(double* data, std::size_t count) override {
    Stopwatch w(wait_);
    check(MPI_Allreduce(MPI_IN_PLACE, data, checked_count(count), MPI_DOUBLE, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  void start_allreduce_sum(float* data, std::size_t count) override {
    requests_.emplace_back();
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked_count(count), MPI_FLOAT, MPI_SUM,
                         MPI_COMM_WORLD, &requests_.back()),
          "MPI_Iallreduce");
  }
  void progress() override {
    if (requests_.empty()) return;
    Stopwatch w(wait_);
    int done = 0;
    check(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done,
                      MPI_STATUSES_IGNORE),
          "MPI_Testall");
    if (done) requests_.clear();
  }
  void wait_all() override {
    if (requests_.empty()) return;
    Stopwatch w(wait_);
    check(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    requests_.clear();
  }
  void broadcast(void* data, std::size_t bytes, int root) override {
    Stopwatch w(wait_);
    check(MPI_Bcast(data, checked_count(bytes), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
  void barrier() override {
    Stopwatch w(wait_);
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  }
  double wait_seconds() const override { return wait_; }
  void reset_wait_seconds() override { wait_ = 0; }

  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  int rank_ = 0, size_ = 1;
  std::vector<MPI_Request> requests_;
  double wait_ = 0;
};

}  // namespace

bool mpi_available() {
  return true;
}

std::unique_ptr<Communicator> mpi_world(int* argc, char*** argv) {
  return std::make_unique<MpiCommunicator>(argc, argv);
}

}  // namespace signsnet
