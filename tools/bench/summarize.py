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


# Add new summaries before engine_hold: its line is expected to be the last one.
SUMMARIES = [
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
