// Naive reference loops for the layer tests: plain NCHW / [out][in] layouts, double accumulators,
// written for clarity rather than speed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace signsnet::naive {

using Vec = std::vector<float>;

/// An N x C x H x W tensor shape; index() is the plain NCHW offset.
struct Shape {
  int n = 1, c = 1, h = 1, w = 1;
  std::size_t size() const { return static_cast<std::size_t>(n) * c * h * w; }
  std::size_t index(int in, int ic, int ih, int iw) const {
    return ((static_cast<std::size_t>(in) * c + ic) * h + ih) * w + iw;
  }
};

// ---------------------------------------------------------------------------------------------
// Convolution (weights OIHW, symmetric padding).

struct ConvGeom {
  Shape in;
  int out = 1, k = 1, stride = 1, pad = 0;
  Shape out_shape() const {
    return {in.n, out, (in.h + 2 * pad - k) / stride + 1, (in.w + 2 * pad - k) / stride + 1};
  }
  std::size_t weight_index(int o, int ci, int kh, int kw) const {
    return ((static_cast<std::size_t>(o) * in.c + ci) * k + kh) * k + kw;
  }
  std::size_t weight_size() const { return static_cast<std::size_t>(out) * in.c * k * k; }
};

/// Calls f(n, o, oh, ow, c, ih, iw, kh, kw) for every in-bounds (output, input, tap) triple.
template <class F>
void for_each_tap(const ConvGeom& g, F f) {
  const Shape os = g.out_shape();
  for (int n = 0; n < os.n; ++n)
    for (int o = 0; o < os.c; ++o)
      for (int oh = 0; oh < os.h; ++oh)
        for (int ow = 0; ow < os.w; ++ow)
          for (int c = 0; c < g.in.c; ++c)
            for (int kh = 0; kh < g.k; ++kh)
              for (int kw = 0; kw < g.k; ++kw) {
                const int ih = oh * g.stride - g.pad + kh, iw = ow * g.stride - g.pad + kw;
                if (ih < 0 || ih >= g.in.h || iw < 0 || iw >= g.in.w) continue;
                f(n, o, oh, ow, c, ih, iw, kh, kw);
              }
}

inline Vec conv_forward(const ConvGeom& g, const Vec& x, const Vec& w, const Vec& bias) {
  const Shape os = g.out_shape();
  std::vector<double> acc(os.size(), 0.0);
  for_each_tap(g, [&](int n, int o, int oh, int ow, int c, int ih, int iw, int kh, int kw) {
    acc[os.index(n, o, oh, ow)] +=
        static_cast<double>(x[g.in.index(n, c, ih, iw)]) * w[g.weight_index(o, c, kh, kw)];
  });
  Vec y(os.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int o = static_cast<int>(i / (static_cast<std::size_t>(os.h) * os.w)) % os.c;
    y[i] = static_cast<float>(acc[i] + bias[o]);
  }
  return y;
}

inline Vec conv_backward_data(const ConvGeom& g, const Vec& dy, const Vec& w) {
  const Shape os = g.out_shape();
  std::vector<double> acc(g.in.size(), 0.0);
  for_each_tap(g, [&](int n, int o, int oh, int ow, int c, int ih, int iw, int kh, int kw) {
    acc[g.in.index(n, c, ih, iw)] +=
        static_cast<double>(dy[os.index(n, o, oh, ow)]) * w[g.weight_index(o, c, kh, kw)];
  });
  return Vec(acc.begin(), acc.end());
}

inline Vec conv_backward_weights(const ConvGeom& g, const Vec& x, const Vec& dy) {
  const Shape os = g.out_shape();
  std::vector<double> acc(g.weight_size(), 0.0);
  for_each_tap(g, [&](int n, int o, int oh, int ow, int c, int ih, int iw, int kh, int kw) {
    acc[g.weight_index(o, c, kh, kw)] +=
        static_cast<double>(dy[os.index(n, o, oh, ow)]) * x[g.in.index(n, c, ih, iw)];
  });
  return Vec(acc.begin(), acc.end());
}

/// Per-channel sum over N, H, W (the bias gradient, BN's beta gradient).
inline Vec channel_sums(const Shape& s, const Vec& v) {
  std::vector<double> acc(s.c, 0.0);
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c)
      for (int h = 0; h < s.h; ++h)
        for (int w = 0; w < s.w; ++w) acc[c] += v[s.index(n, c, h, w)];
  return Vec(acc.begin(), acc.end());
}

