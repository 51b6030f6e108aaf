#!/usr/bin/python3
"""Fits NCCL's protocol physics (models/network/collective.hpp) to Vidur's measured DGX-A100
collectives and writes models/network/calibration/nccl_protocol.yaml with its provenance.

Parameters (one set for every GPU and fabric; bandwidths come from the catalog):
  launch_latency        once per collective (kernel launch)
  scale_up.step_latency, scale_up.efficiency     alpha, eta of a step on NVLink
  scale_out.step_latency, scale_out.efficiency   alpha, eta of a step through a NIC
  reduction_efficiency  rho: a reduce step's pace relative to a copy step
and one discrete choice, the all-reduce algorithm across servers (ring or hierarchical).

The model is the uncontended alpha-beta form of collective.hpp (collective_alpha_beta), which
tests/network/test_collective.cpp shows equal to the flow simulation; the fitted file is then
checked by running `firstwall validate collectives` on each input, and those medians are what
the file records.

Data: Vidur's a100_dgx all_reduce.csv and send_recv.csv (size in bytes, median time in ms of
rank 0; num_workers GPUs, devices_per_node of them per server). All rows are in-sample. The
H100 measurements the model is checked on are not used (none are in this repository).

Fit: minimise the mean absolute relative error over the rows of both files (each file
weighted equally), Nelder-Mead from a grid of starts, in log-space for the latencies and
logit-space for the fractions.

Usage (from the repository root, firstwall built in BUILD):
  /usr/bin/python3 tools/analysis/fit_collectives.py BUILD/tools/firstwall \
      ../shared/data/vidur/data/profiling/network/a100_dgx --write models/network/calibration/nccl_protocol.yaml
"""
import datetime
import hashlib
import math
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import minimize

SERVER = "dgx-a100"


def catalog_figures(root):
    """Per-direction bandwidths and route latencies of dgx-a100 from networks.yaml."""
    cat = yaml.safe_load(open(os.path.join(root, "scenarios/catalog/networks.yaml")))
    srv = cat["servers"][SERVER]
    up = cat["scale_up_fabrics"][srv["scale_up"]]
    nic = cat["nics"][srv["nic"]]
    sw = cat["switches"][srv["switch"]]

    def q(text):  # "300 GB/s", "200 Gb/s", "150 ns"
        v, unit = text.split()
        v = float(v)
        scale = {"GB/s": 1e9, "Gb/s": 1e9 / 8, "ns": 1e-9, "us": 1e-6}[unit]
        return v * scale

    link = q(up.get("link_latency", "0 ns"))
    return dict(
        bu=q(up["gpu_bandwidth"]), bx=q(nic["bandwidth"]),
        # GPU -> NVSwitch -> GPU; GPU -> leaf -> GPU (same rail); leaf -> spine -> leaf.
        lu=2 * link + q(up.get("switch_latency", "0 ns")),
        lsame=q(sw["latency"]), lcross=3 * q(sw["latency"]))


def predict(p, fig, op, n, g, size, multi):
    launch, au, eu, ax, ex, rho = p
    N = n // g
    bu, bx = eu * fig["bu"], ex * fig["bx"]
    tu = lambda b: au + fig["lu"] + b / bu
    tx = lambda b, l: ax + l + b / bx
    S = size
    if op == "send_recv":
        return launch + (tu(S) if g >= 2 else tx(S, fig["lsame"]))
    if N == 1:
        return launch + (n - 1) * tu(S / n / rho) + (n - 1) * tu(S / n)
    if multi == "ring":
        def step(f):
            chunk = S / (n * g) / f
            t = tx(chunk, fig["lcross"] if g > 1 else fig["lsame"])
            if g > 1:
                t = np.maximum(t, au + fig["lu"] + (g - 1) * chunk / bu)
            return t
        return launch + (n - 1) * step(rho) + (n - 1) * step(1.0)
    half = lambda f: (g - 1) * (tu(S / g / f) if g > 1 else 0) + (N - 1) * tx(S / (g * N) / f, fig["lsame"])
    return launch + half(rho) + half(1.0)


def load(folder):
    out = []
    for op in ("all_reduce", "send_recv"):
        path = os.path.join(folder, op + ".csv")
        d = pd.read_csv(path)
        out.append(dict(op=op, path=path, n=d.num_workers.to_numpy(int), g=d.devices_per_node.to_numpy(int),
                        size=d["size"].to_numpy(float), t=d[f"time_stats.{op}.median"].to_numpy(float) * 1e-3))
    return out


def errors(p, fig, data, multi):
    errs = []
    for f in data:
        pred = np.empty_like(f["t"])
        for key in set(zip(f["n"], f["g"])):
            m = (f["n"] == key[0]) & (f["g"] == key[1])
            pred[m] = predict(p, fig, f["op"], key[0], key[1], f["size"][m], multi)
        errs.append(pred / f["t"] - 1)
    return errs


def unpack(x):
    return [math.exp(x[0]), math.exp(x[1]), 1 / (1 + math.exp(-x[2])), math.exp(x[3]),
            1 / (1 + math.exp(-x[4])), 1 / (1 + math.exp(-x[5]))]


