// Trainer setup, checkpoints and evaluation; the epoch loop is in trainer_loop.cpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "train/trainer_impl.hpp"

namespace signsnet {
namespace {

ModelConfig with_run_settings(ModelConfig m, const TrainConfig& c) {
  m.seed = c.seed;
  m.bn_momentum = c.bn_momentum;
  return m;
}

[[noreturn]] void bad_data(const Dataset& d, const std::string& field, std::int64_t expected,
                           std::int64_t got) {
  const std::string where = d.origin.empty() ? "training data" : d.origin;
  throw std::invalid_argument(where + ": " + field + ": expected " + std::to_string(expected) +
                              " (the model's), got " + std::to_string(got));
}

void check_data(const Dataset& d, const ModelConfig& m) {
  if (d.height != m.input_height) bad_data(d, "height", m.input_height, d.height);
  if (d.width != m.input_width) bad_data(d, "width", m.input_width, d.width);
  if (d.channels != m.input_channels) bad_data(d, "channels", m.input_channels, d.channels);
  if (d.count < 1) bad_data(d, "images", 1, d.count);
  for (int i = 0; i < d.count; ++i) {
    if (d.labels[i] < 0 || d.labels[i] >= m.classes)
      bad_data(d, "labels[" + std::to_string(i) + "] (classes)", m.classes, d.labels[i]);
  }
}

Split split_data(const Dataset& data, const TrainConfig& c, const ModelConfig& m) {
  check_data(data, m);
  if (c.validation_fraction <= 0) return {data, Dataset{}};
  Dataset labelled = data;
  labelled.classes = std::max(labelled.classes, m.classes);
  Split s = stratified_split(labelled, c.validation_fraction, c.seed);
  if (s.train.count < 1) bad_data(data, "training images after the split", 1, s.train.count);
  return s;
}

}  // namespace

TrainingDiverged::TrainingDiverged(int epoch, std::int64_t step, float loss)
    : std::runtime_error(std::string("training diverged: loss is ") +
                         (std::isnan(loss) ? "NaN"
                          : loss > 0       ? "+inf"
                                           : "-inf") +
                         " at epoch " + std::to_string(epoch) + ", step " + std::to_string(step) +
                         "; the last good checkpoint is kept"),
      epoch_(epoch),
      step_(step) {}

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

namespace {

// The most images one rank gets of a global batch: the ranks split each batch into contiguous
// shares (LoaderConfig::shard).
int largest_share(int batch, int ranks) {
  int largest = 0;
  for (int r = 0; r < ranks; ++r) largest = std::max(largest, shard_range(batch, r, ranks).size());
  return largest;
}

void check_shares(const Dataset& train, int batch, int ranks) {
  if (ranks <= 1) return;
  const int last = train.count % batch == 0 ? batch : train.count % batch;
  const int smallest = std::min(batch, last);
  if (smallest < ranks)
    throw std::invalid_argument(
        "data-parallel training: batch: every batch must give each of the " +
        std::to_string(ranks) + " ranks an image, but " + std::to_string(train.count) +
        " training images in batches of " + std::to_string(batch) + " leave a batch of " +
        std::to_string(smallest) + "; choose another --batch");
}

}  // namespace

Trainer::Impl::Impl(const ModelConfig& m, const TrainConfig& c, Split split, Communicator* comm,
                    const DistributedConfig& dist)
    : config(c),
      train(std::move(split.train)),
      validation(std::move(split.validation)),
      comm(comm && comm->size() > 1 ? comm : nullptr),
      rank(this->comm ? comm->rank() : 0),
      ranks(this->comm ? comm->size() : 1),
      model(with_run_settings(m, c), largest_share(c.batch, ranks), c.optimizer) {
  check_shares(train, c.batch, ranks);
  if (this->comm) model.set_communicator(this->comm, dist);
  model.set_label_smoothing(c.label_smoothing);
  if (c.zero_init_residual) {
    for (const TensorInfo& t : model.tensors()) {
      const std::string suffix = ".bn3.gamma";
      if (t.name.size() < suffix.size() ||
          t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      const std::vector<float> zeros(static_cast<std::size_t>(t.size()), 0.0f);
      model.write(t.name, zeros.data());
    }
  }
  loader = std::make_unique<Loader>(train, loader_config(true));
}

LoaderConfig Trainer::Impl::loader_config(bool shuffle) const {
  LoaderConfig lc;
  lc.batch_size = config.batch;
  lc.shuffle = shuffle;
  lc.seed = config.seed;
  lc.layout = model.input_layout();
  if (shuffle) lc.augmentation = config.augmentation;
  lc.threads = config.loader_threads;
  lc.shard = rank;
  lc.shards = ranks;
  return lc;
}

bool Trainer::Impl::stop_agreed() {
  if (!comm) return stop_requested();
  double any = stop_requested() ? 1 : 0;
  comm->allreduce_sum(&any, 1);
  return any > 0;
}

std::int64_t Trainer::Impl::total_steps() const {
  return static_cast<std::int64_t>(config.epochs) * loader->batches_per_epoch();
}

CheckpointState Trainer::Impl::state() const {
  CheckpointState s;
  s.epoch = epoch;
  s.step = model.step();
  s.seed = config.seed;
  s.train_config_json = config.to_json();
  s.best_val_accuracy = best_val_accuracy;
  s.epoch_loss_sum = loss_sum;
  s.epoch_correct = correct;
  s.epoch_count = count;
  return s;
}

std::string Trainer::Impl::save_named(const std::string& name) {
  if (config.checkpoint_dir.empty()) return {};
  const std::string path = (std::filesystem::path(config.checkpoint_dir) / name).string();
  if (rank == 0) {
    std::filesystem::create_directories(config.checkpoint_dir);
    save_checkpoint(path, model, state());
  }
  last_checkpoint = path;
  return path;
}

void Trainer::Impl::recalibrate() {
  if (recalibrated_at == model.step()) return;
  Loader in_order(train, loader_config(false));
  Batch b;
  model.begin_bn_recalibration();
  while (in_order.next(b)) model.accumulate_bn_statistics(b.images.data(), b.count);
  model.end_bn_recalibration();
  recalibrated_at = model.step();
}

Evaluation Trainer::Impl::evaluate(const Dataset& data) {
  if (config.bn_recalibration) recalibrate();
  return evaluate_dataset(model, data, config.batch, config.loader_threads, config.flip_tta);
}

Trainer::Trainer(const ModelConfig& model, const TrainConfig& config, const Dataset& train)
    : Trainer(model, config, train, nullptr) {}

Trainer::Trainer(const ModelConfig& model, const TrainConfig& config, const Dataset& train,
                 Communicator* comm, const DistributedConfig& distributed) {
  config.validate();
  if (config.threads > 0) Model::set_threads(config.threads);
  impl_ =
      std::make_unique<Impl>(model, config, split_data(train, config, model), comm, distributed);
}

Trainer::~Trainer() = default;

void Trainer::on_step(StepCallback callback) {
  impl_->step_callback = std::move(callback);
}
void Trainer::on_epoch(EpochCallback callback) {
  impl_->epoch_callback = std::move(callback);
}
void Trainer::set_stop_flag(const std::atomic<bool>* flag) {
  impl_->stop = flag;
}

void Trainer::resume(const std::string& checkpoint) {
  Impl& s = *impl_;
  const CheckpointState state = load_checkpoint(checkpoint, s.model);
  const std::int64_t bpe = s.loader->batches_per_epoch();
  if (state.step < state.epoch * bpe || state.step > (state.epoch + 1) * bpe) {
    std::ostringstream expected;
    expected << state.epoch * bpe << ".." << (state.epoch + 1) * bpe << " after epoch "
             << state.epoch << " at " << bpe << " steps per epoch (same data, batch and split)";
    throw CheckpointError(checkpoint + ": step: expected " + expected.str() + ", got " +
                          std::to_string(state.step));
  }
  s.epoch = state.epoch;
  s.best_val_accuracy = state.best_val_accuracy;
  s.loss_sum = state.epoch_loss_sum;
  s.correct = state.epoch_correct;
  s.count = state.epoch_count;
  s.recalibrated_at = -1;
}

Evaluation Trainer::evaluate(const Dataset& data) {
  return impl_->evaluate(data);
}

void Trainer::save(const std::string& path) const {
  if (impl_->rank == 0) save_checkpoint(path, impl_->model, impl_->state());
}

Communicator* Trainer::communicator() const {
  return impl_->comm;
}

Model& Trainer::model() {
  return impl_->model;
}
const TrainConfig& Trainer::config() const {
  return impl_->config;
}
const Dataset& Trainer::training_set() const {
  return impl_->train;
}
const Dataset& Trainer::validation_set() const {
  return impl_->validation;
}
int Trainer::epochs_done() const {
  return impl_->epoch;
}
int Trainer::batches_per_epoch() const {
  return impl_->loader->batches_per_epoch();
}

}  // namespace signsnet
