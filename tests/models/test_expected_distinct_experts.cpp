// expected_distinct_experts (llm_spec.hpp) against exact enumeration: every routing of t
// tokens, each choosing k distinct experts of E uniformly and independently, is listed, and
// the number of distinct experts touched is averaged over them — no formula on the
// expected side.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "models/workload/llm_spec.hpp"

namespace {

// Every k-subset of E experts as a bit mask.
std::vector<std::uint32_t> subsets(int experts, int k) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t m = 0; m < (1U << experts); ++m) {
    if (std::popcount(m) == k) out.push_back(m);
  }
  return out;
}

// Mean of |union of the tokens' choices| over all C(E, k)^tokens routings, each equally likely.
double enumerated_mean(int experts, int k, int tokens) {
  const std::vector<std::uint32_t> choices = subsets(experts, k);
  std::uint64_t routings = 0;
  std::uint64_t touched = 0;
  std::vector<std::size_t> pick(static_cast<std::size_t>(tokens), 0);  // odometer
  for (;;) {
    std::uint32_t used = 0;
    for (std::size_t i : pick) used |= choices[i];
    touched += static_cast<std::uint64_t>(std::popcount(used));
    ++routings;
    std::size_t d = 0;
    while (d < pick.size() && ++pick[d] == choices.size()) pick[d++] = 0;
    if (d == pick.size()) break;
  }
  return static_cast<double>(touched) / static_cast<double>(routings);
}

TEST(expected_distinct_experts, equals_exact_enumeration_for_small_expert_counts) {
  for (int e = 1; e <= 6; ++e) {
    for (int k = 1; k <= e; ++k) {
      for (int t = 1; t <= 4; ++t) {
        const models::MoeSpec moe{.routed_experts = e, .active_experts = k};
        EXPECT_NEAR(models::expected_distinct_experts(moe, t), enumerated_mean(e, k, t), 1e-12)
            << "E " << e << " k " << k << " tokens " << t;
      }
    }
  }
  // No tokens, no experts.
  EXPECT_EQ(models::expected_distinct_experts({.routed_experts = 6, .active_experts = 2}, 0), 0.0);
}

}  // namespace