def fit(fig, data, multi):
    def loss(x):
        return sum(np.mean(np.abs(e)) for e in errors(unpack(x), fig, data, multi))
    best = None
    logit = lambda v: math.log(v / (1 - v))
    for launch in (1e-6, 5e-6):
        for au in (2e-6, 5e-6):
            for ex in (0.3, 0.8):
                x0 = [math.log(launch), math.log(au), logit(0.7), math.log(20e-6), logit(ex), logit(0.8)]
                r = minimize(loss, x0, method="Nelder-Mead", options=dict(maxiter=4000, xatol=1e-6, fatol=1e-9))
                if best is None or r.fun < best.fun:
                    best = r
    return unpack(best.x), best.fun


def run_validate(firstwall, csv, calibration):
    out = subprocess.run([firstwall, "validate", "collectives", "--vidur", csv, "--server", SERVER,
                          "--calibration", calibration], check=True, capture_output=True, text=True).stdout
    last = out.strip().splitlines()[-1]
    per_workers = dict(re.findall(r"^workers=(\S+) .*median_abs_pct_error=([0-9.]+)", out, re.M))
    return float(last.split("=")[1]), {k: float(v) for k, v in per_workers.items()}


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    firstwall, folder = sys.argv[1], sys.argv[2]
    out_path = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fig = catalog_figures(root)
    data = load(folder)
    candidates = {}
    for multi in ("ring", "hierarchical"):
        p, loss = fit(fig, data, multi)
        med = [float(np.median(np.abs(e)) * 100) for e in errors(p, fig, data, multi)]
        candidates[multi] = (p, loss, med)
        print(f"{multi}: loss={loss:.4f} medians={med} params={p}")
    multi = min(candidates, key=lambda k: candidates[k][1])
    p = candidates[multi][0]
    launch, au, eu, ax, ex, rho = p
    rel = lambda path: os.path.relpath(path, root)
    text = f"""# NCCL's protocol physics for the collectives of models/network (collective.hpp): a launch
# latency per collective, per step latency and achieved fraction of line rate of each tier
# (NVLink through NVSwitch; a NIC), and the pace of a reduce step relative to a copy. One set
# for every GPU and fabric: the bandwidths come from scenarios/catalog/networks.yaml, so an
# H100 (NVLink4, NDR) gets its figures from the catalog and these, never from its own fit.
# Fitted on Vidur's DGX-A100 measurements (all rows in-sample). Generated by
# tools/analysis/fit_collectives.py; do not edit by hand. Regenerate it by running
# provenance.command from the repository root (with ../shared/data beside the clone).
format: 1
launch_latency: {launch * 1e6:.2f} us
scale_up: {{step_latency: {au * 1e6:.2f} us, efficiency: {eu:.4f}}}
scale_out: {{step_latency: {ax * 1e6:.2f} us, efficiency: {ex:.4f}}}
reduction_efficiency: {rho:.4f}
multi_server_all_reduce: {multi}
provenance:
  command: "/usr/bin/python3 tools/analysis/fit_collectives.py {rel(firstwall)} {rel(folder)} --write {rel(out_path) if out_path else ''}"
  date: "{datetime.date.today().isoformat()}"
  firstwall_version: "0.1.0"
  input:
    file: "{rel(data[0]['path'])}"
    sha256: "{sha256(data[0]['path'])}"
    rows: {len(data[0]['t'])}
  inputs:
    - {{file: "{rel(data[1]['path'])}", sha256: "{sha256(data[1]['path'])}", rows: {len(data[1]['t'])}}}
  method: "the uncontended alpha-beta forms of collective.hpp (equal to the flow simulation, tests/network) on {SERVER} (NVLink3 300 GB/s, HDR 200 Gb/s per GPU, networks.yaml); Nelder-Mead on the mean absolute relative error of both files (each weighted equally) from 8 starts; the all-reduce algorithm across servers is the candidate with the lower loss"
  candidates:
"""
    for k, (cp, loss, med) in candidates.items():
        text += f"    - {{algorithm: {k}, loss: {loss:.4f}, all_reduce_median_abs_pct_error: {med[0]:.2f}, send_recv_median_abs_pct_error: {med[1]:.2f}}}\n"
    text += '  in_sample: "every row of both files (a100_dgx all_reduce.csv and send_recv.csv)"\n'
    text += '  held_out: "H100 (dgx-h100: NVLink4 450 GB/s, NDR 400 Gb/s) measurements, not in this repository"\n'
    if out_path:
        open(out_path, "w").write(text)
        lines = []
        for f in data:
            med, per = run_validate(firstwall, f["path"], out_path)
            lines.append(f"    - {{file: \"{rel(f['path'])}\", median_abs_pct_error: {med:.2f}, per_workers: {{"
                         + ", ".join(f"\"{k}\": {v:.2f}" for k, v in per.items()) + "}}")
        text += "  errors:  # `firstwall validate collectives` with this file\n" + "\n".join(lines) + "\n"
        open(out_path, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
