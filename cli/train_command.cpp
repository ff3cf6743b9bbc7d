// signsnet-cli train: data, recipe, the Trainer with progress and logs, then the test set.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "errors.hpp"
#include "progress.hpp"
#include "run_log.hpp"
#include "signsnet/checkpoint.hpp"
#include "train_flags.hpp"

namespace signsnet::cli {
namespace {

// Set by SIGINT (and SIGUSR1, which mpirun forwards to every rank where it ends the job on
// SIGINT); the trainer polls it after every step. The first Ctrl-C asks for a clean stop,
// a second one (default handler restored) ends the process at once.
std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);
}

struct Sources {
  std::string train, test;
};

Sources find_sources(const TrainFlags& f) {
  if (!f.train.empty()) return {f.train, f.test};
  if (!f.test.empty() && f.data.empty())
    throw UsageError("--test: expected --train too (or --data), got only --test");
  const std::string dir = find_data_dir(f.data);
  const std::string test = dir + "/test_signs.h5";
  return {dir + "/train_signs.h5", f.test.empty() && std::filesystem::exists(test) ? test : f.test};
}

std::string timestamp_dir() {
  char text[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(text, sizeof text, "runs/%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

struct Run {
  ModelConfig model;
  TrainConfig config;
};

// A fresh run: the preset plus flags; a resumed one: the checkpoint's config plus flags.
Run plan_run(const TrainFlags& f, const CheckpointState* resumed) {
  Run r;
  if (resumed) {
    if (f.given("--preset"))
      throw UsageError(
          "--preset: expected no preset with --resume (the checkpoint holds the "
          "recipe), got '" +
          f.preset + "'");
    r.config = as_error<CheckpointError>(
        [&] { return TrainConfig::from_json(resumed->train_config_json, f.resume); });
    r.model = resumed->model;
  } else {
    r.config = TrainConfig::preset(f.preset);
  }
  if (!resumed || f.given("--config") || f.given("--input-size"))
    r.model = named_model(f.config, f.input_size, r.model.classes);
  r.config = make_train_config(f, r.config);
  std::string out = f.out;
  if (out.empty())
    out = resumed ? std::filesystem::path(f.resume).parent_path().string() : timestamp_dir();
  r.config.checkpoint_dir = out.empty() ? "." : out;
  return r;
}

// Under mpirun without --threads: OpenMP's default is the cores this rank may run on. mpirun
// binds each of a few ranks to its own core, and then that is right; unbound ranks on one machine
// (--bind-to none) would each start a thread per core, so they share the cores instead.
void share_cores_between_ranks() {
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const int ranks_here = local ? std::max(1, std::atoi(local)) : 1;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (ranks_here > 1 && Model::threads() >= cores)
    Model::set_threads(std::max(1, cores / ranks_here));
}

void print_start(const Trainer& t, const ModelConfig& m, const TrainConfig& c, Model& model) {
  std::cout << "Training a ResNet of " << with_commas(model.parameter_counts().total)
            << " parameters at " << m.input_height << "x" << m.input_width << " on "
            << t.training_set().count << " images (" << t.validation_set().count
            << " validation); recipe " << c.recipe << ", " << c.epochs << " epochs, batch "
            << c.batch;
  if (const Communicator* comm = t.communicator())
    std::cout << " over " << comm->size() << " ranks (per rank: " << model.batch_size()
              << " images, " << Model::threads() << (Model::threads() == 1 ? " thread)" : " threads)");
  std::cout << "; checkpoints in " << c.checkpoint_dir << "\n";
}

// <dir>/config.json, replaced whole (temp file and rename) or not at all.
void write_config_file(const std::string& dir, const TrainConfig& c) {
  write_file_atomically(dir + "/config.json", nlohmann::json::parse(c.to_json()).dump(2) + "\n",
                        "a writable run folder");
}

// Every rank evaluates (BN recalibration, if due, is collective); rank 0 prints.
void report_test(Trainer& t, const Dataset& test, bool json, const TrainOutcome& out, bool quiet) {
  nlohmann::json j = {{"epochs_done", out.epochs_done},
                      {"steps", out.steps},
                      {"checkpoint", out.checkpoint},
                      {"stopped", out.stopped}};
  if (test.count > 0) {
    const Evaluation e = t.evaluate(test);
    j["test_loss"] = e.loss;
    j["test_accuracy"] = e.accuracy;
    if (!json && !quiet) {
      std::printf("Test loss: %.4f - test accuracy: %.4f (%d/%d)\n", e.loss, e.accuracy,
                  static_cast<int>(std::lround(e.accuracy * e.count)), e.count);
    }
  }
  if (json && !quiet) std::cout << j.dump() << std::endl;
}

// Under mpirun, rank 0 alone writes the run folder and prints; the other ranks train quietly.
int train_and_report(Trainer& trainer, const Run& run, const Dataset& test, bool json) {
  const std::string& dir = run.config.checkpoint_dir;
  const bool quiet = trainer.communicator() && trainer.communicator()->rank() != 0;
  std::unique_ptr<RunLog> log;
  Progress progress(stdout, !json && !quiet && ::isatty(STDOUT_FILENO));
  if (!quiet) {
    std::filesystem::create_directories(dir);
    write_config_file(dir, run.config);
    log = std::make_unique<RunLog>(dir);
    if (!json) print_start(trainer, run.model, run.config, trainer.model());
    trainer.on_step([&](const StepReport& r) { progress.step(r); });
    trainer.on_epoch([&](const EpochReport& r) {
      log->write(r);
      if (json)
        std::cout << epoch_json(r) << std::endl;
      else
        progress.epoch(r);
    });
  }
  g_stop.store(false);
  trainer.set_stop_flag(&g_stop);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGUSR1, on_interrupt);
  const TrainOutcome out = trainer.run();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGUSR1, SIG_DFL);
  progress.finish_line();
  if (out.stopped) {
    if (!quiet)
      std::cerr << "signsnet-cli: interrupted: saved " << out.checkpoint
                << "; continue with --resume " << out.checkpoint << std::endl;
    return kInterrupted;
  }
  report_test(trainer, test, json, out, quiet);
  return kOk;
}

int run_train(const TrainFlags& f) {
  const InputLimits limits = input_limits(f.max_input_mb);
  std::unique_ptr<CheckpointState> resumed;
  if (!f.resume.empty())
    resumed = std::make_unique<CheckpointState>(as_error<CheckpointError>(
        [&] { return read_checkpoint_state(f.resume, limits.checkpoint); }));
  Run run = plan_run(f, resumed.get());
  apply_threads(run.config.threads);
  if (world() && !f.given("--threads")) share_cores_between_ranks();
  const Sources src = find_sources(f);
  const Dataset train = load_data(src.train, f.train.empty() ? "--data" : "--train", run.model,
                                  resumed ? run.model.classes : 0, limits.data);
  const Dataset test = src.test.empty()
                           ? Dataset{}
                           : load_data(src.test, "--test", run.model, train.classes, limits.data);
  if (!resumed) run.model.classes = std::max(train.classes, 2);
  auto trainer = as_error<DataError>([&] {
    return std::make_unique<Trainer>(run.model, run.config, train, world(),
                                     make_distributed_config(f));
  });
  if (resumed) trainer->resume(f.resume);
  return train_and_report(*trainer, run, test, f.json);
}

}  // namespace

std::function<int()> add_train_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("train", "Train a ResNet on the SIGNS data (or other data)");
  auto flags = std::make_shared<TrainFlags>();
  declare_train_flags(*cmd, *flags);
  return [cmd, flags] { return cmd->parsed() ? run_train(*flags) : -1; };
}

}  // namespace signsnet::cli
