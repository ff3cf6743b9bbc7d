// One BatchNorm+ReLU forward and backward, normal (local statistics) and synchronized. The
// synchronized one talks to a MirrorCommunicator: a second rank that holds the same images, so
// the statistics are the local ones and the time is the compute that synchronization adds
// (the sums, the second forward primitive, the correction) without any network time.
#include <memory>
#include <stdexcept>

#include "bench_common.hpp"
#include "core/batchnorm.hpp"
#include "signsnet/distributed.hpp"

namespace signsnet::bench {
namespace {

/// Two ranks with the same data: a sum over the ranks is twice the local value.
class MirrorCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  void allreduce_sum(float* data, std::size_t count) override { twice(data, count); }
  void allreduce_sum(double* data, std::size_t count) override { twice(data, count); }
  void start_allreduce_sum(float* data, std::size_t count) override { twice(data, count); }
  void progress() override {}
  void wait_all() override {}
  void broadcast(void*, std::size_t, int) override {}
  void barrier() override {}
  double wait_seconds() const override { return 0; }
  void reset_wait_seconds() override {}
  [[noreturn]] void abort(const std::string& message, int) override {
    throw std::runtime_error(message);
  }

 private:
  template <class T>
  static void twice(T* data, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) data[i] += data[i];
  }
};

struct StandaloneBn {
  core::Runtime rt;
  core::ParamStore params{rt};
  MirrorCommunicator mirror;
  std::unique_ptr<core::BatchNorm> bn;

  StandaloneBn(int batch, int channels, int size, bool relu, bool sync) {
    // nChw8c: the layout oneDNN's convolutions give on AVX2.
    const dnnl::memory::desc md({batch, channels, size, size}, core::dt::f32, core::tag::nChw8c);
    core::Build b{rt, params, true, batch, nullptr};
    core::Act in{rt.memory(md), rt.memory(md)};
    bn = std::make_unique<core::BatchNorm>(b, "bn", in, relu, 1e-3f);
    params.finalize(0);
    rt.bind_scratchpad();
    for (const dnnl::memory& m : {in.value, bn->out().grad}) {
      float* p = static_cast<float*>(m.get_data_handle());
      for (std::size_t i = 0; i < md.get_size() / sizeof(float); ++i) p[i] = (i % 97) * 0.02f - 1;
    }
    rt.collectives().comm = sync ? &mirror : nullptr;
    rt.collectives().sync_batchnorm = sync;
  }

  void step() {
    bn->forward(rt.stream());
    bn->backward(rt.stream());
    rt.stream().wait();
  }
};

struct BnShape {
  std::string name;
  int channels, size;
  bool relu;
};

void batchnorm_benchmark(benchmark::State& state, BnShape shape, bool sync) {
  const int batch = static_cast<int>(state.range(0));
  StandaloneBn b(batch, shape.channels, shape.size, shape.relu, sync);
  b.step();
  for (auto _ : state) b.step();
  state.counters["images/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

// With the default 64 x 64 input, res2 runs at 15 x 15: branch2b's batch norm has 64 channels and
// a ReLU, branch2c's 256 channels and none. The last one is res2's at a 224 x 224 input.
const bool registered = [] {
  const BnShape shapes[] = {{"res2b_branch2b", 64, 15, true},
                            {"res2b_branch2c", 256, 15, false},
                            {"res2b_branch2c_224", 256, 56, false}};
  for (const BnShape& s : shapes)
    for (bool sync : {false, true})
      benchmark::RegisterBenchmark(("BM_BatchNorm/" + s.name + (sync ? "/sync" : "/local")).c_str(),
                                   batchnorm_benchmark, s, sync)
          ->Arg(16)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace signsnet::bench
