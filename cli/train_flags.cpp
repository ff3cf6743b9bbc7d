#include "train_flags.hpp"

#include "common.hpp"
#include "errors.hpp"

namespace signsnet::cli {
namespace {

void declare_data(CLI::App& cmd, TrainFlags& f) {
  cmd.add_option("--data", f.data,
                 "Folder holding train_signs.h5 and test_signs.h5 (default: $SIGNSNET_DATA, "
                 "./datasets or ../shared/datasets/signs)");
  cmd.add_option("--train", f.train, "Training set: an .h5 file or an image folder");
  cmd.add_option("--test", f.test, "Test set, evaluated at the end: an .h5 file or image folder");
  cmd.add_option("--out", f.out,
                 "Folder for checkpoints and logs (default: runs/<timestamp>, or the "
                 "checkpoint's folder with --resume)");
  cmd.add_option("--resume", f.resume, "Continue from this checkpoint (last.h5)");
  cmd.add_flag("--json", f.json, "Print one JSON object per epoch and a final summary");
  add_max_input_flag(cmd, f.max_input_mb);
}

void declare_recipe(CLI::App& cmd, TrainFlags& f) {
  cmd.add_option("--preset", f.preset, "Recipe: default (signsnet) or notebook (Keras notebook)")
      ->check(CLI::IsMember({"default", "notebook"}));
  cmd.add_option("--epochs", f.epochs, "Epochs in total (default 20)")
      ->check(CLI::Range(1, 100000));
  cmd.add_option("--batch", f.batch,
                 "Batch size (default 32); under mpirun the global batch, split over the ranks")
      ->check(CLI::Range(1, 4096));
  cmd.add_option("--optimizer", f.optimizer, "adam, adamw or sgd")
      ->check(CLI::IsMember({"adam", "adamw", "sgd"}));
  cmd.add_option("--lr", f.lr, "Peak learning rate")->check(CLI::PositiveNumber);
  cmd.add_option("--weight-decay", f.weight_decay, "Weight decay")->check(CLI::NonNegativeNumber);
  cmd.add_option("--momentum", f.momentum, "SGD momentum")->check(CLI::Range(0.0, 0.999999));
  cmd.add_option("--sam-rho", f.sam_rho,
                 "Sharpness-aware minimization radius (0: off; two passes per step)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--clip-norm", f.clip_norm,
                 "Scale the gradients down to this global L2 norm when above it (0: off)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--schedule", f.schedule, "constant, step, cosine or onecycle")
      ->check(CLI::IsMember({"constant", "step", "cosine", "onecycle"}));
  cmd.add_option("--warmup", f.warmup, "Warm-up epochs")->check(CLI::NonNegativeNumber);
  cmd.add_option("--final-lr-fraction", f.final_fraction, "cosine/onecycle: last lr / peak")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--step-epochs", f.step_epochs, "step: epochs between decays")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--gamma", f.gamma, "step: decay factor")->check(CLI::Range(1e-6, 1.0));
  cmd.add_option("--label-smoothing", f.label_smoothing, "Label smoothing in [0, 1)")
      ->check(CLI::Range(0.0, 0.999));
  cmd.add_flag("--augment,!--no-augment", f.augment,
               "Random shift, rotation, brightness and contrast (the default recipe's amounts)");
  cmd.add_flag("--flip,!--no-flip", f.flip, "Random horizontal flips (on in the default recipe)");
  cmd.add_option("--shift", f.shift, "Augmentation: random shift up to this many pixels")
      ->check(CLI::Range(0, 64));
  cmd.add_option("--rotation", f.rotation, "Augmentation: random rotation up to this many degrees")
      ->check(CLI::Range(0.0, 180.0));
  cmd.add_option("--brightness", f.brightness,
                 "Augmentation: add up to this much brightness (pixel range 0..1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--contrast", f.contrast, "Augmentation: scale contrast by up to 1 +- this")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--zoom", f.zoom,
                 "Augmentation: magnify about the centre by a factor up to 1 +- this")
      ->check(CLI::Range(0.0, 0.5));
  cmd.add_option("--fill", f.fill,
                 "Augmentation: what shifts, rotations and zooms bring in from outside the image: "
                 "zero, edge (the nearest border pixel) or reflect")
      ->check(CLI::IsMember({"zero", "edge", "reflect"}));
  cmd.add_flag("--bn-recalibration,!--no-bn-recalibration", f.recalibrate,
               "Recompute BN statistics before each evaluation");
  cmd.add_flag("--flip-tta,!--no-flip-tta", f.flip_tta,
               "Evaluate with each image's probabilities averaged with its mirror's (on in the "
               "default recipe; twice the inference work)");
  cmd.add_flag("--zero-init-residual,!--no-zero-init-residual", f.zero_init_residual,
               "Start each block's last BN scale at 0 (each block starts as its shortcut)");
  cmd.add_option("--val-split", f.val_split,
                 "Fraction of the training set held out for validation, stratified (default 0; "
                 "0.1 is what the default recipe was chosen with)")
      ->check(CLI::Range(0.0, 0.9));
  cmd.add_option("--seed", f.seed, "Seed of initialization, split, shuffling and augmentation");
}

