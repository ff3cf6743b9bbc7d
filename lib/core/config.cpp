#include "signsnet/config.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>

#include "signsnet/model.hpp"

namespace signsnet {
namespace {

void require(bool ok, const std::string& field, const std::string& expected, double got) {
  if (ok) return;
  std::ostringstream msg;
  msg << "model config: " << field << ": expected " << expected << ", got " << got;
  throw std::invalid_argument(msg.str());
}

}  // namespace

ModelConfig ModelConfig::resnet50() {
  return ModelConfig{};
}

ModelConfig ModelConfig::resnet101() {
  ModelConfig c;
  c.stages[2].blocks = 23;
  return c;
}

ModelConfig ModelConfig::resnet152() {
  ModelConfig c;
  c.stages[1].blocks = 8;
  c.stages[2].blocks = 36;
  return c;
}

ModelConfig ModelConfig::tiny(int input_size, int classes) {
  ModelConfig c;
  c.input_height = c.input_width = input_size;
  c.classes = classes;
  c.stem_channels = 16;
  c.stages = {{1, 16, 32, 1}, {1, 16, 32, 2}, {1, 32, 64, 2}, {1, 32, 64, 2}};
  return c;
}

void ModelConfig::validate() const {
  require(input_channels >= 1 && input_channels <= 4, "input_channels", "1..4", input_channels);
  // Upper bounds far above any ResNet keep every size and index computation in range (a
  // million-channel stage ended in SIGFPE inside the build).
  constexpr int kMaxWidth = 1 << 16, kMaxSide = 1 << 14;
  require(classes >= 2 && classes <= (1 << 20), "classes", "2..1048576", classes);
  require(stem_channels >= 1 && stem_channels <= kMaxWidth, "stem_channels", "1..65536",
          stem_channels);
  require(kernel >= 1 && kernel <= 31 && kernel % 2 == 1, "kernel", "an odd size up to 31",
          kernel);
  require(input_height <= kMaxSide, "input_height", "at most 16384", input_height);
  require(input_width <= kMaxSide, "input_width", "at most 16384", input_width);
  require(!stages.empty(), "stages", "at least one stage", 0);
  require(bn_epsilon > 0, "bn_epsilon", "> 0", bn_epsilon);
  require(bn_momentum >= 0 && bn_momentum < 1, "bn_momentum", "in [0, 1)", bn_momentum);
  // The stem (7x7/2 pad 3, then a 3x3/2 max pool) needs at least 3x3 after the convolution.
  int h = (input_height + 6 - 7) / 2 + 1, w = (input_width + 6 - 7) / 2 + 1;
  require(h >= 3 && w >= 3, "input_height/input_width", "at least 5",
          std::min(input_height, input_width));
  h = (h - 3) / 2 + 1;
  w = (w - 3) / 2 + 1;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const StageConfig& s = stages[i];
    const std::string f = "stages[" + std::to_string(i) + "]";
    require(s.blocks >= 1 && s.blocks <= 1024, f + ".blocks", "1..1024", s.blocks);
    require(s.mid >= 1 && s.out >= 1, f + ".mid/out", "at least 1", std::min(s.mid, s.out));
    require(s.mid <= kMaxWidth && s.out <= kMaxWidth, f + ".mid/out", "at most 65536",
            std::max(s.mid, s.out));
    require(s.stride >= 1 && s.stride <= 64, f + ".stride", "1..64", s.stride);
  }
}

const char* to_string(OptimizerConfig::Kind kind) {
  switch (kind) {
    case OptimizerConfig::Kind::adam:
      return "adam";
    case OptimizerConfig::Kind::adamw:
      return "adamw";
    case OptimizerConfig::Kind::sgd:
      return "sgd";
  }
  return "?";
}

OptimizerConfig::Kind parse_optimizer_kind(const std::string& name) {
  if (name == "adam") return OptimizerConfig::Kind::adam;
  if (name == "adamw") return OptimizerConfig::Kind::adamw;
  if (name == "sgd") return OptimizerConfig::Kind::sgd;
  throw std::invalid_argument("optimizer: expected adam, adamw or sgd, got '" + name + "'");
}

std::int64_t TensorInfo::size() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

}  // namespace signsnet
