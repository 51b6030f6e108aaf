#pragma once
// Deterministic pseudo-random weights for reference models and tests, without std::
// distributions (their output differs between standard libraries). Element i of tensor `name`
// is a pure function of (seed, name, i): a counter-based generator in the spirit of Salmon et
// al. 2011 ("Parallel Random Numbers: As Easy as 1, 2, 3", SC'11), built from the SplitMix64
// finalizer (Steele, Lea & Flood 2014, "Fast Splittable Pseudorandom Number Generators",
// OOPSLA) and the FNV-1a hash of the name. So any element is reproducible on its own, in any
// order, from any thread.

#include <cstdint>
#include <string_view>

#include "kernels/tensor.hpp"

namespace kernels {

std::uint64_t splitmix64(std::uint64_t x);
std::uint64_t fnv1a64(std::string_view text);

// Uniform in [-1, 1) with 24 random bits (exactly representable in float).
float hashed_uniform(std::uint64_t seed, std::string_view name, std::uint64_t index);

// Elements uniform in [-scale, scale), row-major index order.
Mat hashed_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, std::string_view name,
                  float scale);
// The same elements written into `out` (which may be a block of a larger matrix), so stacked
// weights are filled in place rather than copied from temporaries.
void hashed_fill(mat_ref out, std::uint64_t seed, std::string_view name, float scale);
// Elements center + uniform in [-scale, scale).
Vec hashed_vector(Eigen::Index size, std::uint64_t seed, std::string_view name, float scale,
                  float center = 0.0f);

}  // namespace kernels
