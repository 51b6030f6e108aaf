#!/usr/bin/python3
"""Fits NCCL's protocol physics (models/network/collective.hpp) to Vidur's measured DGX-A100
collectives and writes models/network/calibration/nccl_protocol.yaml with its provenance.

Parameters (one set for every GPU and fabric; bandwidths come from the catalog), for each of
NCCL's protocols LL, LL128 and Simple:
  launch_latency        once per collective (kernel launch)
  scale_up.step_latency, scale_out.step_latency  alpha of a step on NVLink/PCIe, through a NIC
and shared:
  eta_u, eta_x          Simple's achieved fraction of line rate on each tier
  f_ll, f_ll128         LL's and LL128's efficiency as a fraction of Simple's (NCCL's tuner:
                        1/4 and 0.92, src/graph/tuning.cc)
  reduction_efficiency  rho: a reduce step's pace relative to a copy step
and one discrete choice, the all-reduce algorithm across servers (ring or hierarchical).
Each row's time is the least over the three protocols, as NCCL's tuner picks.

The model is the uncontended alpha-beta form of collective.hpp (collective_alpha_beta), which
tests/network/test_collective.cpp shows equal to the flow simulation; the fitted file is then
checked by running `firstwall validate collectives` on each input, and those medians are what
the file records.

Data: Vidur's a100_dgx all_reduce.csv and send_recv.csv (size in bytes, median time in ms of
rank 0; num_workers GPUs, devices_per_node of them per server). All rows are in-sample. Other
folders given with --held-out FOLDER:SERVER (e.g. a100_pairwise_nvlink on azure-nc-a100-v4)
are never fitted: they are run through `firstwall validate collectives` with the written file
and recorded as held out. The H100 measurements the model is checked on are not used (none
are in this repository).

Fit: minimise the mean absolute relative error over the rows of both files (each file
weighted equally), Nelder-Mead from a grid of starts, in log-space for the latencies and
logit-space for the fractions.

Usage (from the repository root, firstwall built in BUILD):
  /usr/bin/python3 tools/analysis/fit_collectives.py BUILD/tools/firstwall \
      ../shared/data/vidur/data/profiling/network/a100_dgx --write models/network/calibration/nccl_protocol.yaml \
      --held-out ../shared/data/vidur/data/profiling/network/a100_pairwise_nvlink:azure-nc-a100-v4
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


PROTOCOLS = ("ll", "ll128", "simple")
# NCCL's own bandwidth factors of LL and LL128 against Simple on a ring (src/graph/tuning.cc,
# NCCL 2.18: LL busBw x 1/4 for all-reduce, LL128 x 0.92 = ~120/128): the starting points of
# the fitted fractions f_ll and f_ll128.
NCCL_F = {"ll": 0.25, "ll128": 0.92}


def predict_one(q, fig, op, n, g, size, multi, rho):
    """Time of one protocol q = (launch, a_u, eta_u, a_x, eta_x)."""
    launch, au, eu, ax, ex = q
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


def protocols_of(p):
    """Per protocol (launch, a_u, eta_u, a_x, eta_x) from the fitted vector's meaning."""
    out = {}
    for q in PROTOCOLS:
        f = 1.0 if q == "simple" else p["f_" + q]
        out[q] = (p["launch_" + q], p["au_" + q], p["eu"] * f, p["ax_" + q], p["ex"] * f)
    return out


def predict(p, fig, op, n, g, size, multi):
    """NCCL's tuner picks the protocol with the least time; so does the model."""
    prots = protocols_of(p)
    return np.min([predict_one(prots[q], fig, op, n, g, size, multi, p["rho"]) for q in PROTOCOLS], axis=0)


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


# The fitted vector: latencies in log space, fractions in logit space.
LOG = [k + "_" + q for q in PROTOCOLS for k in ("launch", "au", "ax")]
LOGIT = ["eu", "ex", "f_ll", "f_ll128", "rho"]


def unpack(x):
    p = {k: math.exp(v) for k, v in zip(LOG, x[:len(LOG)])}
    p.update({k: 1 / (1 + math.exp(-v)) for k, v in zip(LOGIT, x[len(LOG):])})
    return p


def pack(p):
    logit = lambda v: math.log(v / (1 - v))
    return [math.log(p[k]) for k in LOG] + [logit(p[k]) for k in LOGIT]


def fit(fig, data, multi):
    def loss(x):
        return sum(np.mean(np.abs(e)) for e in errors(unpack(x), fig, data, multi))
    best = None
    for simple_alpha in (3e-6, 8e-6):
        for low_alpha in (0.5e-6, 2e-6):
            for ex in (0.3,):
                p0 = dict(eu=0.85, ex=ex, rho=0.6, f_ll=NCCL_F["ll"], f_ll128=NCCL_F["ll128"])
                for q, a in (("ll", low_alpha), ("ll128", 2 * low_alpha), ("simple", simple_alpha)):
                    p0["launch_" + q], p0["au_" + q], p0["ax_" + q] = 2 * a, a, 4 * a
                r = minimize(loss, pack(p0), method="Nelder-Mead",
                             options=dict(maxiter=20000, maxfev=20000, xatol=1e-6, fatol=1e-9, adaptive=True))
                if best is None or r.fun < best.fun:
                    best = r
    return unpack(best.x), best.fun


