#pragma once
// Token embedding: row t of the output is row tokens[t] of the table [vocab, d_model]. A pure
// gather — no arithmetic, so its cost is bytes moved (see work_count.hpp).

#include <span>

#include "kernels/tensor.hpp"
#include "kernels/token.hpp"

namespace kernels {

// Throws std::out_of_range for a token outside [0, table.rows()).
Mat embedding_lookup(const const_mat_ref& table, std::span<const token_id> tokens);

}  // namespace kernels
