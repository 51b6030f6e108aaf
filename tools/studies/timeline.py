#!/usr/bin/env python3
"""The timeline study (issue 10 §7): who is the first wall, year by year, 2022-2030?

    /usr/bin/python3 tools/studies/timeline.py generate [--firstwall BIN] [-j 2]
    /usr/bin/python3 tools/studies/timeline.py run      [--firstwall BIN] [-j 2] [--out DIR]
    /usr/bin/python3 tools/studies/timeline.py report   TIMELINE.h5 [MAP.h5] [--png FILE] [--md FILE]
    /usr/bin/python3 tools/studies/timeline.py bounds   [--firstwall BIN]

`generate` derives every point's values (the year's server, the request rate of one slice of
the hall, the slice's share of the grid, the users' distance) from the rates and assumptions
below and writes scenarios/studies/timeline.yaml (the brief's rates, 2022-2030, one site and
spilling to far sites) and timeline_map.yaml (year x demand growth per two years). The 2022
load is measured, not chosen: `firstwall walls` finds the request rate at which the 2022 slice
hits its first wall, and the operator runs 2022 at PLANNING_LOAD of it. `run` runs both
studies with `firstwall sweep --keep-runs` and reports; `report` writes the table of first
walls per year (markdown) and the wall map (PNG) from the sweep files.

Everything this script assumes is a constant below, with its source or [A] and the reason;
scenarios/studies/README.md discusses them. Needs /usr/bin/python3 with PyYAML, h5py,
pandas, matplotlib (Debian's python3-yaml, -h5py, -pandas, -matplotlib).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "analysis"))

STUDIES = os.path.join(ROOT, "scenarios", "studies")
BASE = os.path.join(STUDIES, "timeline_base.yaml")
CATALOG = os.path.join(ROOT, "scenarios", "catalog")

YEARS = list(range(2022, 2031))

# The year's hardware: the catalog's server of that year (first volume shipments), then the
# projected servers of scenarios/catalog/projected_gpus.yaml [A].
SERVERS = {
    2022: "dgx-a100",   # A100 (2020 launch; the 2022 fleet)
    2023: "dgx-h100",   # H100 volume 2023
    2024: "hgx-h200",   # H200 2024
    2025: "dgx-b200",   # B200 2025 (8-GPU board; GB200 NVL72 is the rack-scale variant)
    2026: "proj-hgx-2026",
    2027: "proj-hgx-2027",
    2028: "proj-hgx-2028",
    2029: "proj-hgx-2029",
    2030: "proj-hgx-2030",
}

# The brief's growth rates per two years (cited as the brief's; they are those of Gholami et
# al., "AI and Memory Wall", IEEE Micro 2024): LLM size 410x, compute 750x, DRAM bandwidth 2x.
BRIEF_COMPUTE_PER_2Y = 750.0
BRIEF_MODEL_PER_2Y = 410.0
BRIEF_DRAM_BW_PER_2Y = 2.0   # used for the projected GPUs' HBM bandwidth (projected_gpus.yaml)

# The wall map's second axis: the hall's demand growth per two years, from none to the brief's.
MAP_GROWTH = [1.0, 2.0, 3.0, 4.0, 8.0, 16.0, 32.0, 100.0, BRIEF_MODEL_PER_2Y, BRIEF_COMPUTE_PER_2Y]

# The hall and the operator.
SLICE_SERVERS = 4           # timeline_base.yaml: 4 servers, 4 replicas at TP8
HALL_GPUS_2022 = 4096       # [A] a 2022 serving hall: 512 DGX A100 (about 4.3 MW at full load)
PLANNING_LOAD = 0.80        # [A] the operator runs 2022 at 80 % of the rate of its first wall
# [A] The operator buys GPUs by peak FLOP/s, the datasheet figure capacity is planned with:
# GPUs(y) = GPUs(2022) x demand growth / (peak bf16(y) / peak bf16(2022)). Each GPU then gets
# a request rate that grows with its peak FLOP/s; whether its HBM keeps up is what the study
# asks (README).

# The power a server draws from the grid at full load, for sizing and for the hall's demand:
# (8 x TDP + non-GPU max) / 0.885 (the conventional AC chain end to end, REFERENCE.md B.6
# [D]) x 1.2 (cooling and other facility loads of a liquid-cooled AI hall, PUE 1.15-1.25,
# B.7 [S/U]).
CHAIN_EFFICIENCY = 0.885
FACILITY_OVERHEAD = 1.2

# The grid at the hall's site.
GRID_MARGIN_2022 = 1.25     # [A] the 2022 feed is 25 % above the 2022 hall's demand (the
                            # facility stages' 125 % sizing, scenarios/catalog/power_chains.yaml)
GRID_LEAD_TIME_Y = 4        # [A] interconnection lead time: capacity asked for in 2022 arrives
                            # in 2026. REFERENCE.md has no figure; US interconnection queues
                            # report ~5 years from request to operation (LBNL "Queued Up") [U]
GRID_GROWTH_PER_Y = 2.0     # [A] after the lead time the site's feed can double each year (a new
                            # substation block a year); generous, see README

# Spilling: demand beyond the site's grid goes to other sites, where power is; the farther
# the operator goes, the more power it finds. [A] Power for new data centers is spread evenly
# over the Earth's surface: 425 GW in all (5 % of the world's ~8.5 TW of installed generation
# [U]), so the spilled load's farthest site is at the great-circle radius of a spherical cap
# holding it; beyond the whole surface there is no more power (the power wall returns).
EARTH_RADIUS_KM = 6371.0
WORLD_SPARE_POWER_W = 425e9
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM   # 20,015 km: the antipode

POLICIES = ("one-site", "spill")
SEED = 7   # timeline_base.yaml's seed, given to every point (the default would derive one per point)

# ---------------------------------------------------------------------------------------
# Catalog figures (read from the YAML, not copied)

_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}


def quantity(text: str) -> float:
    """'2.25 TFLOP/s' -> 2.25e15 (SI prefixes only; the catalog's GPU and server figures)."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([kMGTP]?)(FLOP/s|B/s|W|B)\s*", str(text))
    if not m:
        raise ValueError(f"cannot read quantity {text!r}")
    return float(m.group(1)) * _PREFIX[m.group(2)]


def catalog():
    gpus, servers = {}, {}
    for name in ("gpus.yaml", "servers.yaml", "projected_gpus.yaml"):
        with open(os.path.join(CATALOG, name)) as f:
            doc = yaml.safe_load(f)
        gpus.update(doc.get("gpus", {}))
        servers.update(doc.get("servers", {}))
    return gpus, servers


def hardware(year: int, gpus, servers) -> dict:
    s = servers[SERVERS[year]]
    g = gpus[s["gpu"]]
    n = int(s["gpus"])
    it_w = n * quantity(g["tdp"]) + quantity(s["other_power"]["max"])
    return {
        "server": SERVERS[year],
        "gpu": s["gpu"],
        "gpus_per_server": n,
        "bf16": quantity(g["peak_flops"]["bf16"]),
        "hbm_bw": quantity(g["hbm_bandwidth"]),
        "tdp": quantity(g["tdp"]),
        "server_grid_w": it_w / CHAIN_EFFICIENCY * FACILITY_OVERHEAD,
    }


# ---------------------------------------------------------------------------------------
# One point: the year's hall and the slice the simulator runs


def spherical_cap_radius_km(area_km2: float) -> float:
    """Great-circle radius of a cap of this area on the Earth (capped at the antipode)."""
    x = 1.0 - area_km2 / (2.0 * math.pi * EARTH_RADIUS_KM ** 2)
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, x)))


