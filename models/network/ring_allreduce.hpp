// Time of a ring all-reduce inside a scale-up domain (NVLink, Infinity Fabric).
//
//   t(S, p) = 2 (p - 1) * alpha + 2 (p - 1) / p * S / (eta * B)
//
// S: bytes reduced (each GPU's buffer); p: GPUs in the ring; B: one-direction link bandwidth
// of one GPU; alpha: latency of one ring step; eta: achieved fraction of B. Reduce-scatter
// then all-gather, each p - 1 steps moving S/p per step (Patarasuk & Yuan, "Bandwidth optimal
// all-reduce algorithms for clusters of workstations", JPDC 2009). alpha and eta are fitted
// to measured NCCL times by tools/analysis/fit_allreduce.py. Valid for p >= 1 GPUs on one
// switch (every pair at full link bandwidth), messages from bytes to GiB; p = 1 costs 0.
#pragma once

#include "sim/units.hpp"

namespace models {

struct RingAllReduce {
  sim::BytesPerSecond link_one_direction;
  sim::Seconds step_latency;
  double efficiency = 1;

  sim::Seconds time(sim::Bytes size, int gpus) const {
    if (gpus <= 1) return sim::Seconds(0);
    const double p = gpus;
    const double steps = 2 * (p - 1);
    return steps * step_latency + (steps / p) * size / (link_one_direction * efficiency);
  }
  // Bytes each GPU sends in one direction during the all-reduce.
  static sim::Bytes bytes_sent_per_gpu(sim::Bytes size, int gpus) {
    if (gpus <= 1) return sim::Bytes(0);
    const double p = gpus;
    return size * (2 * (p - 1) / p);
  }
};

}  // namespace models
