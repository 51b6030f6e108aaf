// Reproducible random streams and the project's own distributions.
//
// Generator: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", ACM TOMS 2021), seeded through SplitMix64 as its authors recommend. Each
// stream's seed mixes (master seed, scenario id, stream name), so adding a component or
// creating streams in another order never changes another component's numbers.
// Distributions are written here, not taken from <random>, because the standard leaves
// their algorithms to the implementation: results would differ between standard libraries.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sim {

// FNV-1a, 64-bit: a stable hash of names for seeding (not for security).
constexpr std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// SplitMix64 step (Steele, Lea & Flood 2014): advances `state`, returns a well-mixed word.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class RngStream {
 public:
  RngStream(std::uint64_t master_seed, std::string_view scenario_id, std::string_view name);

  std::uint64_t next_u64();
  // Uniform on [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Uniform integer in [0, n), unbiased (Lemire 2019, "Fast random integer generation in an
  // interval").
  std::uint64_t uniform_index(std::uint64_t n);
  // Exponential with the given rate (mean 1/rate), by inversion.
  double exponential(double rate);
  // Normal by the Box–Muller transform; the second value of each pair is kept for the next
  // call, so the sequence depends only on the stream.
  double normal(double mean, double stddev);
  // exp(N(mu, sigma)): mu and sigma are of the underlying normal.
  double lognormal(double mu, double sigma);

 private:
  std::array<std::uint64_t, 4> s_{};
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

}  // namespace sim
