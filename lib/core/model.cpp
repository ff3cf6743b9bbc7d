#include "signsnet/model.hpp"

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>

#include "core/network.hpp"
#include "core/optimizer.hpp"

namespace signsnet {

using core::Network;

struct Model::Impl {
  Impl(const ModelConfig& c, int batch, const OptimizerConfig& o)
      : config(c), batch_size(batch), params(rt), optimizer(o) {}

  ModelConfig config;
  int batch_size;
  core::Runtime rt;
  core::ParamStore params;
  core::Optimizer optimizer;
  float label_smoothing = 0.0f;
  std::map<int, std::unique_ptr<Network>> training, inference;
  std::vector<std::vector<float>> recal_sums;
  double recal_total = 0.0;
  Communicator* comm = nullptr;  // set for data-parallel training with more than one rank
  DistributedConfig dist;
  std::vector<float> sam_saved;  // the weights during a sharpness-aware step's second pass

  Network& net(int count, bool train) {
    if (count < 1 || count > (train ? batch_size : 1 << 20))
      throw std::invalid_argument("model: count: expected 1.." + std::to_string(batch_size) +
                                  " images, got " + std::to_string(count));
    auto& nets = train ? training : inference;
    auto it = nets.find(count);
    if (it != nets.end()) return *it->second;
    // Every network reads images in the layout the first one (training at batch_size) chose.
    std::optional<ImageLayout> layout;
    if (!training.empty()) layout = training.at(batch_size)->input_layout();
    auto n = std::make_unique<Network>(rt, params, config, count, train, layout);
    rt.bind_scratchpad();
    return *nets.emplace(count, std::move(n)).first->second;
  }

  // The optimizer step: the weights change in place, so whatever is derived from them (the big
  // weights of convolutions over positions, folded inference weights) is rebuilt before its next
  // use.
  void update() {
    optimizer.update(arena());
    params.values_changed();
  }

  // Runs `work` with every primitive timed on its own; their records, in the order they ran.
  template <class F>
  std::vector<std::pair<std::string, double>> profiled(F&& work) {
    core::Profiler& p = rt.profiler();
    p.records.clear();
    p.enabled = true;
    try {
      work();
    } catch (...) {
      p.enabled = false;
      throw;
    }
    p.enabled = false;
    return std::move(p.records);
  }

  core::ArenaView arena() const {
    return {params.values(), params.grads(), params.first(), params.second(),
            params.trainable_floats()};
  }

  StepResult forward_backward(const float* images, const std::int32_t* labels, int count) {
    Network& n = net(count, true);
    // Data-parallel: each rank's logits' gradient is divided by the global batch size, so the
    // sum of the ranks' gradients is the gradient of the global batch's mean loss.
    double global_count = count;
    if (comm) comm->allreduce_sum(&global_count, 1);
    n.set_input(images);
    n.forward();
    StepResult r = n.loss(labels, label_smoothing, static_cast<int>(global_count));
    if (!comm) {
      n.backward();
      return r;
    }
    unsent = params.trainable_floats();
    n.backward(dist.overlap ? [this](std::size_t from) { gradients_ready(from); }
                            : Network::GradientsReady{});
    gradients_ready(0);  // whatever is left (all of it without overlap)
    comm->wait_all();
    double totals[2] = {static_cast<double>(r.loss) * r.count, static_cast<double>(r.correct)};
    comm->allreduce_sum(totals, 2);
    r.count = static_cast<int>(global_count);
    r.correct = static_cast<int>(totals[1]);
    r.loss = static_cast<float>(totals[0] / global_count);
    return r;
  }

  // Starts summing the gradients at arena offsets [from, unsent) once they make a bucket (or at
  // the end), and lets the sums already started progress.
  std::size_t unsent = 0;  // gradients at offsets below this are not being summed yet
  void gradients_ready(std::size_t from) {
    const double mib = (unsent - from) * sizeof(float) / 1048576.0;
    if (unsent > from && (from == 0 || mib >= dist.bucket_mib)) {
      comm->start_allreduce_sum(params.grads() + from, unsent - from);
      unsent = from;
    }
    comm->progress();
  }
};

namespace {

// Denormals make some kernels many times slower and carry no useful precision here.
void flush_denormals() {
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | 0x8040);
}

}  // namespace

