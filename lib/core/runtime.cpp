#include "core/runtime.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "core/block_transpose.hpp"
#include "signsnet/distributed.hpp"

namespace signsnet::core {

bool Collectives::active() const {
  return comm && comm->size() > 1;
}

FloatBuffer::FloatBuffer(std::size_t floats) : size_(floats) {
  if (floats == 0) return;
  std::size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
}

void FloatBuffer::Free::operator()(float* p) const {
  std::free(p);
}

void Op::run_timed(dnnl::stream& s) const {
  profiler->time(name, [&] {
    if (custom) return custom();
    prim.execute(s, args);
    s.wait();
  });
}

Runtime::Runtime() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

dnnl::memory Runtime::memory(const dnnl::memory::desc& md) {
  ++memories_;
  return dnnl::memory(md, engine_);
}

dnnl::memory Runtime::wrap(const dnnl::memory::desc& md, void* handle) {
  ++memories_;
  return dnnl::memory(md, engine_, handle);
}

dnnl::memory Runtime::shared(const std::string& key, const dnnl::memory::desc& md) {
  auto it = shared_.find(key);
  if (it != shared_.end()) {
    SIGNSNET_CHECK(it->second.get_desc() == md, "shared memory '" + key + "' with another layout");
    return it->second;
  }
  dnnl::memory m = memory(md);
  std::memset(m.get_data_handle(), 0, md.get_size());
  shared_.emplace(key, m);
  return m;
}

dnnl::primitive_attr Runtime::attr() const {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

void Runtime::note(const dnnl::primitive_desc_base& pd, Op& op) {
  ++primitives_;
  kernels_.push_back(op.name + ": " + pd.impl_info_str());
  dnnl::memory::desc smd = pd.scratchpad_desc();
  if (smd.get_size() == 0) return;
  // The handle is set by bind_scratchpad once the network's largest need is known.
  dnnl::memory m(smd, engine_, DNNL_MEMORY_NONE);
  ++memories_;
  scratch_mems_.push_back(m);
  op.args[DNNL_ARG_SCRATCHPAD] = m;
  if (smd.get_size() > scratch_bytes_) scratch_bytes_ = smd.get_size();
}

Op Runtime::reorder(const dnnl::memory& from, const dnnl::memory& to, const std::string& name,
                    bool accumulate) {
  if (!accumulate) {
    if (std::function<void()> f = block_transpose(from, to))
      return custom(name, "signsnet:block_transpose", std::move(f));
  }
  dnnl::primitive_attr a = attr();
  if (accumulate) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    a.set_post_ops(sum);
  }
  dnnl::reorder::primitive_desc pd(engine_, from.get_desc(), engine_, to.get_desc(), a);
  return make<dnnl::reorder>(pd, name, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

Op Runtime::custom(const std::string& name, const std::string& impl, std::function<void()> work) {
  Op op;
  op.name = name;
  op.profiler = &profiler_;
  op.custom = std::move(work);
  kernels_.push_back(name + ": " + impl);
  return op;
}

void Runtime::bind_scratchpad() {
  if (scratch_.size() * sizeof(float) < scratch_bytes_)
    scratch_ = FloatBuffer((scratch_bytes_ + sizeof(float) - 1) / sizeof(float));
  for (auto& m : scratch_mems_) m.set_data_handle(scratch_.data());
}

void internal_error(const char* file, int line, const std::string& what) {
  throw std::logic_error(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

bool is_reference_kernel(const std::string& impl) {
  return impl.rfind("ref", 0) == 0 || impl.rfind("simple", 0) == 0;
}

bool is_direct_kernel(const std::string& impl) {
  return !is_reference_kernel(impl) && impl.find("gemm") == std::string::npos;
}

int channel_block(const dnnl::memory::desc& md) {
  const auto d = md.dims();
  if (d.size() != 4) return 0;
  if (md == dnnl::memory::desc(d, dt::f32, tag::nChw8c)) return 8;
  if (md == dnnl::memory::desc(d, dt::f32, tag::nChw16c)) return 16;
  return 0;
}

bool blocks_divide(const dnnl::memory::desc& md, dnnl::memory::dim co, dnnl::memory::dim ci) {
  const auto& blocking = md.data.format_desc.blocking;
  if (md.data.format_kind != dnnl_blocked) return false;
  for (int i = 0; i < blocking.inner_nblks; ++i) {
    const dnnl::memory::dim step = blocking.inner_idxs[i] == 0 ? co : ci;
    if (blocking.inner_idxs[i] > 1 || step % blocking.inner_blks[i] != 0) return false;
  }
  return true;
}

}  // namespace signsnet::core
