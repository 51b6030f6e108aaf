#include "kernels/embedding.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/parallel.hpp"

namespace kernels {

Mat embedding_lookup(const const_mat_ref& table, std::span<const token_id> tokens) {
  for (token_id t : tokens) {
    if (t < 0 || t >= table.rows()) {
      throw std::out_of_range("embedding_lookup: token " + std::to_string(t) +
                              " outside vocabulary of " + std::to_string(table.rows()));
    }
  }
  const auto n = static_cast<Eigen::Index>(tokens.size());
  Mat out(n, table.cols());
  constexpr Eigen::Index rows_per_item = 64;
  parallel_for((n + rows_per_item - 1) / rows_per_item, [&](std::int64_t item) {
    const Eigen::Index end = std::min(n, (item + 1) * rows_per_item);
    for (Eigen::Index i = item * rows_per_item; i < end; ++i) {
      out.row(i) = table.row(tokens[static_cast<std::size_t>(i)]);
    }
  });
  return out;
}

}  // namespace kernels
