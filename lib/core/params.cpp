#include "core/params.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/rng.hpp"

namespace signsnet::core {
namespace {

// Slices start on 64-byte boundaries so every blocked tensor is aligned for AVX-512.
std::size_t aligned_floats(const dnnl::memory::desc& md) {
  std::size_t floats = md.get_size() / sizeof(float);
  return (floats + 15) / 16 * 16;
}

}  // namespace

Slot& ParamStore::add(const TensorInfo& info, const dnnl::memory::desc& md,
                      const dnnl::memory::desc& plain, const InitSpec& init) {
  SIGNSNET_CHECK(!finalized_, "parameter added after finalize: " + info.name);
  SIGNSNET_CHECK(!by_name_.count(info.name), "duplicate parameter: " + info.name);
  auto slot = std::make_unique<Slot>();
  slot->info = info;
  slot->md = md;
  slot->plain = plain;
  slot->init = init;
  // Memories exist from the start so layers can put them in argument maps; finalize() points
  // them at the arenas.
  slot->value = rt_.wrap(md, DNNL_MEMORY_NONE);
  if (info.trainable) {
    slot->grad = rt_.wrap(md, DNNL_MEMORY_NONE);
    slot->first = rt_.wrap(md, DNNL_MEMORY_NONE);
    slot->second = rt_.wrap(md, DNNL_MEMORY_NONE);
  }
  std::size_t& cursor = info.trainable ? trainable_floats_ : stats_floats_;
  slot->offset = cursor;
  cursor += aligned_floats(md);
  by_name_[info.name] = slot.get();
  slots_.push_back(std::move(slot));
  return *slots_.back();
}

Slot* ParamStore::find(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const Slot* ParamStore::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const Slot& ParamStore::at(const std::string& name) const {
  const Slot* s = find(name);
  if (!s) throw std::out_of_range("model: tensor: no tensor named '" + name + "'");
  return *s;
}

void ParamStore::finalize(std::uint64_t seed) {
  SIGNSNET_CHECK(!finalized_, "finalize called twice");
  values_ = FloatBuffer(trainable_floats_);
  grads_ = FloatBuffer(trainable_floats_);
  first_ = FloatBuffer(trainable_floats_);
  second_ = FloatBuffer(trainable_floats_);
  stats_ = FloatBuffer(stats_floats_);
  // Padding inside blocked layouts must stay zero: the optimizer then keeps it zero too.
  for (auto* b : {&values_, &grads_, &first_, &second_, &stats_})
    if (b->size()) std::memset(b->data(), 0, b->size() * sizeof(float));
  finalized_ = true;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    bind(*slots_[i]);
    initialize(*slots_[i], seed, i);
  }
}

void ParamStore::bind(Slot& s) {
  if (!s.info.trainable) {
    s.value.set_data_handle(stats_.data() + s.offset);
    return;
  }
  s.value.set_data_handle(values_.data() + s.offset);
  s.grad.set_data_handle(grads_.data() + s.offset);
  s.first.set_data_handle(first_.data() + s.offset);
  s.second.set_data_handle(second_.data() + s.offset);
}

void ParamStore::initialize(Slot& s, std::uint64_t seed, std::size_t index) {
  std::vector<float> plain(static_cast<std::size_t>(s.info.size()));
  Rng rng(seed * 0x100000001b3ull + index);
  float limit = 0.05f;
  if (s.init.kind == Init::glorot_uniform)
    limit = std::sqrt(6.0f / static_cast<float>(s.init.fan_in + s.init.fan_out));
  for (float& x : plain) {
    switch (s.init.kind) {
      case Init::zeros:
        x = 0.0f;
        break;
      case Init::ones:
        x = 1.0f;
        break;
      default:
        x = rng.uniform(-limit, limit);
        break;
    }
  }
  write(s, TensorRole::value, plain.data());
}

dnnl::memory ParamStore::role_memory(const Slot& s, TensorRole role) const {
  SIGNSNET_CHECK(finalized_, "parameters are not allocated yet");
  if (role != TensorRole::value && !s.info.trainable)
    throw std::invalid_argument("model: " + s.info.name +
                                ": role: expected value for a statistic, got another role");
  switch (role) {
    case TensorRole::value:
      return s.value;
    case TensorRole::gradient:
      return s.grad;
    case TensorRole::first_moment:
      return s.first;
    case TensorRole::second_moment:
      return s.second;
  }
  return s.value;
}

// Reorders here run outside training steps (checkpoints, export, tests), so creating the
// primitive on the spot is fine.
void ParamStore::read(const Slot& s, TensorRole role, float* out) const {
  dnnl::memory src = role_memory(s, role);
  dnnl::memory dst(s.plain, rt_.engine(), out);
  if (s.plain == s.md) {
    std::memcpy(out, src.get_data_handle(), s.plain.get_size());
    return;
  }
  dnnl::reorder(src, dst).execute(rt_.stream(), src, dst);
  rt_.stream().wait();
}

void ParamStore::write(Slot& s, TensorRole role, const float* in) {
  if (role == TensorRole::value) values_changed();
  dnnl::memory dst = role_memory(s, role);
  if (s.plain == s.md) {
    std::memcpy(dst.get_data_handle(), in, s.plain.get_size());
    return;
  }
  dnnl::memory src(s.plain, rt_.engine(), const_cast<float*>(in));
  dnnl::reorder(src, dst).execute(rt_.stream(), src, dst);
  rt_.stream().wait();
}

}  // namespace signsnet::core
