#!/usr/bin/python3
"""Hall-scale figures of `make bench` (issue 10 §6), measured on the firstwall CLI as users run it.

Usage: tools/bench/bench_cli.py BUILD_DIR OUT_JSON [--only hall,sweep,rss]

Each figure runs `firstwall` in a child process and reads the child's resource usage
(getrusage(RUSAGE_CHILDREN): CPU time, and the peak resident set ru_maxrss), so that nothing
of this script is counted:

- hall_1h_1024gpu_s: CPU time (user + system) of `firstwall run
  scenarios/bench/hall_1h_1024gpu.yaml`, one hour of a 1,024-GPU hall, plant coupled, about
  1.0 M requests from the Splitwise conversation trace. The run is single-threaded, so its
  CPU time is its time on one core; wall time is also recorded (it includes waiting for a
  core on a shared machine). Target <= 40 s.
- sweep_speedup_j2: wall time of `firstwall sweep scenarios/bench/sweep_200.yaml` (200
  points) at -j1 over the same at -j2. Target >= 1.8.
- peak_rss_100k_gpus_mib: peak resident set of `firstwall run
  scenarios/bench/plant_100k_gpus.yaml`, a 100,000-GPU plant built and run for one simulated
  minute. Target <= 4,096 MiB.

The 1-minute load average is recorded before and after each measurement: wall-time figures
(the sweep speedup) mean little when other processes hold the cores.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loadavg():
    return os.getloadavg()[0]


def measure(argv):
    """Runs argv in a child; returns a dict of its wall time, CPU time and peak RSS."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = loadavg()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"bench_cli.py: {' '.join(argv)} exited {proc.returncode}:\n{err}")
    return {
        "argv": argv,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        # RUSAGE_CHILDREN's ru_maxrss is the largest of all children waited for: it is this
        # child's only in a fresh interpreter, which is how rss() below calls measure().
        "maxrss_mib": after.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": loadavg(),
        "stdout": out,
    }


def hall(firstwall):
    with tempfile.TemporaryDirectory(prefix="firstwall-bench-hall-") as tmp:
        r = measure([firstwall, "run", str(ROOT / "scenarios/bench/hall_1h_1024gpu.yaml"),
                     "-o", f"{tmp}/hall.h5"])
    requests = None
    for line in r["stdout"].splitlines():
        if "requests" in line and requests is None:
            requests = line.strip()
    return {
        "hall_1h_1024gpu_s": r["cpu_s"],
        "hall_1h_1024gpu_wall_s": r["wall_s"],
        "hall_requests_line": requests,
        "hall_load_before": r["load_before"],
        "hall_load_after": r["load_after"],
    }


def sweep(firstwall):
    study = str(ROOT / "scenarios/bench/sweep_200.yaml")
    out = {}
    with tempfile.TemporaryDirectory(prefix="firstwall-bench-sweep-") as tmp:
        for j in (1, 2):
            r = measure([firstwall, "sweep", study, "-j", str(j), "-o", f"{tmp}/j{j}.h5"])
            out[f"sweep_j{j}_wall_s"] = r["wall_s"]
            out[f"sweep_j{j}_cpu_s"] = r["cpu_s"]
            out[f"sweep_j{j}_load_before"] = r["load_before"]
            out[f"sweep_j{j}_load_after"] = r["load_after"]
    out["sweep_speedup_j2"] = out["sweep_j1_wall_s"] / out["sweep_j2_wall_s"]
    return out


def rss(firstwall):
    # In a fresh interpreter, so that RUSAGE_CHILDREN's maximum is this child's alone.
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_cli; "
        "r = bench_cli.measure([sys.argv[2], 'run', sys.argv[3], '-o', sys.argv[4]]); "
        "r.pop('stdout'); print(json.dumps(r))"
    )
    with tempfile.TemporaryDirectory(prefix="firstwall-bench-rss-") as tmp:
        res = subprocess.run(
            [sys.executable, "-c", code, str(Path(__file__).parent), firstwall,
             str(ROOT / "scenarios/bench/plant_100k_gpus.yaml"), f"{tmp}/plant.h5"],
            check=True, capture_output=True, text=True)
    r = json.loads(res.stdout)
    return {
        "peak_rss_100k_gpus_mib": r["maxrss_mib"],
        "rss_100k_cpu_s": r["cpu_s"],
        "rss_100k_wall_s": r["wall_s"],
        "rss_100k_load_before": r["load_before"],
        "rss_100k_load_after": r["load_after"],
    }


FIGURES = {"hall": hall, "sweep": sweep, "rss": rss}


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    build, out_json = Path(sys.argv[1]), Path(sys.argv[2])
    only = list(FIGURES)
    if len(sys.argv) > 4 and sys.argv[3] == "--only":
        only = sys.argv[4].split(",")
    firstwall = str(build / "tools/firstwall")
    if not os.access(firstwall, os.X_OK):
        raise SystemExit(f"bench_cli.py: {firstwall} not found (build the firstwall target)")
    results = {}
    for name in only:
        print(f"== bench_cli {name}", flush=True)
        results.update(FIGURES[name](firstwall))
    out_json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
