// Separable resizing: a horizontal pass into floats, then a vertical pass back to uint8.
#include "data/resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace signsnet::data_detail {
namespace {

// For output index i, the source indices first[i] + k with weight[offset[i] + k].
struct AxisTaps {
  std::vector<int> first;
  std::vector<int> offset{0};
  std::vector<float> weight;
};

// Output pixel i covers the source interval [i * s, (i + 1) * s) with s = in / out > 1; each
// source pixel counts by its overlap, so every input pixel contributes equally overall.
void area_taps(int in, int out, AxisTaps& taps) {
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    const double lo = i * scale;
    const double hi = std::min<double>(in, (i + 1) * scale);
    const int j0 = static_cast<int>(std::floor(lo));
    const int j1 = std::min(in, static_cast<int>(std::ceil(hi)));
    taps.first.push_back(j0);
    for (int j = j0; j < j1; ++j) {
      const double overlap = std::min<double>(hi, j + 1) - std::max<double>(lo, j);
      taps.weight.push_back(static_cast<float>(overlap / scale));
    }
    taps.offset.push_back(static_cast<int>(taps.weight.size()));
  }
}

// Half-pixel centres (as OpenCV and PIL): output i samples source (i + 0.5) * in / out - 0.5.
void bilinear_taps(int in, int out, AxisTaps& taps) {
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    const double pos = std::clamp((i + 0.5) * scale - 0.5, 0.0, in - 1.0);
    const int j0 = static_cast<int>(pos);
    const double t = pos - j0;
    taps.first.push_back(j0);
    taps.weight.push_back(static_cast<float>(1.0 - t));
    if (j0 + 1 < in) taps.weight.push_back(static_cast<float>(t));
    taps.offset.push_back(static_cast<int>(taps.weight.size()));
  }
}

AxisTaps make_taps(int in, int out) {
  AxisTaps taps;
  if (in > out) {
    area_taps(in, out, taps);
  } else if (in < out) {
    bilinear_taps(in, out, taps);
  } else {
    for (int i = 0; i < out; ++i) {
      taps.first.push_back(i);
      taps.weight.push_back(1.0f);
      taps.offset.push_back(i + 1);
    }
  }
  return taps;
}

std::uint8_t to_byte(float v) {
  return static_cast<std::uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f));
}

// (src_height, src_width) -> (src_height, dst_width) floats.
void horizontal_pass(const std::uint8_t* src, int src_height, int src_width, int channels,
                     const AxisTaps& tx, int dst_width, std::vector<float>& rows) {
  rows.assign(static_cast<std::size_t>(src_height) * dst_width * channels, 0.0f);
  for (int y = 0; y < src_height; ++y) {
    const std::uint8_t* src_row = src + static_cast<std::size_t>(y) * src_width * channels;
    float* o = &rows[static_cast<std::size_t>(y) * dst_width * channels];
    for (int x = 0; x < dst_width; ++x, o += channels) {
      const std::uint8_t* s = src_row + static_cast<std::size_t>(tx.first[x]) * channels;
      for (int k = tx.offset[x]; k < tx.offset[x + 1]; ++k, s += channels) {
        for (int c = 0; c < channels; ++c) o[c] += tx.weight[k] * s[c];
      }
    }
  }
}

// (src_height, row_len) floats -> (dst_height, row_len) bytes.
void vertical_pass(const std::vector<float>& rows, std::size_t row_len, const AxisTaps& ty,
                   int dst_height, std::uint8_t* dst) {
  std::vector<float> acc(row_len);
  for (int y = 0; y < dst_height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* s = &rows[static_cast<std::size_t>(ty.first[y]) * row_len];
    for (int k = ty.offset[y]; k < ty.offset[y + 1]; ++k, s += row_len) {
      for (std::size_t i = 0; i < row_len; ++i) acc[i] += ty.weight[k] * s[i];
    }
    for (std::size_t i = 0; i < row_len; ++i) dst[y * row_len + i] = to_byte(acc[i]);
  }
}

}  // namespace

void to_rgb(const RawImage& in, std::vector<std::uint8_t>& rgb) {
  const std::size_t pixels = static_cast<std::size_t>(in.width) * in.height;
  rgb.resize(pixels * 3);
  const std::uint8_t* src = in.pixels.data();
  for (std::size_t p = 0; p < pixels; ++p, src += in.channels) {
    const bool gray = in.channels < 3;
    rgb[3 * p] = src[0];
    rgb[3 * p + 1] = gray ? src[0] : src[1];
    rgb[3 * p + 2] = gray ? src[0] : src[2];
  }
}

void resize_image(const std::uint8_t* src, int src_height, int src_width, std::uint8_t* dst,
                  int dst_height, int dst_width, int channels) {
  if (src_height == dst_height && src_width == dst_width) {
    std::memcpy(dst, src, static_cast<std::size_t>(src_height) * src_width * channels);
    return;
  }
  std::vector<float> rows;
  horizontal_pass(src, src_height, src_width, channels, make_taps(src_width, dst_width), dst_width,
                  rows);
  vertical_pass(rows, static_cast<std::size_t>(dst_width) * channels,
                make_taps(src_height, dst_height), dst_height, dst);
}

void fit_rgb(const RawImage& in, int height, int width, std::uint8_t* dst) {
  if (in.channels == 3) {
    resize_image(in.pixels.data(), in.height, in.width, dst, height, width, 3);
    return;
  }
  std::vector<std::uint8_t> rgb;
  to_rgb(in, rgb);
  resize_image(rgb.data(), in.height, in.width, dst, height, width, 3);
}

}  // namespace signsnet::data_detail
