// signsnet-checkpoint-diff A B: whether two checkpoints hold the same training state, bit for
// bit: architecture, step, epoch, every weight, BN statistic and optimizer moment. Used by
// scripts/kill-trials.sh. Prints one line; exits 0 when identical, 1 when not, 2 on an error.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "signsnet/checkpoint.hpp"
#include "signsnet/model.hpp"

namespace {

using signsnet::TensorRole;

const char* role_name(TensorRole role) {
  switch (role) {
    case TensorRole::value: return "value";
    case TensorRole::first_moment: return "first moment";
    case TensorRole::second_moment: return "second moment";
    default: return "other";
  }
}

int compare(const std::string& a_path, const std::string& b_path) {
  const signsnet::CheckpointState a_state = signsnet::read_checkpoint_state(a_path);
  const signsnet::CheckpointState b_state = signsnet::read_checkpoint_state(b_path);
  signsnet::check_same_architecture(b_path, a_state.model, b_state.model);
  if (a_state.epoch != b_state.epoch || a_state.step != b_state.step) {
    std::printf("differ: epoch/step %d/%lld vs %d/%lld\n", a_state.epoch,
                static_cast<long long>(a_state.step), b_state.epoch,
                static_cast<long long>(b_state.step));
    return 1;
  }
  signsnet::Model a(a_state.model, 1), b(b_state.model, 1);
  signsnet::load_checkpoint(a_path, a);
  signsnet::load_checkpoint(b_path, b);
  std::size_t floats = 0;
  std::vector<float> va, vb;
  for (const signsnet::TensorInfo& t : a.tensors()) {
    for (TensorRole role : {TensorRole::value, TensorRole::first_moment, TensorRole::second_moment}) {
      if (role != TensorRole::value && !t.trainable) continue;
      va.resize(t.size());
      vb.resize(t.size());
      a.read(t.name, va.data(), role);
      b.read(t.name, vb.data(), role);
      floats += t.size();
      if (std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) != 0) {
        std::size_t i = 0;
        while (std::memcmp(&va[i], &vb[i], sizeof(float)) == 0) ++i;
        std::printf("differ: %s (%s) [%zu]: %.9g vs %.9g\n", t.name.c_str(), role_name(role), i,
                    va[i], vb[i]);
        return 1;
      }
    }
  }
  std::printf("identical: epoch %d, step %lld, %zu tensors, %zu floats\n", a_state.epoch,
              static_cast<long long>(a_state.step), a.tensors().size(), floats);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: signsnet-checkpoint-diff A.h5 B.h5\n");
    return 2;
  }
  try {
    return compare(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "signsnet-checkpoint-diff: error: %s\n", e.what());
    return 2;
  }
}
