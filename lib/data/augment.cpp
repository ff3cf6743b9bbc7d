// Augmentation: photometric changes first (on the image's own pixels, so a zero fill of the
// geometric step stays zero), then one inverse-mapped geometric resampling.
#include "data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "data/rng.hpp"

namespace signsnet::data_detail {
namespace {

constexpr float kPi = 3.14159265358979f;

int draw_shift(std::uint64_t bits, int shift) {
  return shift > 0 ? static_cast<int>(bits % (2 * static_cast<std::uint64_t>(shift) + 1)) - shift
                   : 0;
}

// v -> v * contrast + mean * (1 - contrast) + brightness: exactly v when both are neutral.
void photometric(const std::uint8_t* src, std::size_t n, const AugmentDraw& d, float* out) {
  std::uint64_t sum = 0;  // an integer sum vectorizes; a double one is a serial chain
  for (std::size_t i = 0; i < n; ++i) sum += src[i];
  const float mean =
      static_cast<float>(static_cast<double>(sum) / (255.0 * static_cast<double>(n)));
  const float bias = mean * (1.0f - d.contrast) + d.brightness;
  for (std::size_t i = 0; i < n; ++i) {
    // min(max()) rather than std::clamp: same values here, and it vectorizes.
    out[i] = std::min(std::max(src[i] * (1.0f / 255.0f) * d.contrast + bias, 0.0f), 1.0f);
  }
}

// floor() as an int. std::floor is a library call on the baseline x86-64 target (no SSE4.1);
// truncation and a fix-up for negatives is the same value, for |v| < 2^31.
inline int floor_int(float v) {
  const int t = static_cast<int>(v);
  return t - (static_cast<float>(t) > v);
}

// Index i of a row or column of n pixels after the fill mode: -1 when it reads zero.
inline int fill_index(int i, int n, Augmentation::Fill fill) {
  if (i >= 0 && i < n) return i;
  switch (fill) {
    case Augmentation::Fill::zero:
      return -1;
    case Augmentation::Fill::edge:
      return i < 0 ? 0 : n - 1;
    case Augmentation::Fill::reflect: {
      // Period 2n: ... c b a | a b c ... c b a | a b c ...
      const int period = 2 * n;
      int m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - 1 - m;
    }
  }
  return -1;
}

// Adds w * img(x, y) to `acc`, with (x, y) outside the image read through the fill mode.
void add_tap(const float* img, int height, int width, int channels, int x, int y, float w,
             Augmentation::Fill fill, float* acc) {
  if (w == 0.0f) return;
  x = fill_index(x, width, fill);
  y = fill_index(y, height, fill);
  if (x < 0 || y < 0) return;
  const float* p = img + (static_cast<std::size_t>(y) * width + x) * channels;
  for (int c = 0; c < channels; ++c) acc[c] += w * p[c];
}

// Bilinear sample at (sx, sy). Points whose 2x2 neighbourhood lies inside take the direct path;
// the rest (near borders, where taps may fall outside) go tap by tap. kChannels > 0 fixes the
// channel count at compile time (the common RGB case); 0 reads `channels`.
template <int kChannels>
void sample(const float* img, int height, int width, int channels, float sx, float sy,
            Augmentation::Fill fill, float* out) {
  if (kChannels > 0) channels = kChannels;
  const int x0 = floor_int(sx), y0 = floor_int(sy);
  const float tx = sx - static_cast<float>(x0), ty = sy - static_cast<float>(y0);
  const float w00 = (1 - tx) * (1 - ty), w01 = tx * (1 - ty), w10 = (1 - tx) * ty, w11 = tx * ty;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
    const float* p00 = img + (static_cast<std::size_t>(y0) * width + x0) * channels;
    const float* p10 = p00 + static_cast<std::size_t>(width) * channels;
    for (int c = 0; c < channels; ++c) {
      out[c] = w00 * p00[c] + w01 * p00[channels + c] + w10 * p10[c] + w11 * p10[channels + c];
    }
    return;
  }
  for (int c = 0; c < channels; ++c) out[c] = 0.0f;
  add_tap(img, height, width, channels, x0, y0, w00, fill, out);
  add_tap(img, height, width, channels, x0 + 1, y0, w01, fill, out);
  add_tap(img, height, width, channels, x0, y0 + 1, w10, fill, out);
  add_tap(img, height, width, channels, x0 + 1, y0 + 1, w11, fill, out);
}

// Output = shift(rotate(zoom(flip(input)))); each output pixel maps back through the inverse.
template <int kChannels>
void geometric(const float* img, int height, int width, int channels, const AugmentDraw& d,
               float* dst) {
  const float cx = 0.5f * (width - 1), cy = 0.5f * (height - 1);
  const float cs = std::cos(d.angle) / d.zoom, sn = std::sin(d.angle) / d.zoom;
  for (int y = 0; y < height; ++y) {
    const float dy = static_cast<float>(y - d.shift_y) - cy;
    for (int x = 0; x < width; ++x) {
      const float dx = static_cast<float>(x - d.shift_x) - cx;
      float sx = cs * dx + sn * dy + cx;
      const float sy = -sn * dx + cs * dy + cy;
      if (d.flip) sx = (width - 1) - sx;
      sample<kChannels>(img, height, width, channels, sx, sy, d.fill,
                        dst + (static_cast<std::size_t>(y) * width + x) * channels);
    }
  }
}

}  // namespace

AugmentDraw draw_augmentation(const Augmentation& aug, std::uint64_t key) {
  CounterRng rng(key);
  AugmentDraw d;
  d.shift_x = draw_shift(rng.next(), aug.shift);
  d.shift_y = draw_shift(rng.next(), aug.shift);
  d.flip = aug.horizontal_flip && (rng.next() >> 63) != 0;
  const double degrees = rng.uniform(-aug.rotation_degrees, aug.rotation_degrees);
  d.angle = static_cast<float>(degrees) * (kPi / 180.0f);
  d.brightness = static_cast<float>(rng.uniform(-aug.brightness, aug.brightness));
  d.contrast = static_cast<float>(rng.uniform(1.0 - aug.contrast, 1.0 + aug.contrast));
  // Drawn last: the draws above stay those of a run without zoom.
  d.zoom = static_cast<float>(rng.uniform(1.0 - aug.zoom, 1.0 + aug.zoom));
  d.fill = aug.fill;
  return d;
}

void augment_image(const std::uint8_t* src, int height, int width, int channels,
                   const AugmentDraw& d, float* dst, std::vector<float>& scratch) {
  const std::size_t n = static_cast<std::size_t>(height) * width * channels;
  scratch.resize(n);
  photometric(src, n, d, scratch.data());
  if (channels == 3) {
    geometric<3>(scratch.data(), height, width, channels, d, dst);
  } else {
    geometric<0>(scratch.data(), height, width, channels, d, dst);
  }
}

}  // namespace signsnet::data_detail

namespace signsnet {

const char* to_string(Augmentation::Fill fill) {
  switch (fill) {
    case Augmentation::Fill::zero:
      return "zero";
    case Augmentation::Fill::edge:
      return "edge";
    case Augmentation::Fill::reflect:
      return "reflect";
  }
  return "zero";
}

Augmentation::Fill parse_fill(const std::string& name) {
  for (auto f : {Augmentation::Fill::zero, Augmentation::Fill::edge, Augmentation::Fill::reflect}) {
    if (name == to_string(f)) return f;
  }
  throw std::invalid_argument("fill: expected zero, edge or reflect, got '" + name + "'");
}

}  // namespace signsnet
