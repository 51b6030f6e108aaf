#pragma once
// The measured table on disk (HDF5, through sim::h5::ResultFile: written to a temporary name,
// renamed on success). Layout, documented in kernels/measure/README.md:
//   /kernels  one row per (case, thread count): kernel, variant, dtype, shape, the numeric
//             shape columns of kernel_grid.hpp, threads, repeats, calls_per_repeat, median_s,
//             min_s, max_s, flops, bytes, flops_per_s, bytes_per_s, arithmetic_intensity;
//             each column's unit is an attribute named after it.
//   /host     one row per thread count: threads, peak_flops_fma, stream_triad_bw.
//   /cache_sweep  one row per working-set size of the read sweep: bytes, read_bw.
//   root attributes: firstwall_version, command, created_utc, host_id, cpu_model,
//             logical_cores, l1d_bytes, l2_bytes, llc_bytes (reported), llc_effective_bytes,
//             cache_read_bw, memory_read_bw, core_clock_hz, fma_isa, stream_bytes_per_iteration,
//             stream_array_bytes, and peak_flops_fma_threads_<N>, stream_triad_bw_threads_<N>.

#include <string>
#include <vector>

#include "kernels/measure/measure_run.hpp"

namespace kernels::measure {

struct file_metadata {
  std::string firstwall_version;
  std::string command;  // the command line that produced the file
};

void write_measure_file(const std::string& path, const measure_result& result,
                        const file_metadata& meta);

// What read_measure_file gives back: the rows (derived rates recomputed from the stored
// median) and the host anchors.
struct measure_file {
  std::string host_id;
  std::string cpu_model;
  std::int64_t llc_bytes = 0;            // as reported
  std::int64_t llc_effective_bytes = 0;  // from the read sweep
  double core_clock_hz = 0.0;
  std::vector<cache_sweep_point> cache_sweep;  // empty in files written before the sweep
  std::vector<thread_rates> rates;
  std::vector<measured_row> rows;
};

// Throws std::runtime_error naming the file when it cannot be read or lacks a column.
measure_file read_measure_file(const std::string& path);

// The column names of /kernels, in order.
std::vector<std::string> kernel_table_columns();

}  // namespace kernels::measure
