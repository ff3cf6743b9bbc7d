// TrainConfig <-> JSON (stored as a string attribute in checkpoints and written to logs).
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "signsnet/trainer.hpp"

namespace signsnet {
namespace {

using nlohmann::json;

// The shortest decimal that reads back as the same float, so 1e-3f shows as 0.001 in the JSON
// rather than 0.0010000000474974513, and still round-trips bit for bit.
double pretty(float f) {
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(f));
    const double d = std::strtod(text, nullptr);
    if (static_cast<float>(d) == f) return d;
  }
  return f;
}

json optimizer_json(const OptimizerConfig& o) {
  return {{"kind", to_string(o.kind)},      {"lr", pretty(o.learning_rate)},
          {"beta1", pretty(o.beta1)},       {"beta2", pretty(o.beta2)},
          {"epsilon", pretty(o.epsilon)},   {"weight_decay", pretty(o.weight_decay)},
          {"momentum", pretty(o.momentum)}, {"nesterov", o.nesterov},
          {"sam_rho", pretty(o.sam_rho)},
          {"clip_norm", pretty(o.clip_norm)}};
}

json schedule_json(const ScheduleConfig& s) {
  return {{"kind", to_string(s.kind)},
          {"warmup_epochs", pretty(s.warmup_epochs)},
          {"step_epochs", pretty(s.step_epochs)},
          {"gamma", pretty(s.gamma)},
          {"final_fraction", pretty(s.final_fraction)}};
}

json augmentation_json(const Augmentation& a) {
  return {{"shift", a.shift},
          {"horizontal_flip", a.horizontal_flip},
          {"rotation_degrees", pretty(a.rotation_degrees)},
          {"brightness", pretty(a.brightness)},
          {"contrast", pretty(a.contrast)},
          {"zoom", pretty(a.zoom)},
          {"fill", to_string(a.fill)}};
}

// Reads j[key] into `out` when present; a value of the wrong type names the field.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  template <typename T>
  void get(const json& j, const std::string& path, const char* key, T& out) const {
    if (!j.contains(key)) return;
    const json& v = j.at(key);
    const bool ok = std::is_same_v<T, bool>          ? v.is_boolean()
                    : std::is_same_v<T, std::string> ? v.is_string()
                                                     : v.is_number();
    if (!ok) {
      throw std::invalid_argument(where_ + ": train_config." + path + key + ": expected " +
                                  expected<T>() + ", got " + v.type_name());
    }
    out = v.get<T>();
  }

  // A named choice (an optimizer, a schedule, a fill): `parse` turns the string into the value
  // and throws "<what>: expected ..., got '...'" for an unknown one, which is reported under the
  // field's full name.
  template <typename E>
  void choice(const json& j, const std::string& path, const char* key, E& out,
              E (*parse)(const std::string&)) const {
    std::string name = to_string(out);
    get(j, path, key, name);
    try {
      out = parse(name);
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      const std::size_t colon = what.find(": ");
      throw std::invalid_argument(where_ + ": train_config." + path + key + ": " +
                                  (colon == std::string::npos ? what : what.substr(colon + 2)));
    }
  }

  const json& object(const json& j, const char* key) const {
    static const json empty = json::object();
    if (!j.contains(key)) return empty;
    if (!j.at(key).is_object()) {
      throw std::invalid_argument(where_ + ": train_config." + key + ": expected an object, got " +
                                  j.at(key).type_name());
    }
    return j.at(key);
  }


 private:
  template <typename T>
  static const char* expected() {
    if constexpr (std::is_same_v<T, bool>)
      return "a boolean";
    else if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else
      return "a number";
  }
  std::string where_;
};

