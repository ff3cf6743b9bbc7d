// Learning-rate schedules as pure functions of the global step (exact resume depends on it).
#include <algorithm>
#include <cmath>

#include "signsnet/trainer.hpp"

namespace signsnet {
namespace {

constexpr double kPi = 3.14159265358979323846;
// onecycle: start at peak / 25 (as PyTorch's OneCycleLR) and warm up over 30% of the run when no
// warm-up is given.
constexpr double kOneCycleDiv = 25.0;
constexpr double kOneCycleDefaultWarmup = 0.3;

// Cosine from `from` to `to` as t goes 0 -> 1.
double cosine(double from, double to, double t) {
  t = std::clamp(t, 0.0, 1.0);
  return to + (from - to) * 0.5 * (1.0 + std::cos(kPi * t));
}

}  // namespace

float scheduled_learning_rate(const ScheduleConfig& s, float base_lr, std::int64_t step,
                              std::int64_t steps_per_epoch, std::int64_t total_steps) {
  const double base = base_lr;
  const double spe = static_cast<double>(std::max<std::int64_t>(steps_per_epoch, 1));
  const double total = static_cast<double>(std::max<std::int64_t>(total_steps, 1));
  double warmup = std::floor(s.warmup_epochs * spe);
  if (s.kind == ScheduleConfig::Kind::onecycle && warmup <= 0)
    warmup = std::floor(kOneCycleDefaultWarmup * total);
  const double k = static_cast<double>(step);
  const double final_lr = base * s.final_fraction;
  if (k < warmup) {
    if (s.kind == ScheduleConfig::Kind::onecycle)
      return static_cast<float>(cosine(base, base / kOneCycleDiv, 1.0 - k / warmup));
    return static_cast<float>(base * (k + 1.0) / warmup);
  }
  switch (s.kind) {
    case ScheduleConfig::Kind::constant:
      return base_lr;
    case ScheduleConfig::Kind::step: {
      const double epoch = std::floor(k / spe);
      return static_cast<float>(base * std::pow(s.gamma, std::floor(epoch / s.step_epochs)));
    }
    case ScheduleConfig::Kind::cosine:
    case ScheduleConfig::Kind::onecycle: {
      const double span = std::max(total - warmup - 1.0, 1.0);
      return static_cast<float>(cosine(base, final_lr, (k - warmup) / span));
    }
  }
  return base_lr;
}

}  // namespace signsnet
