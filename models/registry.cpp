#include "models/registry.hpp"

namespace models {

std::vector<ModelInfo> registered_models() {
  return {
      {"workload", "serving",
       "LLM inference serving: replicas of tensor-parallel GPUs, continuous batching with chunked "
       "prefill, FCFS admission with full KV reservation"},
      {"workload", "arrivals.poisson",
       "Poisson request arrivals with constant / uniform / lognormal / empirical token lengths"},
      {"workload", "arrivals.trace",
       "replay of a request trace CSV (arrived_at, num_prefill_tokens, num_decode_tokens) with a "
       "time scale"},
      {"workload", "cost.roofline",
       "iteration time = max(FLOPs / peak, HBM bytes / bandwidth) + tensor-parallel all-reduces, "
       "at peak rates"},
      {"memory", "kv_cache",
       "KV bytes per token (GQA: 2*layers*kv_heads*head_dim*bytes; MLA: "
       "layers*(kv_lora+rope)*bytes), sharded over tensor parallelism"},
      {"gpu", "power",
       "board power = idle + (TDP - idle) (k_busy r^3 busy + k_flop r^2 F/F_peak + k_byte "
       "B/B_peak) / T, "
       "fitted on Splitwise's DGX-A100 power; clock ratio r from the power limit (bisection)"},
      {"plant", "servers",
       "servers from the catalog in racks and rows; GPU groups placed by scale-up domain; "
       "non-GPU power linear in the GPUs' load"},
      {"plant", "power_capping",
       "per control tick: proportional shedding of GPU power limits below an overloaded stage, "
       "rack or feed, hysteresis, 2 %/tick release; or breaker trips"},
      {"power", "chain",
       "power delivery tree (transformer, UPS, PDU, PSU, SST, 800 V bus, DC-DC shelf) from one "
       "stage type: rating (W, VA, % of design), N/N+k/2N, load-dependent efficiency"},
      {"cooling", "thermal_network",
       "linear RC networks integrated exactly between events (modal form); threshold crossings "
       "in closed form, scheduled as events"},
      {"cooling", "gpu_thermal",
       "junction -> cold plate -> coolant, or junction -> heatsink -> air: two-node RC per GPU "
       "group; slowdown, hardware slowdown and shutdown thresholds"},
      {"cooling", "cdu",
       "secondary loop as one water node; heat exchanger of fixed UA (approach grows with the "
       "heat it carries); pump power; capacity wall"},
      {"cooling", "heat_rejection",
       "dry cooler (dry bulb + approach), cooling tower (wet bulb + approach), chiller (COP = "
       "Carnot fraction x T_evap / lift) with economizer; ASHRAE W class wall"},
      {"cooling", "ambient", "constant, daily sinusoid, or CSV of dry and wet bulb"},
      {"network", "ring_allreduce",
       "ring all-reduce on the scale-up link: 2(p-1) steps of latency + 2(p-1)/p of the bytes at a "
       "fitted efficiency"},
  };
}

}  // namespace models
