// Every parameter, gradient, optimizer moment and BN statistic lives in one arena of its kind;
// a layer's dnnl::memory wraps a slice, in whatever (blocked) layout the layer's primitive chose.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/runtime.hpp"
#include "signsnet/model.hpp"

namespace signsnet::core {

/// How a tensor is filled when the model is built.
enum class Init { zeros, ones, glorot_uniform, uniform_005 };

struct InitSpec {
  Init kind = Init::zeros;
  std::int64_t fan_in = 0;
  std::int64_t fan_out = 0;
};

/// One named tensor. `md` is the layout the network uses; `plain` is OIHW / [out][in] / [C].
struct Slot {
  TensorInfo info;
  InitSpec init;
  dnnl::memory::desc md;
  dnnl::memory::desc plain;
  std::size_t offset = 0;  // floats into its arena
  dnnl::memory value;      // pointed at its arena by finalize()
  dnnl::memory grad;       // trainable only
  dnnl::memory first;      // trainable only: Adam m or SGD momentum
  dnnl::memory second;     // trainable only: Adam v
};

/// Owns the arenas. Layers register slots while the first network is built; finalize() then
/// allocates each arena once and binds the memories to it.
class ParamStore {
 public:
  explicit ParamStore(Runtime& rt) : rt_(rt) {}

  /// Registers a tensor (before finalize) and returns it; memories are bound later.
  Slot& add(const TensorInfo& info, const dnnl::memory::desc& md, const dnnl::memory::desc& plain,
            const InitSpec& init);
  /// The slot of that name, or nullptr.
  Slot* find(const std::string& name);
  const Slot* find(const std::string& name) const;
  /// The slot of that name; throws std::out_of_range naming it otherwise.
  const Slot& at(const std::string& name) const;

  void finalize(std::uint64_t seed);
  bool finalized() const { return finalized_; }

  const std::vector<std::unique_ptr<Slot>>& slots() const { return slots_; }
  float* values() const { return values_.data(); }
  float* grads() const { return grads_.data(); }
  float* first() const { return first_.data(); }
  float* second() const { return second_.data(); }
  std::size_t trainable_floats() const { return trainable_floats_; }
  /// The BN statistics' arena (moving means and variances).
  float* stats() const { return stats_.data(); }
  std::size_t stats_floats() const { return stats_floats_; }

  /// Counts changes of the values (weights and statistics): a layer that derives buffers from
  /// them (positions_conv.hpp) rebuilds those only when this moved. write() with the value role
  /// counts itself; whoever else changes values in place (the optimizer) calls values_changed().
  std::uint64_t values_version() const { return values_version_; }
  void values_changed() { ++values_version_; }

  /// Copies between the plain layout and the slot's layout (reorders only where they differ).
  void read(const Slot& s, TensorRole role, float* out) const;
  void write(Slot& s, TensorRole role, const float* in);

 private:
  void bind(Slot& s);
  void initialize(Slot& s, std::uint64_t seed, std::size_t index);
  dnnl::memory role_memory(const Slot& s, TensorRole role) const;

  Runtime& rt_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::map<std::string, Slot*> by_name_;
  FloatBuffer values_, grads_, first_, second_, stats_;
  std::size_t trainable_floats_ = 0;
  std::size_t stats_floats_ = 0;
  bool finalized_ = false;
  std::uint64_t values_version_ = 1;
};

}  // namespace signsnet::core
