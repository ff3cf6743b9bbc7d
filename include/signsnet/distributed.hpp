// Data-parallel training: the collective operations a model needs from a group of processes,
// with MPI behind them. No MPI types here: the MPI implementation lives in lib/dist.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace signsnet {

/// A group of processes (ranks) that train one model together. Every rank must call the same
/// collectives, with the same counts, in the same order. Not thread-safe: one thread per rank.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// Sums `data` over all ranks, in place; returns when every rank has the sum.
  virtual void allreduce_sum(float* data, std::size_t count) = 0;
  virtual void allreduce_sum(double* data, std::size_t count) = 0;
  /// Starts summing `data` over all ranks, in place; the buffer must not be read or written until
  /// wait_all() returns.
  virtual void start_allreduce_sum(float* data, std::size_t count) = 0;
  /// Lets started operations progress (MPI moves data only inside its calls); never blocks.
  virtual void progress() = 0;
  /// Waits for every started operation.
  virtual void wait_all() = 0;
  /// Copies `bytes` bytes from rank `root`'s `data` into every other rank's.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
  virtual void barrier() = 0;
  /// Seconds spent inside communication calls (blocking collectives, wait_all() and progress())
  /// since the last reset: the time a training step loses to communication.
  virtual double wait_seconds() const = 0;
  virtual void reset_wait_seconds() = 0;
  /// Prints `message` and ends every rank of the job with `exit_code` (does not return).
  [[noreturn]] virtual void abort(const std::string& message, int exit_code) = 0;
};

/// How a model shares its work with the other ranks.
struct DistributedConfig {
  /// Normalize with the statistics of the global batch (all ranks) instead of each rank's own.
  bool sync_batchnorm = false;
  /// Start each bucket's gradient sum as soon as its part of the backward pass is done (true),
  /// or sum all gradients after the backward pass (false, for measuring the overlap).
  bool overlap = true;
  /// A bucket closes at the first block boundary after it holds this many MiB of gradients.
  double bucket_mib = 4.0;
};

/// True when this build of signsnet has MPI (CMake option SIGNSNET_MPI).
bool mpi_available();
/// True when the process was started by mpirun / mpiexec (Open MPI or MPICH environment).
bool launched_by_mpi();

/// MPI's world communicator. The first call initializes MPI; destroying the returned object
/// finalizes it, so keep it alive until the end of the program and create no second one.
/// Throws std::runtime_error when signsnet was built without MPI.
std::unique_ptr<Communicator> mpi_world(int* argc, char*** argv);

}  // namespace signsnet