def derive(year: int, growth_per_2y: float, policy: str, rate_2022: float, hw: dict) -> dict:
    base = hw[2022]
    h = hw[year]
    t = year - 2022
    demand = growth_per_2y ** (t / 2.0)                       # x 2022's served load
    hall_gpus = HALL_GPUS_2022 * demand * base["bf16"] / h["bf16"]
    hall_servers = hall_gpus / h["gpus_per_server"]
    hall_demand_w = hall_servers * h["server_grid_w"]
    grid_2022 = GRID_MARGIN_2022 * (HALL_GPUS_2022 / base["gpus_per_server"]) * base["server_grid_w"]
    grid_w = grid_2022 * GRID_GROWTH_PER_Y ** max(0, t - GRID_LEAD_TIME_Y + 1)
    available_w, distance_km = grid_w, 0.0
    if policy == "spill" and hall_demand_w > grid_w:
        spilled = hall_demand_w - grid_w
        density = WORLD_SPARE_POWER_W / (4.0 * math.pi * EARTH_RADIUS_KM ** 2)   # W per km^2
        distance_km = spherical_cap_radius_km(spilled / density)
        available_w = grid_w + min(spilled, WORLD_SPARE_POWER_W)
    # The slice carries its share of the hall's load and of the power available to it.
    rate = rate_2022 * h["bf16"] / base["bf16"]
    slice_grid_w = available_w * SLICE_SERVERS / hall_servers
    return {
        "year": year, "growth": growth_per_2y, "policy": policy, "server": h["server"],
        "gpu": h["gpu"], "demand": demand, "hall_gpus": hall_gpus, "hall_demand_w": hall_demand_w,
        "grid_w": grid_w, "available_w": available_w, "distance_km": distance_km,
        "rate": rate, "slice_grid_w": slice_grid_w,
        "flops_ratio": h["bf16"] / base["bf16"], "hbm_ratio": h["hbm_bw"] / base["hbm_bw"],
    }


