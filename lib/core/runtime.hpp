// The oneDNN engine, stream, buffers and counters one model owns. No singletons: each Model has
// one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dnnl.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace signsnet {
class Communicator;  // signsnet/distributed.hpp
}

namespace signsnet::core {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

/// 64-byte aligned float storage that never reallocates behind the back of memories wrapping it.
class FloatBuffer {
 public:
  FloatBuffer() = default;
  explicit FloatBuffer(std::size_t floats);
  float* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  std::size_t size_ = 0;
};

/// When enabled, times every primitive it sees (waiting for each): for per-layer reports only.
struct Profiler {
  bool enabled = false;
  std::vector<std::pair<std::string, double>> records;  // op name, milliseconds

  /// Runs `work`, and records its time as `name` when enabled.
  template <class F>
  void time(const std::string& name, F&& work) {
    if (!enabled) return work();
    const auto start = std::chrono::steady_clock::now();
    work();
    const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
    records.emplace_back(name, ms.count());
  }
};

/// One primitive with its argument map, built once and executed many times.
struct Op {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  std::string name;
  Profiler* profiler = nullptr;
  /// signsnet's own kernel, run instead of a primitive where set (block_transpose.hpp).
  std::function<void()> custom;
  bool valid() const { return static_cast<bool>(prim) || static_cast<bool>(custom); }
  void run(dnnl::stream& s) const {
    if (profiler->enabled)
      run_timed(s);
    else if (custom)
      custom();
    else
      prim.execute(s, args);
  }
  void run_timed(dnnl::stream& s) const;
};

/// The ranks a model trains with in data-parallel training; `comm` is null when it trains alone.
/// Layers read it when they run, so it can be set after the networks are built.
struct Collectives {
  Communicator* comm = nullptr;
  bool sync_batchnorm = false;  ///< batch statistics over all ranks (BatchNorm)
  /// True when there is more than one rank to talk to.
  bool active() const;
};

/// Engine, stream, a shared user scratchpad and counts of what was created.
class Runtime {
 public:
  Runtime();

  const dnnl::engine& engine() const { return engine_; }
  dnnl::stream& stream() { return stream_; }

  /// A memory that owns its buffer (counted).
  dnnl::memory memory(const dnnl::memory::desc& md);
  /// A memory over a buffer owned elsewhere, e.g. an arena slice (counted).
  dnnl::memory wrap(const dnnl::memory::desc& md, void* handle);
  /// The memory every caller with the same `key` shares (created zeroed by the first; `md` must
  /// be the same for all): for scratch contents that each user rewrites before reading.
  dnnl::memory shared(const std::string& key, const dnnl::memory::desc& md);

  /// Attributes every primitive is created with: user-managed scratchpad.
  dnnl::primitive_attr attr() const;

  /// Creates the primitive for `pd` with its arguments, adds the shared scratchpad and records
  /// the kernel oneDNN chose.
  template <class Primitive, class PrimitiveDesc>
  Op make(const PrimitiveDesc& pd, const std::string& name,
          std::unordered_map<int, dnnl::memory> args) {
    Op op;
    op.prim = Primitive(pd);
    op.name = name;
    op.args = std::move(args);
    op.profiler = &profiler_;
    note(pd, op);
    return op;
  }

  /// A reorder from one memory into another (a planned layout change); with `accumulate` it
  /// adds into `to` instead of overwriting it. Weights into backward-data's blocking run on
  /// signsnet's own kernel (block_transpose.hpp), everything else on oneDNN's.
  Op reorder(const dnnl::memory& from, const dnnl::memory& to, const std::string& name,
             bool accumulate = false);

  /// An operation of signsnet's own (`work`, run where a primitive would be), recorded in
  /// kernels() as "name: impl".
  Op custom(const std::string& name, const std::string& impl, std::function<void()> work);

  /// Grows the shared scratchpad to the largest size any primitive asked for, and points every
  /// primitive's scratchpad memory at it. Called after a network is built.
  void bind_scratchpad();

  Profiler& profiler() { return profiler_; }
  Collectives& collectives() { return collectives_; }
  const Collectives& collectives() const { return collectives_; }
  std::int64_t primitives() const { return primitives_; }
  std::int64_t memories() const { return memories_; }
  /// "name: impl" for every primitive created, in order.
  const std::vector<std::string>& kernels() const { return kernels_; }

 private:
  void note(const dnnl::primitive_desc_base& pd, Op& op);

  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<dnnl::memory> scratch_mems_;
  FloatBuffer scratch_;
  std::size_t scratch_bytes_ = 0;
  std::int64_t primitives_ = 0;
  std::int64_t memories_ = 0;
  std::vector<std::string> kernels_;
  std::unordered_map<std::string, dnnl::memory> shared_;
  Profiler profiler_;
  Collectives collectives_;
};

/// Throws std::logic_error with file and line when an internal invariant fails.
[[noreturn]] void internal_error(const char* file, int line, const std::string& what);
#define SIGNSNET_CHECK(cond, what)                                           \
  do {                                                                       \
    if (!(cond)) ::signsnet::core::internal_error(__FILE__, __LINE__, what); \
  } while (0)

/// An f32 memory descriptor of `d` whose layout the primitive picks (format_tag::any).
inline dnnl::memory::desc any_md(const dnnl::memory::dims& d) {
  return {d, dt::f32, tag::any};
}

/// True for oneDNN's reference implementations (ref, simple): correct but many times slower.
bool is_reference_kernel(const std::string& impl);
/// True for a kernel written for the operation itself: neither a reference one nor a GEMM
/// lowering (im2col + matrix multiply), which oneDNN falls back to where its direct kernels refuse
/// a shape.
bool is_direct_kernel(const std::string& impl);
/// The channel block of an activation layout the 1x1 kernels take (nChw8c: 8, nChw16c: 16),
/// else 0.
int channel_block(const dnnl::memory::desc& md);
/// True where `md` is a blocked weights layout (O, I, ...) whose inner blocks divide the output
/// channel step `co` and the input channel step `ci`, so that blocks of weights starting at
/// multiples of those steps are valid sub-memories.
bool blocks_divide(const dnnl::memory::desc& md, dnnl::memory::dim co, dnnl::memory::dim ci);

}  // namespace signsnet::core
