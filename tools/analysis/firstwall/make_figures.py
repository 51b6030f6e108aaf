"""`make figures`: the README's figures, regenerated from the shipped scenarios.

    PYTHONPATH=tools/analysis /usr/bin/python3 -m firstwall.make_figures \\
        --firstwall build/tools/firstwall [--out docs/figures] [--work results/figures] [-j 2]

Runs three studies of scenarios/default.yaml with the CLI, writes their files into --work
and their figures as PNG into --out, and prints the numbers the README quotes:
  1. a run of the scenario as shipped (5 min of arrivals, 2 min of drain):
     run_timeseries.png, run_walls.png, run_power_flow.png;
  2. a sweep of the request rate (2 to 32 /s, 9 log steps) against the ambient dry-bulb
     temperature (15 to 45 degC, 7 steps), 60 s of arrivals per point: sweep_wall_map.png;
  3. the first wall along the request rate from 1 to 64 /s (log steps): walls_search.png.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")

from . import figures as figs  # noqa: E402
from .load import load  # noqa: E402

SCENARIO = "scenarios/default.yaml"
SWEEP_AXES = ["workload.arrivals.rate=log:2 /s:32 /s:9",
              "plant.cooling.ambient.dry_bulb=15 degC:45 degC:7",
              "simulation.duration=60 s"]
WALLS_ARGS = ["--axis", "workload.arrivals.rate", "--from", "1 /s", "--to", "64 /s", "--log"]


def _cli(firstwall: str, args: list) -> None:
    print("$ firstwall " + " ".join(f"'{a}'" if " " in a else a for a in args), flush=True)
    started = time.monotonic()
    r = subprocess.run([firstwall] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, check=False)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"firstwall {args[0]} failed with exit code {r.returncode}")
    print(f"  ({time.monotonic() - started:.1f} s)", flush=True)


def _save(fig, out_dir: str, name: str) -> None:
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    print(f"  wrote {path}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--firstwall", required=True, help="the firstwall executable")
    p.add_argument("--out", default="docs/figures")
    p.add_argument("--work", default="results/figures", help="folder of the .h5 files")
    p.add_argument("-j", "--jobs", default="2")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    run_h5 = os.path.join(args.work, "default.h5")
    sweep_h5 = os.path.join(args.work, "rate_x_ambient.h5")
    walls_h5 = os.path.join(args.work, "default.walls.h5")

    _cli(args.firstwall, ["run", SCENARIO, "-o", run_h5])
    sweep = [a for axis in SWEEP_AXES for a in ("--axis", axis)]
    _cli(args.firstwall, ["sweep", SCENARIO] + sweep + ["-j", args.jobs, "-o", sweep_h5])
    _cli(args.firstwall, ["walls", SCENARIO] + WALLS_ARGS + ["-j", args.jobs, "-o", walls_h5])

    run = load(run_h5)
    _save(figs.timeseries_figure(run), args.out, "run_timeseries.png")
    _save(figs.walls_figure(run), args.out, "run_walls.png")
    _save(figs.power_flow_figure(run), args.out, "run_power_flow.png")
    s = load(sweep_h5)
    _save(figs.wall_map_figure(s), args.out, "sweep_wall_map.png")
    w = load(walls_h5)
    _save(figs.wall_search_figure(w), args.out, "walls_search.png")

    # The numbers the README's Figures section quotes.
    first = run.walls[run.walls["first_hit_time"].notna()].sort_values("first_hit_time")
    print("\nrun: first wall", first["name"].iloc[0] if len(first) else "none",
          f"at {first['first_hit_time'].iloc[0]:.1f} s" if len(first) else "")
    flow = figs.power_flow(run)
    grid = dict(flow["grid"])
    print("run: facility {:.3f} kWh, IT {:.1%}, PUE {:.3f}".format(
        flow["facility"] / 3.6e6, grid["IT"] / flow["facility"], flow["pue"]))
    print("run: power flow grid shares " + ", ".join(
        f"{k} {v / flow['facility']:.1%}" for k, v in flow["grid"]))
    print("run: heat " + ", ".join(f"{k} {v / 3.6e6:.3f} kWh" for k, v in flow["heat"]))
    cats = figs.wall_map_categories(s)
    print("sweep: first walls " + ", ".join(f"{c}: {n}" for c, n in cats.value_counts().items()))
    x, y = s.varied_axes()[:2]
    for c in cats.unique():
        sel = s.points[cats == c]
        print(f"sweep: {c}: {x} {sel[x].min():g}..{sel[x].max():g}, "
              f"{y} {sel[y].min():g}..{sel[y].max():g}")
    hit = w.walls[w.walls["status"].isin(["hit", "hit_at_start"])]
    print("walls: " + ", ".join(f"{r.name} at {r.value:.4g} {w.unit}" for r in hit.itertuples()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