def fmt(x: float) -> str:
    """12 significant digits, as the sweep rounds generated values."""
    return f"{x:.12g}"


def study_text(points: list, comment: str) -> str:
    lines = [comment.rstrip(), "base: timeline_base.yaml", "mode: zip", "axes:"]
    cols = [
        ("plant.server", lambda p: p["server"]),
        ("workload.arrivals.rate", lambda p: f"{fmt(p['rate'])} /s"),
        ("plant.power.grid_capacity", lambda p: f"{fmt(p['slice_grid_w'])} W"),
        ("workload.users.distance", lambda p: f"{fmt(p['distance_km'])} km"),
        # One seed for every point (common random numbers): the same requests in every year
        # and cell, so that neighbouring points differ by the hall, not by the draw.
        ("seed", lambda p: str(SEED)),
    ]
    for path, value in cols:
        lines.append(f"  {path}:")
        lines += [f"    - {value(p)}" for p in points]
    return "\n".join(lines) + "\n"


def find_rate_2022(firstwall: str, jobs: int) -> tuple[float, str]:
    """The request rate at which the 2022 slice hits its first wall (firstwall walls)."""
    out = os.path.join("/tmp", f"timeline_walls_2022_{os.getpid()}.h5")
    cmd = [firstwall, "walls", BASE, "--axis", "workload.arrivals.rate", "--from", "1 /s",
           "--to", "100 /s", "--log", "--tolerance", "1%", "-j", str(jobs),
           "-o", out]   # the base scenario is the 2022 slice (dgx-a100)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"firstwall walls failed ({r.returncode}):\n{r.stderr}")
    m = re.search(r"first wall: (\S+) at ([0-9.eE+-]+) /s", r.stdout)
    if not m:
        sys.exit(f"no first wall in the 2022 search:\n{r.stdout}")
    os.remove(out) if os.path.exists(out) else None
    return float(m.group(2)), m.group(1)