void declare_machine(CLI::App& cmd, TrainFlags& f) {
  cmd.add_option("--threads", f.threads, "Compute threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  cmd.add_option("--loader-threads", f.loader_threads, "Threads assembling batches (default 1)")
      ->check(CLI::Range(1, 256));
  cmd.add_option("--config", f.config, "Architecture: resnet50, resnet101, resnet152, tiny")
      ->check(CLI::IsMember({"resnet50", "resnet101", "resnet152", "tiny"}))
      ->group("Development");
  cmd.add_option("--input-size", f.input_size, "Input height and width (default 64)")
      ->check(CLI::Range(8, 1024))
      ->group("Development");
}

void declare_distributed(CLI::App& cmd, TrainFlags& f) {
  const char* group = "Data-parallel (mpirun -np N signsnet-cli train ...)";
  cmd.add_flag("--sync-bn,!--no-sync-bn", f.sync_bn,
               "Batch norm with the statistics of the global batch (all ranks) instead of each "
               "rank's own (default off)")
      ->group(group);
  cmd.add_flag("--overlap,!--no-overlap", f.overlap,
               "Sum gradients during the backward pass, bucket by bucket (default on)")
      ->group(group);
  cmd.add_option("--bucket-mb", f.bucket_mib,
                 "Gradient bucket size in MiB (a bucket closes at a block boundary; default 4)")
      ->check(CLI::Range(0.0, 4096.0))
      ->group(group);
}

void apply_optimizer(const TrainFlags& f, TrainConfig& c) {
  if (f.given("--optimizer")) c.optimizer.kind = parse_optimizer_kind(f.optimizer);
  if (f.given("--lr")) c.optimizer.learning_rate = f.lr;
  if (f.given("--weight-decay")) c.optimizer.weight_decay = f.weight_decay;
  if (f.given("--momentum")) c.optimizer.momentum = f.momentum;
  if (f.given("--sam-rho")) c.optimizer.sam_rho = f.sam_rho;
  if (f.given("--clip-norm")) c.optimizer.clip_norm = f.clip_norm;
  if (f.given("--schedule")) c.schedule.kind = parse_schedule_kind(f.schedule);
  if (f.given("--warmup")) c.schedule.warmup_epochs = f.warmup;
  if (f.given("--final-lr-fraction")) c.schedule.final_fraction = f.final_fraction;
  if (f.given("--step-epochs")) c.schedule.step_epochs = f.step_epochs;
  if (f.given("--gamma")) c.schedule.gamma = f.gamma;
}

void apply_regularization(const TrainFlags& f, TrainConfig& c) {
  if (f.given("--label-smoothing")) c.label_smoothing = f.label_smoothing;
  if (f.given("--augment") || f.given("--no-augment")) {
    const bool flip = c.augmentation.horizontal_flip;
    c.augmentation = f.augment ? TrainConfig::preset("default").augmentation : Augmentation{};
    c.augmentation.horizontal_flip = flip && f.augment;
  }
  if (f.given("--flip") || f.given("--no-flip")) c.augmentation.horizontal_flip = f.flip;
  if (f.given("--shift")) c.augmentation.shift = f.shift;
  if (f.given("--rotation")) c.augmentation.rotation_degrees = f.rotation;
  if (f.given("--brightness")) c.augmentation.brightness = f.brightness;
  if (f.given("--contrast")) c.augmentation.contrast = f.contrast;
  if (f.given("--zoom")) c.augmentation.zoom = f.zoom;
  if (f.given("--fill")) c.augmentation.fill = parse_fill(f.fill);
  if (f.given("--bn-recalibration") || f.given("--no-bn-recalibration"))
    c.bn_recalibration = f.recalibrate;
  if (f.given("--flip-tta") || f.given("--no-flip-tta")) c.flip_tta = f.flip_tta;
  if (f.given("--val-split")) c.validation_fraction = f.val_split;
  if (f.given("--zero-init-residual") || f.given("--no-zero-init-residual"))
    c.zero_init_residual = f.zero_init_residual;
}

}  // namespace

void declare_train_flags(CLI::App& cmd, TrainFlags& f) {
  f.app = &cmd;
  declare_data(cmd, f);
  declare_recipe(cmd, f);
  declare_machine(cmd, f);
  declare_distributed(cmd, f);
}

TrainConfig make_train_config(const TrainFlags& f, TrainConfig c) {
  if (f.given("--epochs")) c.epochs = f.epochs;
  if (f.given("--batch")) c.batch = f.batch;
  if (f.given("--seed")) c.seed = f.seed;
  if (f.given("--threads")) c.threads = f.threads;
  if (f.given("--loader-threads")) c.loader_threads = f.loader_threads;
  apply_optimizer(f, c);
  apply_regularization(f, c);
  as_error<UsageError>([&] { c.validate(); });
  return c;
}

DistributedConfig make_distributed_config(const TrainFlags& f) {
  DistributedConfig d;
  d.sync_batchnorm = f.sync_bn;
  d.overlap = f.overlap;
  d.bucket_mib = f.bucket_mib;
  return d;
}

}  // namespace signsnet::cli
