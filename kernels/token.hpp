#pragma once
#include <cstdint>

namespace kernels {

// A vocabulary index. 32 bits: real vocabularies reach ~2^17 (DeepSeek-V3: 129,280).
using token_id = std::int32_t;

}  // namespace kernels