def generate(args) -> None:
    gpus, servers = catalog()
    hw = {y: hardware(y, gpus, servers) for y in YEARS}
    first_rate, first_wall = find_rate_2022(args.firstwall, args.jobs)
    rate_2022 = PLANNING_LOAD * first_rate
    header = (
        "# Generated by tools/studies/timeline.py generate - do not edit; change the script.\n"
        f"# The 2022 slice (dgx-a100) hits its first wall, {first_wall}, at {first_rate:.4g} /s\n"
        f"# (firstwall walls timeline_base.yaml --axis workload.arrivals.rate, 1-100 /s, log, 1 %);\n"
        f"# the operator runs it at {PLANNING_LOAD:.0%} of that: {rate_2022:.4g} /s per slice.\n"
        "# Values per point: README.md beside this file.\n")
    brief = [derive(y, k, pol, rate_2022, hw) for y, pol, k in _order([BRIEF_COMPUTE_PER_2Y])]
    with open(os.path.join(STUDIES, "timeline.yaml"), "w") as f:
        f.write(study_text(brief, header + "# The brief's rates (demand 750x per two years), "
                           "2022-2030: one site, then spilling to far sites.\n"))
    grid = [derive(y, k, pol, rate_2022, hw) for y, pol, k in _order(MAP_GROWTH)]
    with open(os.path.join(STUDIES, "timeline_map.yaml"), "w") as f:
        f.write(study_text(grid, header + "# The wall map: year x demand growth per two years "
                           f"({', '.join(fmt(k) for k in MAP_GROWTH)}), both policies.\n"))
    print(f"2022 first wall {first_wall} at {first_rate:.4g} /s; planned {rate_2022:.4g} /s")
    print(f"wrote {len(brief)} points to timeline.yaml, {len(grid)} to timeline_map.yaml")


# ---------------------------------------------------------------------------------------
# Reading the sweeps back

# The brief's three walls, by the simulator's wall kinds (DESIGN.md "Walls").
CATEGORY = {"hbm_bandwidth": "memory", "hbm_capacity": "memory", "power": "power",
            "propagation": "light", "latency_slo": "SLO", "compute": "compute",
            "cooling": "cooling", "thermal": "cooling", "network": "network", "host": "host"}
COLOURS = {"memory": "#1f77b4", "power": "#d62728", "light": "#9467bd", "SLO": "#ff7f0e",
           "compute": "#2ca02c", "cooling": "#17becf", "network": "#8c564b", "host": "#7f7f7f",
           "none": "#dddddd", "failed": "#000000"}


def _order(growths) -> list:
    """(year, policy, growth) of each point, in the order generate() writes them."""
    return [(y, pol, k) for pol in POLICIES for k in growths for y in YEARS]


def _labels(n: int) -> list:
    brief, grid = _order([BRIEF_COMPUTE_PER_2Y]), _order(MAP_GROWTH)
    if n == len(grid):
        return grid
    if n <= len(brief):
        return brief[:n]
    raise SystemExit(f"{n} points: neither the timeline (<= {len(brief)}) nor the map "
                     f"({len(grid)})")


def point_table(path: str):
    """/points with the year, policy and growth read back from the name axis, and per point
    the earliest hit time of each wall category (from --keep-runs' /runs/<id>/walls)."""
    import h5py
    import numpy as np
    from firstwall.load import table_frame

    with h5py.File(path, "r") as f:
        pts = table_frame(f["points"])
        earliest = []
        for pid in pts["point"]:
            grp = f.get(f"runs/{int(pid)}")
            hits = {}
            if grp is not None and "walls" in grp:
                w = table_frame(grp["walls"])
                col = "first_hit" if "first_hit" in w.columns else [
                    c for c in w.columns if c.startswith("first_hit")][0]
                for _, row in w.iterrows():
                    t = row[col]
                    if t == t:   # not NaN
                        c = CATEGORY.get(row["kind"], row["kind"])
                        hits[c] = min(hits.get(c, np.inf), float(t))
            earliest.append(hits)
    # The points' labels by generation order (no label axis: a scenario's `name` keys its
    # random streams, and a name per point would break the common random numbers). The
    # timeline (or its first points, as the test runs) and the map are told by their size.
    labels = _labels(len(pts))
    pts["year"] = [l[0] for l in labels]
    pts["policy"] = [l[1] for l in labels]
    pts["growth"] = [l[2] for l in labels]
    pts["hits"] = earliest
    pts["category"] = [
        "failed" if s != "ok" else (CATEGORY.get(k, k) if isinstance(k, str) and k else "none")
        for s, k in zip(pts["status"], pts["first_wall_kind"])]
    return pts


def _si(x: float, unit: str) -> str:
    for p, s in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= p:
            return f"{x / p:.3g} {s}{unit}"
    return f"{x:.3g} {unit}"


