#include "sim/random.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace sim {

namespace {
__extension__ using u128 = unsigned __int128;  // GCC/Clang extension, for Lemire's method
constexpr std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

RngStream::RngStream(std::uint64_t master_seed, std::string_view scenario_id,
                     std::string_view name) {
  // Mix the three parts with separators so ("ab","c") and ("a","bc") differ.
  std::uint64_t h = fnv1a64(scenario_id);
  h = fnv1a64("\x1f", h);
  h = fnv1a64(name, h);
  std::uint64_t state = master_seed ^ (h * 0x9e3779b97f4a7c15ULL);
  for (auto& w : s_) w = splitmix64(state);
}

std::uint64_t RngStream::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t RngStream::uniform_index(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_index: n must be > 0");
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double RngStream::exponential(double rate) {
  if (!(rate > 0)) throw std::invalid_argument("exponential: rate must be > 0");
  // 1 - u is in (0, 1], so the logarithm is finite.
  return -std::log1p(-uniform01()) / rate;
}

double RngStream::normal(double mean, double stddev) {
  if (!(stddev >= 0)) throw std::invalid_argument("normal: stddev must be >= 0");
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * spare_normal_;
  }
  const double u1 = 1.0 - uniform01();  // (0, 1]
  const double u2 = uniform01();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(theta);
  has_spare_ = true;
  return mean + stddev * r * std::cos(theta);
}

double RngStream::lognormal(double mu, double sigma) {
  return std::exp(normal(mu, sigma));
}

}  // namespace sim