def run_validate(firstwall, csv, calibration, server=SERVER):
    out = subprocess.run([firstwall, "validate", "collectives", "--vidur", csv, "--server", server,
                          "--calibration", calibration], check=True, capture_output=True, text=True).stdout
    last = out.strip().splitlines()[-1]
    per_workers = dict(re.findall(r"^workers=(\S+) .*median_abs_pct_error=([0-9.]+)", out, re.M))
    return float(last.split("=")[1]), {k: float(v) for k, v in per_workers.items()}


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    firstwall, folder = sys.argv[1], sys.argv[2]
    out_path = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None
    # --held-out FOLDER:SERVER (repeatable): measured on another server, never fitted; run
    # through `firstwall validate collectives` with the written file and recorded as held out.
    held = [sys.argv[i + 1].rsplit(":", 1) for i, a in enumerate(sys.argv) if a == "--held-out"]
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
    prots = protocols_of(p)
    rel = lambda path: os.path.relpath(path, root)
    command = (f"/usr/bin/python3 tools/analysis/fit_collectives.py {rel(firstwall)} {rel(folder)} "
               f"--write {rel(out_path) if out_path else ''}"
               + "".join(f" --held-out {rel(h[0])}:{h[1]}" for h in held))

    def protocol_line(q):
        launch, au, eu, ax, ex = prots[q]
        return (f"  {q}: {{launch_latency: {launch * 1e6:.2f} us, scale_up: {{step_latency: {au * 1e6:.2f} us, "
                f"efficiency: {eu:.4f}}}, scale_out: {{step_latency: {ax * 1e6:.2f} us, efficiency: {ex:.4f}}}}}\n")

    text = f"""# NCCL's protocol physics for the collectives of models/network (collective.hpp): for each of
# NCCL's protocols (LL, LL128, Simple) a launch latency per collective, a per-step latency and
# the achieved fraction of line rate on each tier (NVLink/PCIe inside a server; a NIC), and the
# pace of a reduce step relative to a copy (shared). A collective runs under the protocol with
# the least time, as NCCL's tuner picks. LL's and LL128's efficiencies are Simple's times one
# fitted fraction each (f_ll = {p['f_ll']:.4f}, f_ll128 = {p['f_ll128']:.4f}; NCCL's tuner
# uses 1/4 and 0.92). One set for every GPU and fabric: the bandwidths come from
# scenarios/catalog/networks.yaml, so an H100 (NVLink4, NDR) gets its figures from the catalog
# and these, never from its own fit. Fitted on Vidur's DGX-A100 measurements only (all of
# their rows in-sample); the other folders are held out. Generated by
# tools/analysis/fit_collectives.py; do not edit by hand. Regenerate it by running
# provenance.command from the repository root (with ../shared/data beside the clone).
format: 2
reduction_efficiency: {p['rho']:.4f}
multi_server_all_reduce: {multi}
protocols:
"""
    for q in PROTOCOLS:
        text += protocol_line(q)
    text += f"""provenance:
  command: "{command}"
  date: "{datetime.date.today().isoformat()}"
  firstwall_version: "0.1.0"
  input:
    file: "{rel(data[0]['path'])}"
    sha256: "{sha256(data[0]['path'])}"
    rows: {len(data[0]['t'])}
  inputs:
    - {{file: "{rel(data[1]['path'])}", sha256: "{sha256(data[1]['path'])}", rows: {len(data[1]['t'])}}}
  method: "the uncontended alpha-beta forms of collective.hpp (equal to the flow simulation, tests/network) on {SERVER} (NVLink3 300 GB/s, HDR 200 Gb/s per GPU, networks.yaml), each row at the least time over the three protocols; Nelder-Mead (adaptive) on the mean absolute relative error of both files (each weighted equally) from 4 starts, 14 parameters (3 x launch, scale-up and scale-out step latency; Simple's two efficiencies; f_ll, f_ll128; rho); the all-reduce algorithm across servers is the candidate with the lower loss"
  candidates:
"""
    for k, (cp, loss, med) in candidates.items():
        text += f"    - {{algorithm: {k}, loss: {loss:.4f}, all_reduce_median_abs_pct_error: {med[0]:.2f}, send_recv_median_abs_pct_error: {med[1]:.2f}}}\n"
    text += f'  in_sample: "every row of both files of {rel(folder)} (all_reduce.csv and send_recv.csv)"\n'
    text += ('  held_out: "' + "; ".join(f"{rel(h[0])} on {h[1]}" for h in held)
             + ("; " if held else "") + 'H100 (dgx-h100: NVLink4 450 GB/s, NDR 400 Gb/s) measurements, not in this repository"\n')
    if out_path:
        open(out_path, "w").write(text)
        lines = []
        for f in data:
            med, per = run_validate(firstwall, f["path"], out_path)
            lines.append(f"    - {{file: \"{rel(f['path'])}\", median_abs_pct_error: {med:.2f}, per_workers: {{"
                         + ", ".join(f"\"{k}\": {v:.2f}" for k, v in per.items()) + "}}")
        text += "  errors:  # `firstwall validate collectives` with this file, in-sample\n" + "\n".join(lines) + "\n"
        hl = []
        for h_folder, h_server in held:
            for op in ("all_reduce", "send_recv"):
                path = os.path.join(h_folder, op + ".csv")
                if not os.path.exists(path):
                    continue
                med, per = run_validate(firstwall, path, out_path, h_server)
                hl.append(f"    - {{file: \"{rel(path)}\", server: {h_server}, median_abs_pct_error: {med:.2f}, per_workers: {{"
                          + ", ".join(f"\"{k}\": {v:.2f}" for k, v in per.items()) + "}}")
        if hl:
            text += "  held_out_errors:  # the same, on data never fitted\n" + "\n".join(hl) + "\n"
        open(out_path, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
