#include "onnx/fold.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace signsnet::onnx_export {

void fold_batchnorm(ConvBn& c) {
  const std::size_t out = c.bias.size();
  if (out == 0 || c.weight.size() % out != 0 || c.gamma.size() != out || c.beta.size() != out ||
      c.mean.size() != out || c.variance.size() != out)
    throw std::logic_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) +
                           ": fold_batchnorm: mismatched tensor sizes");
  const std::size_t per_output = c.weight.size() / out;
  for (std::size_t o = 0; o < out; ++o) {
    const double s = c.gamma[o] / std::sqrt(static_cast<double>(c.variance[o]) + c.epsilon);
    float* w = c.weight.data() + o * per_output;
    for (std::size_t k = 0; k < per_output; ++k) w[k] = static_cast<float>(w[k] * s);
    c.bias[o] = static_cast<float>((static_cast<double>(c.bias[o]) - c.mean[o]) * s + c.beta[o]);
  }
}

}  // namespace signsnet::onnx_export