def _wall_cell(r) -> str:
    if r is None:
        return "-"
    if r.status != "ok":
        return f"failed: {r.error}"
    if not r.first_wall:
        return f"none (nearest `{r.nearest_wall}`)"
    t = r.hits.get(r.category, float("nan"))
    also = sorted(c for c in r.hits if c != r.category)
    tail = f"; also hit: {', '.join(also)}" if also else ""
    return f"{r.category}: `{r.first_wall}` at {t:.3g} s{tail}"


def derived_points(rate_2022: float, growths) -> dict:
    gpus, servers = catalog()
    hw = {y: hardware(y, gpus, servers) for y in YEARS}
    return {(y, k, pol): derive(y, k, pol, rate_2022, hw)
            for y in YEARS for k in growths for pol in POLICIES}


def rate_2022_of(pts) -> float:
    r = pts[pts.year == 2022]["workload.arrivals.rate"]
    return float(r.iloc[0])


def markdown_table(pts, growth: float) -> str:
    d = derived_points(rate_2022_of(pts), [growth])
    rows = [f"Demand growth {fmt(growth)}x per two years.", "",
            "| year | GPU | peak / HBM BW vs 2022 | rate per slice | hall GPUs | hall demand | "
            "site grid | one site: first wall | spill: farthest users | spill: first wall |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for y in YEARS:
        sel = pts[(pts.year == y) & (pts.growth == growth)]
        one = sel[sel.policy == "one-site"]
        sp = sel[sel.policy == "spill"]
        if one.empty:
            continue
        o = one.iloc[0]
        s = sp.iloc[0] if not sp.empty else None
        p = d[(y, growth, "spill")]
        dist = f"{p['distance_km']:,.0f} km" if s is not None else "-"
        rows.append(
            f"| {y} | {p['gpu']} | {p['flops_ratio']:.3g}x / {p['hbm_ratio']:.3g}x | "
            f"{p['rate']:.3g} /s | {p['hall_gpus']:.3g} | {_si(p['hall_demand_w'], 'W')} | "
            f"{_si(p['grid_w'], 'W')} | {_wall_cell(o)} | {dist} | {_wall_cell(s)} |")
    return "\n".join(rows) + "\n"


def wall_map(pts, png: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    growths = sorted(pts.growth.unique())
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
    for ax, pol in zip(axes, POLICIES):
        sel = pts[pts.policy == pol]
        for _, r in sel.iterrows():
            j = growths.index(r.growth)
            ax.add_patch(plt.Rectangle((r.year - 0.5, j - 0.5), 1, 1,
                                       color=COLOURS.get(r.category, "#bcbd22")))
            label = r.category if r.category != "none" else ""
            ax.text(r.year, j, label, ha="center", va="center", fontsize=7,
                    color="white" if r.category not in ("none",) else "black")
        ax.set_xlim(YEARS[0] - 0.5, YEARS[-1] + 0.5)
        ax.set_ylim(-0.5, len(growths) - 0.5)
        ax.set_xticks(YEARS)
        ax.set_yticks(range(len(growths)))
        ax.set_yticklabels([f"{fmt(g)}x" for g in growths])
        ax.set_xlabel("year")
        ax.set_title("one site (grid built in time)" if pol == "one-site"
                     else "demand beyond the grid spilled to far sites")
    axes[0].set_ylabel("hall demand growth per two years (brief: 750x)")
    used = sorted(set(pts.category))
    fig.legend(handles=[Patch(color=COLOURS.get(c, "#bcbd22"), label=c) for c in used],
               loc="lower center", ncol=len(used), frameon=False)
    fig.suptitle("First wall by year and demand growth (firstwall timeline study)")
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    fig.savefig(png, dpi=120)
    plt.close(fig)


def report(args) -> None:
    pts = point_table(args.timeline)
    text = ["## First wall per year, the brief's rates", "",
            markdown_table(pts, BRIEF_COMPUTE_PER_2Y)]
    if args.map:
        mp = point_table(args.map)
        for k in (1.0, 3.0, 8.0):
            if k in set(mp.growth):
                text += ["", markdown_table(mp, k)]
        if args.png:
            wall_map(mp, args.png)
            text += ["", f"wall map: {args.png}"]
    out = "\n".join(text)
    if args.md:
        with open(args.md, "w") as f:
            f.write(out)
    print(out)


def run(args) -> None:
    os.makedirs(args.out, exist_ok=True)
    files = {}
    for name in ("timeline", "timeline_map"):
        h5 = os.path.join(args.out, f"{name}.h5")
        cmd = [args.firstwall, "sweep", os.path.join(STUDIES, f"{name}.yaml"), "--keep-runs",
               "-j", str(args.jobs), "-o", h5]
        start = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True)
        print(f"{' '.join(cmd)}: exit {r.returncode}, {time.monotonic() - start:.1f} s wall time")
        if r.returncode not in (0, 1):
            sys.exit(r.stderr)
        sys.stdout.write(r.stdout)
        files[name] = h5
    args.timeline, args.map = files["timeline"], files["timeline_map"]
    report(args)


def bounds(args) -> None:
    """What bounds each year's replicas with the grid out of the way (1 GW), with the serving
    stack's calibrated host costs and with none (a host stack that keeps up): busy-time
    shares and the rank-1 wall of each one-site point of timeline.yaml."""
    import h5py
    from firstwall.load import table_frame

    with open(os.path.join(STUDIES, "timeline.yaml")) as f:
        axes = yaml.safe_load(f)["axes"]
    out = os.path.join("/tmp", f"timeline_bounds_{os.getpid()}.h5")
    print("| host costs | year | HBM-bound | host | communication | compute | TPOT p99 | rank-1 wall |")
    print("|---|---|---|---|---|---|---|---|")
    for host in (True, False):
        for i, year in enumerate(YEARS):
            sets = [f"plant.server={axes['plant.server'][i]}",
                    f"workload.arrivals.rate={axes['workload.arrivals.rate'][i]}",
                    "plant.power.grid_capacity=1 GW"]
            if not host:
                sets += ["workload.iteration_overhead=0 s", "workload.request_overhead=0 s",
                         "workload.launch_overhead=0 s"]
            cmd = [args.firstwall, "run", BASE, "-o", out]
            for v in sets:
                cmd += ["--set", v]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode not in (0, 1):
                sys.exit(r.stderr)
            with h5py.File(out, "r") as f:
                sm = table_frame(f["summary"]).iloc[0]
                w = table_frame(f["walls"])
            top = w[w["rank"] == 1].iloc[0]
            col = [c for c in w.columns if c.startswith("first_hit")][0]
            state = "hit" if top[col] == top[col] else "nearest"   # NaN: not hit
            print(f"| {'calibrated' if host else 'none'} | {year} | {sm.busy_share_hbm:.1%} | "
                  f"{sm.busy_share_host:.1%} | {sm.busy_share_comm:.1%} | "
                  f"{sm.busy_share_compute:.1%} | {sm.tpot_p99 * 1e3:.1f} ms | "
                  f"`{top['name']}` ({top['kind']}, {state}) |")
    os.remove(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    default_fw = os.path.join(ROOT, "build", "tools", "firstwall")
    g = sub.add_parser("generate", help="write timeline.yaml and timeline_map.yaml")
    g.add_argument("--firstwall", default=default_fw)
    g.add_argument("-j", "--jobs", type=int, default=2)
    r = sub.add_parser("run", help="run both studies and report")
    r.add_argument("--firstwall", default=default_fw)
    r.add_argument("-j", "--jobs", type=int, default=2)
    r.add_argument("--out", default=os.path.join(ROOT, "results"))
    r.add_argument("--png", default=os.path.join(ROOT, "docs", "figures", "timeline_wall_map.png"))
    r.add_argument("--md", default=None)
    b = sub.add_parser("bounds", help="busy-time shares per year, with and without host costs")
    b.add_argument("--firstwall", default=default_fw)
    s = sub.add_parser("report", help="table and wall map from sweep files")
    s.add_argument("timeline")
    s.add_argument("map", nargs="?")
    s.add_argument("--png", default=None)
    s.add_argument("--md", default=None)
    args = p.parse_args(argv)
    {"generate": generate, "run": run, "report": report, "bounds": bounds}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
