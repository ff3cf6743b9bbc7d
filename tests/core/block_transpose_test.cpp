// The weights reorder into backward-data's blocking (block_transpose.hpp) against oneDNN's own
// reorder between the same layouts: every element, bit for bit, padding included.
#include "core/block_transpose.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace signsnet::test {
namespace {

using core::dt;
using core::tag;

struct TransposeCase {
  const char* name;
  dnnl::memory::dims dims;
  tag from, to;
  const char* isa;  // what the CPU needs for signsnet's kernel
};

void PrintTo(const TransposeCase& c, std::ostream* os) {
  *os << c.name;
}

bool cpu_has(const std::string& isa) {
  if (isa == "avx512f") return __builtin_cpu_supports("avx512f");
  if (isa == "avx2") return __builtin_cpu_supports("avx2");
  return false;
}

class BlockTransposeTest : public ::testing::TestWithParam<TransposeCase> {};

TEST_P(BlockTransposeTest, MatchesOneDnnReorderExactly) {
  const TransposeCase& c = GetParam();
  if (!cpu_has(c.isa)) GTEST_SKIP() << "this CPU lacks " << c.isa;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const dnnl::memory::desc fm(c.dims, dt::f32, c.from), tm(c.dims, dt::f32, c.to);
  dnnl::memory from(fm, eng), ours(tm, eng), theirs(tm, eng);
  // Random values everywhere, padding too: padded elements are zero in a real weights tensor,
  // but the kernel must move every float of the block either way.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  auto* f = static_cast<float*>(from.get_data_handle());
  for (std::size_t i = 0; i < fm.get_size() / sizeof(float); ++i) f[i] = u(rng);
  std::memset(ours.get_data_handle(), 0xff, tm.get_size());
  std::memset(theirs.get_data_handle(), 0, tm.get_size());
  dnnl::reorder(from, theirs).execute(s, from, theirs);
  s.wait();
  std::function<void()> run = core::block_transpose(from, ours);
  ASSERT_TRUE(static_cast<bool>(run)) << "no kernel for " << c.name;
  run();
  const auto* a = static_cast<const float*>(ours.get_data_handle());
  const auto* b = static_cast<const float*>(theirs.get_data_handle());
  // Padded positions: oneDNN's reorder writes zeros there, the kernel the source's (zero in a
  // real tensor); compare the logical elements through oneDNN's own reorder back to plain.
  const bool grouped = c.dims.size() == 5;
  const dnnl::memory::desc plain(c.dims, dt::f32, grouped ? tag::goihw : tag::oihw);
  dnnl::memory pa(plain, eng), pb(plain, eng);
  dnnl::reorder(ours, pa).execute(s, ours, pa);
  dnnl::reorder(theirs, pb).execute(s, theirs, pb);
  s.wait();
  ASSERT_EQ(0, std::memcmp(pa.get_data_handle(), pb.get_data_handle(), plain.get_size()));
  // Unpadded shapes: the whole buffer, byte for byte.
  if (fm.get_size() == plain.get_size()) {
    EXPECT_EQ(0, std::memcmp(a, b, tm.get_size()));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, BlockTransposeTest,
    ::testing::Values(
        TransposeCase{
            "OIhw16i16o_1x1", {64, 48, 1, 1}, tag::OIhw16i16o, tag::IOhw16o16i, "avx512f"},
        TransposeCase{
            "OIhw16i16o_3x3", {32, 80, 3, 3}, tag::OIhw16i16o, tag::IOhw16o16i, "avx512f"},
        TransposeCase{
            "OIhw16i16o_padded", {40, 24, 3, 3}, tag::OIhw16i16o, tag::IOhw16o16i, "avx512f"},
        TransposeCase{
            "gOIhw16i16o", {5, 32, 48, 1, 1}, tag::gOIhw16i16o, tag::gIOhw16o16i, "avx512f"},
        TransposeCase{"OIhw8i8o_3x3", {24, 16, 3, 3}, tag::OIhw8i8o, tag::OIhw8o8i, "avx2"},
        TransposeCase{"OIhw8i8o_padded", {20, 12, 1, 1}, tag::OIhw8i8o, tag::OIhw8o8i, "avx2"},
        TransposeCase{"gOIhw8i8o", {4, 16, 24, 1, 1}, tag::gOIhw8i8o, tag::gOIhw8o8i, "avx2"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BlockTransposeChoiceTest, OtherLayoutPairsAreLeftToOneDnn) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  const dnnl::memory::dims d = {32, 32, 1, 1};
  dnnl::memory plain({d, dt::f32, tag::oihw}, eng), blocked({d, dt::f32, tag::OIhw16i16o}, eng),
      same({d, dt::f32, tag::OIhw16i16o}, eng);
  EXPECT_FALSE(static_cast<bool>(core::block_transpose(plain, blocked)));
  EXPECT_FALSE(static_cast<bool>(core::block_transpose(blocked, same)));
  EXPECT_FALSE(static_cast<bool>(core::block_transpose(blocked, plain)));
}

TEST(BlockTransposeChoiceTest, RuntimeReorderRunsTheKernelAndNamesIt) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "this CPU lacks avx512f";
  core::Runtime rt;
  const dnnl::memory::dims d = {48, 32, 3, 3};
  dnnl::memory from = rt.memory({d, dt::f32, tag::OIhw16i16o});
  dnnl::memory to = rt.memory({d, dt::f32, tag::IOhw16o16i});
  auto* f = static_cast<float*>(from.get_data_handle());
  for (std::size_t i = 0; i < from.get_desc().get_size() / sizeof(float); ++i) f[i] = float(i);
  core::Op op = rt.reorder(from, to, "w weights->bwd_d");
  ASSERT_TRUE(op.valid());
  EXPECT_TRUE(static_cast<bool>(op.custom));
  op.run(rt.stream());
  ASSERT_FALSE(rt.kernels().empty());
  EXPECT_EQ(rt.kernels().back(), "w weights->bwd_d: signsnet:block_transpose");
  // Element (o, i, kh, kw) = (2, 17, 1, 2): in OIhw16i16o at block (0, 1, 1, 2), [i % 16][o % 16].
  const std::size_t src_at = ((0 * 2 + 1) * 9 + 5) * 256 + 1 * 16 + 2;
  // In IOhw16o16i: block (i / 16, o / 16, kh, kw) = (1, 0, 1, 2), [o % 16][i % 16].
  const std::size_t dst_at = ((1 * 3 + 0) * 9 + 5) * 256 + 2 * 16 + 1;
  EXPECT_EQ(static_cast<const float*>(to.get_data_handle())[dst_at], f[src_at]);
}

}  // namespace
}  // namespace signsnet::test