// ---------------------------------------------------------------------------------------------
// Batch normalization (per channel over N, H, W; population variance).

struct BnStats {
  std::vector<double> mean, var;
};

inline BnStats bn_batch_stats(const Shape& s, const Vec& x) {
  BnStats st{std::vector<double>(s.c, 0.0), std::vector<double>(s.c, 0.0)};
  const double m = static_cast<double>(s.n) * s.h * s.w;
  for (std::size_t i = 0; i < x.size(); ++i) st.mean[(i / (s.h * s.w)) % s.c] += x[i] / m;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const int c = static_cast<int>((i / (s.h * s.w)) % s.c);
    st.var[c] += (x[i] - st.mean[c]) * (x[i] - st.mean[c]) / m;
  }
  return st;
}

inline Vec bn_forward(const Shape& s, const Vec& x, const BnStats& st, const Vec& gamma,
                      const Vec& beta, double eps, bool relu) {
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const int c = static_cast<int>((i / (s.h * s.w)) % s.c);
    const double v = gamma[c] * (x[i] - st.mean[c]) / std::sqrt(st.var[c] + eps) + beta[c];
    y[i] = static_cast<float>(relu ? std::max(v, 0.0) : v);
  }
  return y;
}

struct BnGrads {
  Vec dx, dgamma, dbeta;
};

/// Training-mode backward. `relu` masks dy where the (pre-ReLU) output is <= 0.
inline BnGrads bn_backward(const Shape& s, const Vec& x, const Vec& dy, const Vec& gamma,
                           const Vec& beta, double eps, bool relu) {
  const BnStats st = bn_batch_stats(s, x);
  const double m = static_cast<double>(s.n) * s.h * s.w;
  auto chan = [&](std::size_t i) { return static_cast<int>((i / (s.h * s.w)) % s.c); };
  auto xhat = [&](std::size_t i) {
    return (x[i] - st.mean[chan(i)]) / std::sqrt(st.var[chan(i)] + eps);
  };
  std::vector<double> g(dy.begin(), dy.end());
  if (relu)
    for (std::size_t i = 0; i < g.size(); ++i)
      if (gamma[chan(i)] * xhat(i) + beta[chan(i)] <= 0) g[i] = 0;
  std::vector<double> dgamma(s.c, 0.0), dbeta(s.c, 0.0);
  for (std::size_t i = 0; i < g.size(); ++i) {
    dbeta[chan(i)] += g[i];
    dgamma[chan(i)] += g[i] * xhat(i);
  }
  BnGrads r{Vec(x.size()), Vec(dgamma.begin(), dgamma.end()), Vec(dbeta.begin(), dbeta.end())};
  for (std::size_t i = 0; i < g.size(); ++i) {
    const int c = chan(i);
    r.dx[i] = static_cast<float>(gamma[c] / std::sqrt(st.var[c] + eps) *
                                 (g[i] - dbeta[c] / m - xhat(i) * dgamma[c] / m));
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Pooling, no padding ('valid').

struct PoolGeom {
  Shape in;
  int k = 2, stride = 2;
  Shape out_shape() const { return {in.n, in.c, (in.h - k) / stride + 1, (in.w - k) / stride + 1}; }
};

/// Calls f(out_index, in_index) for every input element of every window.
template <class F>
void for_each_window_elem(const PoolGeom& g, F f) {
  const Shape os = g.out_shape();
  for (int n = 0; n < os.n; ++n)
    for (int c = 0; c < os.c; ++c)
      for (int oh = 0; oh < os.h; ++oh)
        for (int ow = 0; ow < os.w; ++ow)
          for (int kh = 0; kh < g.k; ++kh)
            for (int kw = 0; kw < g.k; ++kw)
              f(os.index(n, c, oh, ow), g.in.index(n, c, oh * g.stride + kh, ow * g.stride + kw));
}

/// For each output element, the input index holding the window's maximum.
inline std::vector<std::size_t> max_pool_argmax(const PoolGeom& g, const Vec& x) {
  std::vector<std::size_t> arg(g.out_shape().size(), SIZE_MAX);
  for_each_window_elem(g, [&](std::size_t o, std::size_t i) {
    if (arg[o] == SIZE_MAX || x[i] > x[arg[o]]) arg[o] = i;
  });
  return arg;
}

inline Vec max_pool_forward(const PoolGeom& g, const Vec& x) {
  const auto arg = max_pool_argmax(g, x);
  Vec y(arg.size());
  for (std::size_t o = 0; o < arg.size(); ++o) y[o] = x[arg[o]];
  return y;
}

inline Vec max_pool_backward(const PoolGeom& g, const Vec& x, const Vec& dy) {
  const auto arg = max_pool_argmax(g, x);
  Vec dx(g.in.size(), 0.0f);
  for (std::size_t o = 0; o < arg.size(); ++o) dx[arg[o]] += dy[o];
  return dx;
}

inline Vec avg_pool_forward(const PoolGeom& g, const Vec& x) {
  std::vector<double> acc(g.out_shape().size(), 0.0);
  for_each_window_elem(g, [&](std::size_t o, std::size_t i) { acc[o] += x[i]; });
  Vec y(acc.size());
  for (std::size_t o = 0; o < y.size(); ++o) y[o] = static_cast<float>(acc[o] / (g.k * g.k));
  return y;
}

inline Vec avg_pool_backward(const PoolGeom& g, const Vec& dy) {
  std::vector<double> acc(g.in.size(), 0.0);
  for_each_window_elem(g, [&](std::size_t o, std::size_t i) { acc[i] += dy[o] / (g.k * g.k); });
  return Vec(acc.begin(), acc.end());
}

// ---------------------------------------------------------------------------------------------
// Dense: y[n][o] = sum_f x[n][f] w[o][f] + b[o], features f in CHW order.

inline Vec dense_forward(int n, int f, int o, const Vec& x, const Vec& w, const Vec& b) {
  Vec y(static_cast<std::size_t>(n) * o);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < o; ++j) {
      double acc = b[j];
      for (int k = 0; k < f; ++k) acc += static_cast<double>(x[i * f + k]) * w[j * f + k];
      y[i * o + j] = static_cast<float>(acc);
    }
  return y;
}

inline Vec dense_backward_data(int n, int f, int o, const Vec& dy, const Vec& w) {
  Vec dx(static_cast<std::size_t>(n) * f);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < f; ++k) {
      double acc = 0;
      for (int j = 0; j < o; ++j) acc += static_cast<double>(dy[i * o + j]) * w[j * f + k];
      dx[i * f + k] = static_cast<float>(acc);
    }
  return dx;
}

