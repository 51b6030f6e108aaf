#!/usr/bin/python3
"""Summarizes the Google Benchmark JSON files of `make bench` (see run.sh).

Each summary function reads one program's JSON, prints a small table and returns its
`key=value` metrics. All metrics are printed together at the end, in SUMMARIES order, so a
script can read them from the tail of the output; engine_hold_ratio_max is the last line.
"""
import json
import sys
from pathlib import Path


def load(results_dir, program):
    path = Path(results_dir) / f"{program}.json"
    with path.open() as f:
        return json.load(f)["benchmarks"]


def per_op_ns(benchmarks, family):
    """{argument: cpu ns per iteration} of the benchmarks named family/<arg>.

    The fastest repetition: interference from other processes only ever adds time. CPU time
    rather than wall time for the same reason (caches and memory bandwidth are still
    shared)."""
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    out = {}
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration":
            continue  # the mean/median/stddev aggregates of the repetitions
        name, _, arg = b.get("run_name", b["name"]).partition("/")
        if name == family:
            ns = b["cpu_time"] * scale[b.get("time_unit", "ns")]
            out[int(arg)] = min(ns, out.get(int(arg), ns))
    return out


def engine_hold(results_dir):
    benchmarks = load(results_dir, "firstwall_bench_engine")
    engine = per_op_ns(benchmarks, "BM_EngineHold")
    bare = per_op_ns(benchmarks, "BM_BareHold")
    sizes = sorted(set(engine) & set(bare))
    if not sizes:
        raise SystemExit("summarize.py: no BM_EngineHold/BM_BareHold pairs in the JSON")
    print("hold model: ns per event (CPU time, fastest repetition)")
    print(f"{'N':>10} {'engine':>10} {'bare pq':>10} {'ratio':>7}")
    ratios = {}
    for n in sizes:
        ratios[n] = engine[n] / bare[n]
        print(f"{n:>10} {engine[n]:>10.1f} {bare[n]:>10.1f} {ratios[n]:>7.3f}")
    return [("engine_hold_ratio_max", f"{max(ratios.values()):.3f}")]


