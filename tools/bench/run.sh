#!/usr/bin/env bash
# `make bench`: runs every benchmark program, keeps its JSON, then prints a summary.
#
# Usage: tools/bench/run.sh [build-dir]
# Output: the benchmarks' own console tables, then summary tables and `key=value` lines from
# tools/bench/summarize.py; the last line is `engine_hold_ratio_max=X`.
#
# To add a benchmark: build it in tools/CMakeLists.txt (inside if(FIRSTWALL_BENCH)), list it
# in `programs` below, and add a summary function for its JSON to summarize.py.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
out_dir="$build/bench-results"
mkdir -p "$out_dir"

# Programs, relative to the build directory. Each writes $out_dir/<program name>.json.
programs=(
  tools/firstwall_bench_kernels
  tools/firstwall_bench_plant
  tools/firstwall_bench_network
  tools/firstwall_bench_training
  tools/firstwall_bench_engine
)

# Google Benchmark 1.8 wants a unit on --benchmark_min_time ("0.5s"); 1.7 rejects one.
min_time=0.5
if version="$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null)" &&
   dpkg --compare-versions "$version" ge 1.8; then
  min_time=0.5s
fi

# Repetitions run in random interleaved order, so that a burst of load on this (often shared)
# machine hits all variants alike; summarize.py takes the fastest repetition of each.
bench_args=(
  --benchmark_min_time="$min_time"
  --benchmark_repetitions=3
  --benchmark_enable_random_interleaving=true
  --benchmark_display_aggregates_only=true
)

for program in "${programs[@]}"; do
  exe="$build/$program"
  if [[ ! -x "$exe" ]]; then
    echo "run.sh: $exe not found (configure with -DFIRSTWALL_BENCH=ON and build)" >&2
    exit 1
  fi
  name="$(basename "$program")"
  echo "== $name"
  "$exe" "${bench_args[@]}" --benchmark_out="$out_dir/$name.json" --benchmark_out_format=json
done

# Hall-scale figures on the firstwall CLI in child processes (hall_1h_1024gpu_s,
# sweep_speedup_j2, peak_rss_100k_gpus_mib): bench_cli.py writes its own JSON.
if [[ ! -x "$build/tools/firstwall" ]]; then
  echo "run.sh: $build/tools/firstwall not found (build the firstwall target)" >&2
  exit 1
fi
/usr/bin/python3 "$here/bench_cli.py" "$build" "$out_dir/firstwall_bench_cli.json"

/usr/bin/python3 "$here/summarize.py" "$out_dir"
