// A two-tier fabric from YAML (`firstwall validate training --plant FILE`):
//
//   fabric:
//     name: my-cluster                 # optional
//     gpus_per_node: 8                 # GPUs on one scale-up switch
//     scale_up:  {bandwidth: 300 GB/s, step_latency: 3.37 us, efficiency: 47.62 %}
//     scale_out: {bandwidth: 200 Gb/s, step_latency: 5 us, efficiency: 96 %}
//
// bandwidth is per GPU and per direction (one NIC per GPU for scale_out); efficiency is the
// achieved fraction of it. Errors read `file:line:col: fabric.scale_up.bandwidth: ...`.
#pragma once

#include <string>

#include "models/workload/training/alpha_beta_collectives.hpp"
#include "sim/config.hpp"

namespace models::training {

// Throws sim::config::InputError with every problem.
Fabric read_fabric_file(const std::string& path);

// One link tier (`bandwidth`, `step_latency`, `efficiency`) under `key` of `parent`: with
// `need` every key is required; without, absent keys keep `tier`'s values. Shared by the
// fabric file and the training and serving workloads' `fabric:` sections.
LinkTier read_link_tier(sim::config::Reader& parent, const char* key, LinkTier tier, bool need);

}  // namespace models::training
