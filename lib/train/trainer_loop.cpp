// The epoch loop. Everything random depends on (seed, epoch) and the learning rate on the global
// step, so a run resumed from a checkpoint takes exactly the steps an uninterrupted one takes.
#include <cmath>

#include "train/trainer_impl.hpp"

namespace signsnet {
StepReport Trainer::Impl::step_report(int batch, int batches, float lr, double seconds) const {
  const Impl& s = *this;
  StepReport r;
  r.epoch = s.epoch + 1;
  r.epochs = s.config.epochs;
  r.batch = batch;
  r.batches = batches;
  r.step = s.model.step();
  r.loss = s.count ? static_cast<float>(s.loss_sum / s.count) : 0.0f;
  r.accuracy = s.count ? static_cast<float>(s.correct) / s.count : 0.0f;
  r.lr = lr;
  r.seconds = seconds;
  return r;
}

bool Trainer::Impl::train_epoch(double& train_seconds) {
  const int batches = loader->batches_per_epoch();
  const std::int64_t first_step = static_cast<std::int64_t>(epoch) * batches;
  int done = static_cast<int>(model.step() - first_step);  // > 0 when resumed mid-epoch
  loader->start_epoch(epoch);
  Batch b;
  for (int i = 0; i < done; ++i) loader->next(b);  // same order: skip what was trained
  const double start = now_seconds();
  while (done < batches && !stop_agreed() && loader->next(b)) {
    const float lr = scheduled_learning_rate(config.schedule, config.optimizer.learning_rate,
                                             model.step(), batches, total_steps());
    model.set_learning_rate(lr);
    const StepResult r = model.train_step(b.images.data(), b.labels.data(), b.count);
    if (!std::isfinite(r.loss)) throw TrainingDiverged(epoch + 1, model.step(), r.loss);
    loss_sum += static_cast<double>(r.loss) * r.count;
    correct += r.correct;
    count += r.count;
    ++done;
    train_seconds = now_seconds() - start;
    if (step_callback) step_callback(step_report(done, batches, lr, train_seconds));
  }
  return done == batches;
}

EpochReport Trainer::Impl::finish_epoch(double train_seconds, double started,
                                        TrainOutcome& outcome) {
  EpochReport r;
  r.epoch = epoch + 1;
  r.epochs = config.epochs;
  r.batches = loader->batches_per_epoch();
  r.step = model.step();
  r.loss = count ? static_cast<float>(loss_sum / count) : 0.0f;
  r.accuracy = count ? static_cast<float>(correct) / count : 0.0f;
  r.lr = model.learning_rate();
  r.images_per_second = train_seconds > 0 ? count / train_seconds : 0.0;
  ++epoch;
  loss_sum = 0;
  correct = count = 0;
  const bool last = epoch == config.epochs;
  // Per-rank batch norm leaves each rank with its own moving statistics: validation and the
  // checkpoint use their mean (synchronized batch norm keeps them equal already).
  if (comm) model.average_statistics();
  if (config.bn_recalibration && (validation.count > 0 || last)) recalibrate();
  if (validation.count > 0) {
    const Evaluation v = evaluate(validation);
    r.val_loss = v.loss;
    r.val_accuracy = v.accuracy;
    r.best = v.accuracy > best_val_accuracy;
    best_val_accuracy = std::max(best_val_accuracy, v.accuracy);
  }
  if (r.best && config.keep_best) outcome.checkpoint = save_named("best.h5");
  if (config.keep_last) outcome.checkpoint = save_named("last.h5");
  r.seconds = now_seconds() - started;
  return r;
}

TrainOutcome Trainer::run(int until_epoch) {
  Impl& s = *impl_;
  const int until = until_epoch < 0 ? s.config.epochs : std::min(until_epoch, s.config.epochs);
  TrainOutcome outcome;
  while (s.epoch < until) {
    const double started = now_seconds();
    double train_seconds = 0;
    if (!s.train_epoch(train_seconds)) {
      outcome.stopped = true;
      if (s.comm) s.model.average_statistics();
      outcome.checkpoint = s.save_named("last.h5");
      break;
    }
    EpochReport r = s.finish_epoch(train_seconds, started, outcome);
    if (s.epoch_callback) s.epoch_callback(r);
    outcome.history.push_back(r);
  }
  outcome.epochs_done = s.epoch;
  outcome.steps = s.model.step();
  outcome.best_val_accuracy = s.best_val_accuracy;
  if (outcome.checkpoint.empty()) outcome.checkpoint = s.last_checkpoint;
  return outcome;
}

}  // namespace signsnet