inline Vec dense_backward_weights(int n, int f, int o, const Vec& x, const Vec& dy) {
  Vec dw(static_cast<std::size_t>(o) * f);
  for (int j = 0; j < o; ++j)
    for (int k = 0; k < f; ++k) {
      double acc = 0;
      for (int i = 0; i < n; ++i) acc += static_cast<double>(dy[i * o + j]) * x[i * f + k];
      dw[j * f + k] = static_cast<float>(acc);
    }
  return dw;
}

inline Vec dense_backward_bias(int n, int o, const Vec& dy) {
  return channel_sums(Shape{n, o, 1, 1}, dy);
}

// ---------------------------------------------------------------------------------------------
// Softmax over classes and cross-entropy with label smoothing.

inline Vec softmax(int n, int k, const Vec& logits) {
  Vec p(logits.size());
  for (int i = 0; i < n; ++i) {
    const float* z = &logits[static_cast<std::size_t>(i) * k];
    const double zmax = *std::max_element(z, z + k);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += std::exp(z[j] - zmax);
    for (int j = 0; j < k; ++j) p[i * k + j] = static_cast<float>(std::exp(z[j] - zmax) / sum);
  }
  return p;
}

/// The smoothed target of class j for an image labelled y.
inline double smoothed_target(int j, int y, int k, double eps) {
  return (j == y ? 1.0 - eps : 0.0) + eps / k;
}

inline double cross_entropy(int n, int k, const Vec& p, const std::vector<std::int32_t>& y,
                            double eps) {
  double total = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) total -= smoothed_target(j, y[i], k, eps) * std::log(p[i * k + j]);
  return total / n;
}

inline Vec cross_entropy_grad(int n, int k, const Vec& p, const std::vector<std::int32_t>& y,
                              double eps) {
  Vec g(p.size());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j)
      g[i * k + j] = static_cast<float>((p[i * k + j] - smoothed_target(j, y[i], k, eps)) / n);
  return g;
}

inline int count_correct(int n, int k, const Vec& p, const std::vector<std::int32_t>& y) {
  int correct = 0;
  for (int i = 0; i < n; ++i) {
    const float* pi = &p[static_cast<std::size_t>(i) * k];
    correct += static_cast<int>(std::max_element(pi, pi + k) - pi) == y[i];
  }
  return correct;
}

}  // namespace signsnet::naive
