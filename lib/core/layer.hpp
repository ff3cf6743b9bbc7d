// What every layer shares: activations with their gradients, and the context it is built in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/params.hpp"
#include "core/runtime.hpp"

namespace signsnet::core {

/// An activation and the gradient of the loss with respect to it (same layout). In an inference
/// network, or where no gradient is needed, `grad` is empty.
struct Act {
  dnnl::memory value;
  dnnl::memory grad;
  dnnl::memory::desc desc() const { return value.get_desc(); }
};

/// What a layer needs while it is built.
struct Build {
  Runtime& rt;
  ParamStore& params;
  bool training;
  int batch;
  std::vector<LayerInfo>* layers = nullptr;  // the summary's rows, appended as layers are built
  /// The lowest arena offset of the trainable slots param() returned since it was last reset
  /// (the network uses it to know where each block's gradients start).
  std::size_t lowest_trainable = SIZE_MAX;

  /// Adds a summary row (parameters are counted later from the parameter store).
  void note(const std::string& name, const std::string& type, const dnnl::memory::desc& out);

  /// The slot of `name`: registered with `md` if new, else the existing one (whose layout then
  /// binds this layer's primitive, so networks for other batch sizes share the weights).
  Slot& param(const TensorInfo& info, const dnnl::memory::desc& md, const dnnl::memory::desc& plain,
              const InitSpec& init);
  /// A fresh activation in `md`, with a gradient buffer when training.
  Act act(const dnnl::memory::desc& md);
};

/// Dims of a memory descriptor as int64 values.
std::vector<std::int64_t> shape_of(const dnnl::memory::desc& md);

/// An f32 memory's buffer, for signsnet's own loops.
inline float* floats(const dnnl::memory& m) {
  return static_cast<float*>(m.get_data_handle());
}

}  // namespace signsnet::core
