// The size of the model a checkpoint declares, computed from its architecture alone, so that a
// file declaring a huge network is refused before the network is built.
#include <algorithm>
#include <cstdint>

#include "signsnet/checkpoint.hpp"

namespace signsnet {
namespace {

// Parameters of a convolution with bias (in -> out, k x k) followed by batch norm, whose gamma,
// beta, moving mean and moving variance are 4 vectors of `out`.
long double conv_bn(long double in, long double out, long double k) {
  return in * out * k * k + out + 4 * out;
}

long double nonnegative(int v) {
  return std::max(v, 0);
}

}  // namespace

std::int64_t estimated_parameter_bytes(const ModelConfig& config) {
  // Long double holds every product of these int fields exactly enough to compare with a limit,
  // and cannot overflow the way int64 arithmetic on hostile values would.
  const long double stem = nonnegative(config.stem_channels);
  const long double k = nonnegative(config.kernel);
  long double params = conv_bn(nonnegative(config.input_channels), stem, 7);
  long double channels = stem;
  for (const StageConfig& s : config.stages) {
    const long double mid = nonnegative(s.mid), out = nonnegative(s.out);
    const long double blocks = nonnegative(s.blocks);
    if (blocks < 1) continue;  // an invalid config: Model's validate names it
    const long double inner = conv_bn(mid, mid, k) + conv_bn(mid, out, 1);
    // The first block reads `channels` and has the projection shortcut; the others read `out`.
    params += conv_bn(channels, mid, 1) + inner + conv_bn(channels, out, 1);
    params += (blocks - 1) * (conv_bn(out, mid, 1) + inner);
    channels = out;
  }
  params += channels * nonnegative(config.classes) + nonnegative(config.classes);
  const long double bytes = params * 4;
  return bytes >= static_cast<long double>(INT64_MAX) ? INT64_MAX
                                                      : static_cast<std::int64_t>(bytes);
}

}  // namespace signsnet
