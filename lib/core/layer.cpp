#include "core/layer.hpp"

#include <algorithm>
#include <stdexcept>

namespace signsnet::core {

Slot& Build::param(const TensorInfo& info, const dnnl::memory::desc& md,
                   const dnnl::memory::desc& plain, const InitSpec& init) {
  Slot* s = params.find(info.name);
  if (s) {
    SIGNSNET_CHECK(s->info.shape == info.shape, "shape changed for " + info.name);
  } else {
    s = &params.add(info, md, plain, init);
  }
  if (s->info.trainable) lowest_trainable = std::min(lowest_trainable, s->offset);
  return *s;
}

Act Build::act(const dnnl::memory::desc& md) {
  Act a;
  a.value = rt.memory(md);
  if (training) a.grad = rt.memory(md);
  return a;
}

void Build::note(const std::string& name, const std::string& type, const dnnl::memory::desc& out) {
  if (!layers) return;
  auto shape = shape_of(out);
  layers->push_back({name, type, std::vector<std::int64_t>(shape.begin() + 1, shape.end()), 0});
}

std::vector<std::int64_t> shape_of(const dnnl::memory::desc& md) {
  auto d = md.dims();
  return std::vector<std::int64_t>(d.begin(), d.end());
}

}  // namespace signsnet::core
