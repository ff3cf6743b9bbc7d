// Small synthetic data sets and helpers shared by the train, io and cli tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "signsnet/data.hpp"
#include "signsnet/model.hpp"

namespace signsnet::test {

/// `count` images of size x size x 3 and `classes` classes: class c is a bright horizontal band
/// at row c * size / classes on a seeded noisy background, so a tiny model can learn it.
inline Dataset synthetic_dataset(int count, int size, int classes, std::uint32_t seed = 7) {
  Dataset d;
  d.count = count;
  d.height = d.width = size;
  d.channels = 3;
  d.classes = classes;
  d.origin = "synthetic";
  d.pixels.resize(static_cast<std::size_t>(count) * size * size * 3);
  std::uint32_t state = seed * 2654435761u + 1;
  for (int i = 0; i < count; ++i) {
    const int label = i % classes;
    d.labels.push_back(label);
    const int band = label * size / classes;
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size * 3; ++x) {
        state = state * 1664525u + 1013904223u;
        const int noise = static_cast<int>(state >> 26);  // 0..63
        const bool lit = y >= band && y < band + size / classes;
        d.pixels[(static_cast<std::size_t>(i) * size + y) * size * 3 + x] =
            static_cast<std::uint8_t>((lit ? 160 : 20) + noise);
      }
    }
  }
  for (int c = 0; c < classes; ++c) d.class_names.push_back(std::to_string(c));
  return d;
}

/// A fresh, empty folder under SIGNSNET_TEST_TMP.
inline std::string scratch(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(SIGNSNET_TEST_TMP) / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

inline std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Every tensor of `model` for `role` (trainable tensors only for the moments), concatenated.
inline std::vector<float> all_tensors(const Model& model, TensorRole role) {
  std::vector<float> out;
  for (const TensorInfo& t : model.tensors()) {
    if (role != TensorRole::value && !t.trainable) continue;
    std::vector<float> v(t.size());
    model.read(t.name, v.data(), role);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

/// Runs `f`, which must throw E; returns what().
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception type: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace signsnet::test