void read_optimizer(const Reader& r, const json& j, OptimizerConfig& o) {
  r.choice(j, "optimizer.", "kind", o.kind, parse_optimizer_kind);
  r.get(j, "optimizer.", "lr", o.learning_rate);
  r.get(j, "optimizer.", "beta1", o.beta1);
  r.get(j, "optimizer.", "beta2", o.beta2);
  r.get(j, "optimizer.", "epsilon", o.epsilon);
  r.get(j, "optimizer.", "weight_decay", o.weight_decay);
  r.get(j, "optimizer.", "momentum", o.momentum);
  r.get(j, "optimizer.", "nesterov", o.nesterov);
  r.get(j, "optimizer.", "sam_rho", o.sam_rho);
  r.get(j, "optimizer.", "clip_norm", o.clip_norm);
}

void read_schedule(const Reader& r, const json& j, ScheduleConfig& s) {
  r.choice(j, "schedule.", "kind", s.kind, parse_schedule_kind);
  r.get(j, "schedule.", "warmup_epochs", s.warmup_epochs);
  r.get(j, "schedule.", "step_epochs", s.step_epochs);
  r.get(j, "schedule.", "gamma", s.gamma);
  r.get(j, "schedule.", "final_fraction", s.final_fraction);
}

void read_augmentation(const Reader& r, const json& j, Augmentation& a) {
  r.get(j, "augmentation.", "shift", a.shift);
  r.get(j, "augmentation.", "horizontal_flip", a.horizontal_flip);
  r.get(j, "augmentation.", "rotation_degrees", a.rotation_degrees);
  r.get(j, "augmentation.", "brightness", a.brightness);
  r.get(j, "augmentation.", "contrast", a.contrast);
  r.get(j, "augmentation.", "zoom", a.zoom);
  r.choice(j, "augmentation.", "fill", a.fill, parse_fill);
}

void read_top_level(const Reader& r, const json& j, TrainConfig& c) {
  r.get(j, "", "recipe", c.recipe);
  r.get(j, "", "epochs", c.epochs);
  r.get(j, "", "batch", c.batch);
  r.get(j, "", "label_smoothing", c.label_smoothing);
  r.get(j, "", "bn_momentum", c.bn_momentum);
  r.get(j, "", "bn_recalibration", c.bn_recalibration);
  r.get(j, "", "flip_tta", c.flip_tta);
  r.get(j, "", "zero_init_residual", c.zero_init_residual);
  r.get(j, "", "validation_fraction", c.validation_fraction);
  r.get(j, "", "seed", c.seed);
  r.get(j, "", "threads", c.threads);
  r.get(j, "", "loader_threads", c.loader_threads);
  r.get(j, "", "checkpoint_dir", c.checkpoint_dir);
  r.get(j, "", "keep_last", c.keep_last);
  r.get(j, "", "keep_best", c.keep_best);
}

}  // namespace

std::string TrainConfig::to_json() const {
  json j = {{"recipe", recipe},
            {"epochs", epochs},
            {"batch", batch},
            {"optimizer", optimizer_json(optimizer)},
            {"schedule", schedule_json(schedule)},
            {"label_smoothing", pretty(label_smoothing)},
            {"augmentation", augmentation_json(augmentation)},
            {"bn_momentum", pretty(bn_momentum)},
            {"bn_recalibration", bn_recalibration},
            {"flip_tta", flip_tta},
            {"zero_init_residual", zero_init_residual},
            {"validation_fraction", validation_fraction},
            {"seed", seed},
            {"threads", threads},
            {"loader_threads", loader_threads},
            {"checkpoint_dir", checkpoint_dir},
            {"keep_last", keep_last},
            {"keep_best", keep_best}};
  return j.dump();
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::invalid_argument(where + ": train_config: expected a JSON object, got '" +
                                text.substr(0, 40) + "'");
  const Reader r(where);
  TrainConfig c;
  read_top_level(r, j, c);
  read_optimizer(r, r.object(j, "optimizer"), c.optimizer);
  read_schedule(r, r.object(j, "schedule"), c.schedule);
  read_augmentation(r, r.object(j, "augmentation"), c.augmentation);
  return c;
}

}  // namespace signsnet
