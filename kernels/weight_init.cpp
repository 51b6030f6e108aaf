#include "kernels/weight_init.hpp"

namespace kernels {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

float hashed_uniform(std::uint64_t seed, std::string_view name, std::uint64_t index) {
  const std::uint64_t bits = splitmix64(splitmix64(seed ^ fnv1a64(name)) + index);
  const auto top24 = static_cast<float>(bits >> 40);  // exact: < 2^24
  return top24 * (2.0f / 16777216.0f) - 1.0f;
}

Mat hashed_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, std::string_view name,
                  float scale) {
  Mat m(rows, cols);
  hashed_fill(m, seed, name, scale);
  return m;
}

void hashed_fill(mat_ref out, std::uint64_t seed, std::string_view name, float scale) {
  const Eigen::Index cols = out.cols();
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    for (Eigen::Index c = 0; c < cols; ++c) {
      out(r, c) = scale * hashed_uniform(seed, name, static_cast<std::uint64_t>(r * cols + c));
    }
  }
}

Vec hashed_vector(Eigen::Index size, std::uint64_t seed, std::string_view name, float scale,
                  float center) {
  Vec v(size);
  for (Eigen::Index i = 0; i < size; ++i) {
    v(i) = center + scale * hashed_uniform(seed, name, static_cast<std::uint64_t>(i));
  }
  return v;
}

}  // namespace kernels
