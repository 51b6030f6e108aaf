#!/usr/bin/python3
"""Fits the ring all-reduce model used for tensor-parallel communication to measured NCCL
times, and prints the fitted per-step latency and bandwidth efficiency.

Model (Patarasuk & Yuan 2009; NCCL's "bus bandwidth" convention):
    t(S, p) = 2 (p - 1) * alpha + 2 (p - 1) / p * S / (eta * B)
with S the message size in bytes, p the number of GPUs, B the per-direction scale-up
bandwidth of one GPU, alpha the latency of one ring step and eta the achieved fraction of B.

Data: Vidur's measured all_reduce.csv (size in bytes, time in ms), intra-node rows only
(devices_per_node == num_workers), median time of rank 0. Fit: least squares on relative
error over all sizes, by a grid search on alpha with eta solved in closed form per alpha.

Usage: /usr/bin/python3 tools/analysis/fit_allreduce.py ../shared/data/vidur/data/profiling/network/a100_dgx/all_reduce.csv 300e9
"""
import sys

import numpy as np
import pandas as pd


def fit(path, bw_per_direction):
    d = pd.read_csv(path)
    d = d[(d.devices_per_node == d.num_workers) & (d["rank"] == 0)]
    size = d["size"].to_numpy(float)
    p = d["num_workers"].to_numpy(float)
    t = d["time_stats.all_reduce.median"].to_numpy(float) * 1e-3
    steps = 2 * (p - 1)
    volume = 2 * (p - 1) / p * size / bw_per_direction
    best = None
    for alpha in np.linspace(0, 20e-6, 2001):
        # t = steps*alpha + volume*k with k = 1/eta; minimise sum(((pred - t)/t)^2) over k.
        r = t - steps * alpha
        k = np.sum(volume * r / t**2) / np.sum(volume**2 / t**2)
        if k <= 0:
            continue
        err = np.abs((steps * alpha + volume * k - t) / t)
        score = np.sum(err**2)
        if best is None or score < best[0]:
            best = (score, alpha, 1 / k, np.median(err), len(t))
    return best


if __name__ == "__main__":
    _, alpha, eta, med, n = fit(sys.argv[1], float(sys.argv[2]))
    print(f"rows={n} alpha_us={alpha * 1e6:.3f} eta={eta:.4f} median_abs_pct_error={med * 100:.1f}")