Model::Model(const ModelConfig& config, int batch_size, const OptimizerConfig& optimizer) {
  config.validate();
  if (batch_size < 1)
    throw std::invalid_argument("model: batch_size: expected at least 1, got " +
                                std::to_string(batch_size));
  flush_denormals();
  impl_ = std::make_unique<Impl>(config, batch_size, optimizer);
  impl_->net(batch_size, true);
  impl_->params.finalize(config.seed);
  // A sharpness-aware step keeps the weights aside during its second pass: the buffer is made
  // here, not in the first step.
  if (optimizer.sam_rho > 0.0f) impl_->sam_saved.resize(impl_->params.trainable_floats());
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

const ModelConfig& Model::config() const {
  return impl_->config;
}
const OptimizerConfig& Model::optimizer() const {
  return impl_->optimizer.config();
}
int Model::batch_size() const {
  return impl_->batch_size;
}

ImageLayout Model::input_layout() const {
  return impl_->training.at(impl_->batch_size)->input_layout();
}

std::size_t Model::image_floats() const {
  const ModelConfig& c = impl_->config;
  return static_cast<std::size_t>(c.input_channels) * c.input_height * c.input_width;
}

StepResult Model::compute_gradients(const float* images, const std::int32_t* labels, int count) {
  return impl_->forward_backward(images, labels, count);
}

StepResult Model::train_step(const float* images, const std::int32_t* labels, int count) {
  StepResult r = impl_->forward_backward(images, labels, count);
  const float momentum = impl_->config.bn_momentum;
  // The moving statistics take the batch's statistics under the weights themselves, before a
  // sharpness-aware pass replaces them with those under the perturbed weights.
  impl_->training.at(count)->for_each_bn(
      [momentum](const core::BatchNorm& bn) { bn.update_moving(momentum); });
  if (const float rho = impl_->optimizer.config().sam_rho; rho > 0.0f) {
    core::Optimizer::ascend(impl_->arena(), rho, impl_->sam_saved);
    impl_->params.values_changed();
    try {
      impl_->forward_backward(images, labels, count);
    } catch (...) {
      core::Optimizer::restore(impl_->arena(), impl_->sam_saved);
      impl_->params.values_changed();
      throw;
    }
    core::Optimizer::restore(impl_->arena(), impl_->sam_saved);
  }
  impl_->update();
  return r;
}

StepResult Model::evaluate(const float* images, const std::int32_t* labels, int count) {
  StepResult total;
  double loss = 0.0;
  for (int start = 0; start < count; start += impl_->batch_size) {
    const int n = std::min(impl_->batch_size, count - start);
    Network& net = impl_->net(n, false);
    net.set_input(images + start * image_floats());
    net.forward();
    StepResult r = net.loss(labels + start, 0.0f);
    loss += static_cast<double>(r.loss) * n;
    total.correct += r.correct;
    total.count += n;
  }
  total.loss = total.count ? static_cast<float>(loss / total.count) : 0.0f;
  return total;
}

void Model::predict(const float* images, int count, float* probabilities) {
  const int classes = impl_->config.classes;
  for (int start = 0; start < count; start += impl_->batch_size) {
    const int n = std::min(impl_->batch_size, count - start);
    Network& net = impl_->net(n, false);
    net.set_input(images + start * image_floats());
    net.forward();
    std::copy(net.probabilities(), net.probabilities() + n * classes,
              probabilities + static_cast<std::size_t>(start) * classes);
  }
}

std::vector<std::pair<std::string, double>> Model::profile_step(const float* images,
                                                                const std::int32_t* labels,
                                                                int count) {
  auto records = impl_->profiled([&] { impl_->forward_backward(images, labels, count); });
  const auto start = std::chrono::steady_clock::now();
  impl_->update();
  const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
  records.emplace_back("optimizer", ms.count());
  return records;
}

std::vector<std::pair<std::string, double>> Model::profile_predict(const float* images, int count) {
  if (count < 1 || count > impl_->batch_size)
    throw std::invalid_argument("model: profile_predict: count: expected 1.." +
                                std::to_string(impl_->batch_size) + " images, got " +
                                std::to_string(count));
  Network& net = impl_->net(count, false);
  return impl_->profiled([&] {
    net.set_input(images);
    net.forward();
  });
}

void Model::begin_bn_recalibration() {
  impl_->recal_sums.clear();
  impl_->recal_total = 0.0;
  impl_->training.at(impl_->batch_size)->for_each_bn([this](const core::BatchNorm& bn) {
    impl_->recal_sums.emplace_back(2 * bn.channels(), 0.0f);
  });
}

void Model::accumulate_bn_statistics(const float* images, int count) {
  if (impl_->recal_sums.empty())
    throw std::logic_error("model: accumulate_bn_statistics called before begin_bn_recalibration");
  for (int start = 0; start < count; start += impl_->batch_size) {
    const int n = std::min(impl_->batch_size, count - start);
    Network& net = impl_->net(n, true);
    net.set_input(images + start * image_floats());
    net.forward();
    std::size_t i = 0;
    net.for_each_bn([&](const core::BatchNorm& bn) {
      bn.accumulate(static_cast<float>(n), impl_->recal_sums[i++].data());
    });
    impl_->recal_total += n;
  }
}

void Model::end_bn_recalibration() {
  if (impl_->recal_total <= 0)
    throw std::logic_error("model: end_bn_recalibration: no batches were accumulated");
  if (impl_->comm) {  // every rank accumulated its share of the data
    for (auto& sums : impl_->recal_sums) impl_->comm->allreduce_sum(sums.data(), sums.size());
    impl_->comm->allreduce_sum(&impl_->recal_total, 1);
  }
  std::size_t i = 0;
  const float total = static_cast<float>(impl_->recal_total);
  impl_->training.at(impl_->batch_size)->for_each_bn([&](const core::BatchNorm& bn) {
    bn.finish_recalibration(impl_->recal_sums[i++].data(), total);
  });
  impl_->recal_sums.clear();
  impl_->params.values_changed();
}

void Model::set_communicator(Communicator* comm, const DistributedConfig& config) {
  if (!(config.bucket_mib >= 0))
    throw std::invalid_argument("distributed: bucket_mib: expected >= 0, got " +
                                std::to_string(config.bucket_mib));
  impl_->comm = comm && comm->size() > 1 ? comm : nullptr;
  impl_->dist = config;
  impl_->rt.collectives().comm = impl_->comm;
  impl_->rt.collectives().sync_batchnorm = config.sync_batchnorm;
}

void Model::average_statistics() {
  Communicator* comm = impl_->comm;
  if (!comm) return;
  float* stats = impl_->params.stats();
  const std::size_t n = impl_->params.stats_floats();
  comm->allreduce_sum(stats, n);
  const float inv = 1.0f / comm->size();
  for (std::size_t i = 0; i < n; ++i) stats[i] *= inv;
  impl_->params.values_changed();
}

void Model::set_learning_rate(float lr) {
  impl_->optimizer.set_learning_rate(lr);
}
float Model::learning_rate() const {
  return impl_->optimizer.config().learning_rate;
}

void Model::set_label_smoothing(float epsilon) {
  if (!(epsilon >= 0.0f && epsilon < 1.0f))
    throw std::invalid_argument("model: label_smoothing: expected [0, 1), got " +
                                std::to_string(epsilon));
  impl_->label_smoothing = epsilon;
}

std::int64_t Model::step() const {
  return impl_->optimizer.step();
}
void Model::set_step(std::int64_t step) {
  impl_->optimizer.set_step(step);
}

std::vector<TensorInfo> Model::tensors() const {
  std::vector<TensorInfo> out;
  for (const auto& s : impl_->params.slots()) out.push_back(s->info);
  return out;
}

void Model::read(const std::string& name, float* out, TensorRole role) const {
  impl_->params.read(impl_->params.at(name), role, out);
}

void Model::write(const std::string& name, const float* in, TensorRole role) {
  impl_->params.write(const_cast<core::Slot&>(impl_->params.at(name)), role, in);
}

ResourceCounts Model::resources() const {
  ResourceCounts r;
  r.primitives = impl_->rt.primitives();
  r.memories = impl_->rt.memories();
  r.reorders_per_step = impl_->training.at(impl_->batch_size)->reorders_per_step();
  return r;
}

std::vector<LayerInfo> Model::layer_rows() const {
  return impl_->training.at(impl_->batch_size)->layers();
}

std::vector<std::string> Model::kernels() const {
  return impl_->rt.kernels();
}

void Model::set_threads(int threads) {
  if (threads < 1)
    throw std::invalid_argument("threads: expected at least 1, got " + std::to_string(threads));
  omp_set_num_threads(threads);
  flush_denormals();
}

int Model::threads() {
  return omp_get_max_threads();
}

}  // namespace signsnet