def best_counters(benchmarks, family):
    """{(arg, ...): {counter: best value}} of the benchmarks named family/<name>:<arg>/...

    Counters here are rates, so the best repetition is the highest (interference from other
    processes only ever lowers a rate)."""
    out = {}
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration":
            continue
        parts = b.get("run_name", b["name"]).split("/")
        if parts[0].endswith("Fixture"):  # BENCHMARK_F names are Fixture/Method/args
            parts = parts[1:]
        if parts[0] != family:
            continue
        args = tuple(int(p.split(":")[-1]) for p in parts[1:] if p != "real_time")
        entry = out.setdefault(args, {})
        for key in ("flops_per_s", "bytes_per_s"):
            if key in b:
                entry[key] = max(entry.get(key, 0.0), b[key])
        entry["real_time_ms"] = min(entry.get("real_time_ms", float("inf")),
                                    b["real_time"] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")])
    return out


def kernels(results_dir):
    """The kernels against the host's own measured roofline (tools/bench/bench_kernels.cpp)."""
    benchmarks = load(results_dir, "firstwall_bench_kernels")
    with (Path(results_dir) / "firstwall_bench_kernels.json").open() as f:
        context = json.load(f).get("context", {})
    host = (f"{context.get('cpu_model', 'unknown CPU')}, "
            f"{context.get('microarchitecture', 'unknown microarchitecture')}, "
            f"{context.get('fma_isa', '?')} kernels")
    fma = best_counters(benchmarks, "BM_FmaPeak")
    triad = best_counters(benchmarks, "BM_StreamTriad")
    gemm = best_counters(benchmarks, "BM_GemmFp32")
    decode = best_counters(benchmarks, "BM_DecodeGqa")
    mla = best_counters(benchmarks, "BM_MlaDecode")
    peak = {t: v["flops_per_s"] for (t,), v in fma.items()}
    bw = {t: v["bytes_per_s"] for (t,), v in triad.items()}
    print(f"kernels on {host}: best repetition, wall time")
    for t in sorted(peak):
        print(f"  roofline, {t} thread(s): FMA peak {peak[t] / 1e9:7.1f} GFLOP/s, "
              f"STREAM triad {bw.get(t, 0) / 1e9:6.1f} GB/s (24 B/iteration)")
    for (n, t), v in sorted(gemm.items()):
        print(f"  gemm fp32 n=m=k={n:<5} {t} thread(s): {v['flops_per_s'] / 1e9:7.1f} GFLOP/s "
              f"= {v['flops_per_s'] / peak[t]:.3f} of FMA peak")
    for (ctx, t), v in sorted(decode.items()):
        print(f"  decode GQA 32q/8kv x128 fp32 cache, {ctx} tokens, {t} thread(s): "
              f"{v['bytes_per_s'] / 1e9:6.1f} GB/s = {v['bytes_per_s'] / bw[t]:.3f} of STREAM triad")
    for (form, t), v in sorted(mla.items()):
        print(f"  MLA decode {'naive' if form == 0 else 'absorbed':8} 128 heads, 4096 tokens, {t} thread(s): "
              f"{v['real_time_ms']:9.2f} ms ({v['flops_per_s'] / 1e9:.1f} GFLOP/s)")
    # The largest FP32 GEMM on one thread; decode at the longest context on all threads
    # (both are stated in the table above).
    n_max = max(n for (n, t) in gemm if t == 1)
    ctx_max = max(c for (c, t) in decode)
    t_max = max(t for (c, t) in decode if c == ctx_max)
    gemm_fraction = gemm[(n_max, 1)]["flops_per_s"] / peak[1]
    decode_fraction = decode[(ctx_max, t_max)]["bytes_per_s"] / bw[t_max]
    speedup = mla[(0, 1)]["real_time_ms"] / mla[(1, 1)]["real_time_ms"]
    print(f"  (gemm_fraction_of_peak: n={n_max}, 1 thread; decode_attention_fraction_of_stream: "
          f"{ctx_max} tokens, {t_max} threads; mla_absorbed_speedup: 1 thread)")
    return [("kernels_host", f"{host}"),
            ("gemm_fraction_of_peak", f"{gemm_fraction:.3f}"),
            ("decode_attention_fraction_of_stream", f"{decode_fraction:.3f}"),
            ("mla_absorbed_speedup", f"{speedup:.1f}")]


def plant(results_dir):
    """The plant coupling's cost on the default scenario (tools/bench/bench_plant.cpp)."""
    benchmarks = load(results_dir, "firstwall_bench_plant")
    runs = per_op_ns(benchmarks, "BM_DefaultScenario")
    if 0 not in runs or 1 not in runs:
        raise SystemExit("summarize.py: BM_DefaultScenario/0 and /1 are both needed")
    print("default scenario, one run: CPU time (fastest repetition)")
    print(f"  plant coupling none: {runs[0] / 1e6:8.2f} ms")
    print(f"  plant coupled:       {runs[1] / 1e6:8.2f} ms")
    return [("coupling_overhead_ratio", f"{runs[1] / runs[0]:.3f}")]


def network(results_dir):
    """One max-min recompute of 10,000 flows on a 4,096-GPU fat-tree (bench_network.cpp)."""
    benchmarks = load(results_dir, "firstwall_bench_network")
    runs = per_op_ns(benchmarks, "BM_MaxMinRecompute")
    if 10000 not in runs:
        raise SystemExit("summarize.py: BM_MaxMinRecompute/10000 is needed")
    print("max-min recompute, 10,000 flows, 4,096-GPU fat-tree: CPU time (fastest repetition)")
    print(f"  {runs[10000] / 1e6:8.2f} ms (target <= 100)")
    return [("maxmin_10k_flows_ms", f"{runs[10000] / 1e6:.2f}")]


def training(results_dir):
    """One Llama-3-405B step on 16,384 H100s through the scenario run (bench_training.cpp)."""
    benchmarks = load(results_dir, "firstwall_bench_training")
    runs = [b for b in benchmarks if b.get("run_type", "iteration") == "iteration"
            and b.get("run_name", b["name"]).startswith("BM_TrainingStep16k")]
    if not runs:
        raise SystemExit("summarize.py: BM_TrainingStep16k is needed")
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    best = min(runs, key=lambda b: b["real_time"])
    seconds = best["real_time"] * scale[best.get("time_unit", "ns")]
    print("one Llama-3-405B training step on 16,384 GPUs, whole run: wall time (fastest repetition)")
    print(f"  {seconds:8.3f} s, {best['events']:.0f} events, {best['events_per_s']:.3g} events/s "
          f"(target <= 10 s)")
    return [("training_step_16k_gpus_s", f"{seconds:.3f}"),
            ("training_step_16k_events_per_s", f"{best['events_per_s']:.0f}")]


def hall_scale(results_dir):
    """Hall-scale figures on the CLI (tools/bench/bench_cli.py), with the load average."""
    with (Path(results_dir) / "firstwall_bench_cli.json").open() as f:
        r = json.load(f)
    print("hall scale, firstwall CLI in child processes (1-minute load average before/after)")
    print(f"  hall, 1 h, 1,024 GPUs, plant coupled: {r['hall_1h_1024gpu_s']:7.1f} s CPU "
          f"({r['hall_1h_1024gpu_wall_s']:.1f} s wall; load {r['hall_load_before']:.1f}/"
          f"{r['hall_load_after']:.1f}; target <= 40 s)")
    if r.get("hall_requests_line"):
        print(f"    {r['hall_requests_line']}")
    print(f"  sweep, 200 points: -j1 {r['sweep_j1_wall_s']:.1f} s (load {r['sweep_j1_load_before']:.1f}/"
          f"{r['sweep_j1_load_after']:.1f}), -j2 {r['sweep_j2_wall_s']:.1f} s (load "
          f"{r['sweep_j2_load_before']:.1f}/{r['sweep_j2_load_after']:.1f}): speedup "
          f"{r['sweep_speedup_j2']:.2f} (target >= 1.8)")
    print(f"  100,000-GPU plant, 1 simulated minute: peak RSS {r['peak_rss_100k_gpus_mib']:.0f} MiB "
          f"({r['rss_100k_cpu_s']:.1f} s CPU; target <= 4,096 MiB)")
    load = max(v for k, v in r.items() if "load" in k)
    return [("hall_1h_1024gpu_s", f"{r['hall_1h_1024gpu_s']:.1f}"),
            ("sweep_speedup_j2", f"{r['sweep_speedup_j2']:.2f}"),
            ("peak_rss_100k_gpus_mib", f"{r['peak_rss_100k_gpus_mib']:.0f}"),
            ("hall_scale_load_avg_max", f"{load:.1f}")]


# Add new summaries before engine_hold: its line is expected to be the last one.
SUMMARIES = [
    kernels,
    plant,
    network,
    training,
    hall_scale,
    engine_hold,
]


def main():
    results_dir = sys.argv[1] if len(sys.argv) > 1 else "build/bench-results"
    metrics = []
    for summary in SUMMARIES:
        metrics.extend(summary(results_dir))
        print()
    for key, value in metrics:
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
