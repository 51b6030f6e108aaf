// A server from the catalog (scenarios/catalog/servers.yaml): its GPUs, the power of
// everything else in it, its PSU, and how its heat leaves it.
//
//   dgx-h100:
//     source: "..."
//     gpu: h100-sxm             # a key of gpus:
//     gpus: 8
//     scale_up_domain: 8        # GPUs joined by NVLink (NVL72: the 72 GPUs of the rack)
//     other_power: {idle: 2.2 kW, max: 3.9 kW}   # CPUs, NICs, switches, fans, drives
//     psu: {rating: 3.3 kW, modules: 4, redundancy: N+2, efficiency: [...]}  # AC PSUs
//     cooling: air              # how the catalog build is cooled: air | liquid
//     liquid_fraction: 80 %     # share of the server's heat at full load that a liquid-cooled
//                               # build sends to liquid (GPUs on cold plates first)
//
// Non-GPU power follows the GPUs' load (fans and CPUs track it): P_other = idle + (max -
// idle) u with u = (sum P_gpu - sum P_gpu,idle) / (sum TDP - sum P_gpu,idle). A simplification
// (REFERENCE.md C.1 "generic fallback", linear form as RAPS uses) with the catalog's idle
// and max as its ends.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "models/gpu/gpu_spec.hpp"
#include "models/power/stage_spec.hpp"
#include "sim/config.hpp"
#include "sim/units.hpp"

namespace models {

enum class ServerCooling { air, liquid };

struct ServerSpec {
  std::string name;
  std::string source;
  std::string gpu_name;
  int gpus = 8;
  int scale_up_domain = 8;  // GPUs per NVLink domain; divides `gpus`
  sim::Watts other_idle{0};
  sim::Watts other_max{0};
  std::optional<power::StageSpec> psu;  // absent: fed DC (54 V / 48 V) by a rack shelf
  ServerCooling cooling = ServerCooling::air;
  double liquid_fraction = 0;  // 0: no liquid-cooled build is described
  // The host CPU: what it is, and its single-thread speed relative to a DGX-A100's (2 x AMD
  // EPYC 7742), the host the serving stack's host costs were fitted on
  // (models/workload/calibration/serving_overhead.yaml). A serving engine's scheduler,
  // sampling and kernel launches run on one core each, so their time scales as 1 / this.
  std::string host_cpu = "unknown";
  double host_speed = 1.0;
  sim::config::Location where;

  // Maximum power on the server's DC bus: every GPU at TDP and the rest at its max.
  sim::Watts max_dc_power(const GpuSpec& gpu) const {
    return gpu.tdp * static_cast<double>(gpus) + other_max;
  }
  // Nameplate at the server's input: the DC maximum through its PSU at that load (the DC
  // maximum when it has no PSU).
  sim::Watts nameplate(const GpuSpec& gpu) const;
};

// The `servers` section of `root` (empty if absent). GPU names are checked against `gpus`.
std::map<std::string, ServerSpec> read_servers(const sim::config::Node& root,
                                               const std::map<std::string, GpuSpec>& gpus,
                                               sim::config::Diagnostics& diags);

}  // namespace models
