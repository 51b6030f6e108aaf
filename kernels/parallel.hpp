#pragma once
// The one way kernels use threads. Work is cut into items whose boundaries depend only on the
// problem shape, never on the thread count, and each item writes its own outputs with a fixed
// order of operations. So which thread runs an item cannot change a single bit of the result:
// 1 thread and N threads give identical outputs (tested in test_thread_determinism.cpp).
// Eigen's own GEMM threading is switched off (EIGEN_DONT_PARALLELIZE, see CMakeLists.txt)
// because its blocking depends on the thread count.

#include <cstdint>

#include <omp.h>

namespace kernels {

template <class Body>
void parallel_for(std::int64_t n_items, Body&& body) {
  // Dynamic schedule: items are uneven (causal attention tiles), and the assignment of items to
  // threads does not affect results. A kernel called from inside another kernel's items (an
  // MoE expert's GEMMs) runs serially instead of oversubscribing the cores.
#pragma omp parallel for schedule(dynamic, 1) if (n_items > 1 && !omp_in_parallel())
  for (std::int64_t i = 0; i < n_items; ++i) body(i);
}

// Sets the OpenMP thread count for a scope and restores the previous one (for harnesses
// that run kernels at several thread counts).
class thread_scope {
 public:
  explicit thread_scope(int threads) : before_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~thread_scope() { omp_set_num_threads(before_); }
  thread_scope(const thread_scope&) = delete;
  thread_scope& operator=(const thread_scope&) = delete;

 private:
  int before_;
};

}  // namespace kernels
