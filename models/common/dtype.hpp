// Number formats of weights, activations and caches, and their storage size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace models {

enum class DType { fp32, bf16, fp16, fp8, fp4 };

constexpr double bytes_per_element(DType t) {
  switch (t) {
    case DType::fp32:
      return 4;
    case DType::bf16:
      return 2;
    case DType::fp16:
      return 2;
    case DType::fp8:
      return 1;
    case DType::fp4:
      return 0.5;
  }
  return 0;
}

constexpr std::string_view to_string(DType t) {
  switch (t) {
    case DType::fp32:
      return "fp32";
    case DType::bf16:
      return "bf16";
    case DType::fp16:
      return "fp16";
    case DType::fp8:
      return "fp8";
    case DType::fp4:
      return "fp4";
  }
  return "?";
}

inline constexpr std::string_view kDTypeNames[] = {"fp32", "bf16", "fp16", "fp8", "fp4"};

inline std::optional<DType> parse_dtype(std::string_view s) {
  for (DType t : {DType::fp32, DType::bf16, DType::fp16, DType::fp8, DType::fp4}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

}  // namespace models
