#!/usr/bin/python3
"""Fits the serving stack's host time per iteration (scheduling, input preparation,
sampling: what a GPU kernel model does not see) to Splitwise's measured timings, leaving
one model out: fit on one model's rows, report the error on the other model's rows.

Usage:
  /usr/bin/python3 tools/analysis/fit_iteration_overhead.py BUILD/tools/firstwall \
      ../shared/data/splitwise/perf_model_a100.csv

For each model M it scans overheads 0..40 ms (0.5 ms steps), keeps the one with the lowest
median absolute error on M's rows (`firstwall validate splitwise`), and prints the error
that value gives on the other models' rows: the figure that says how well it transfers.
"""
import os
import subprocess
import sys
import tempfile

import pandas as pd


def median_error(firstwall, csv, overhead_ms):
    out = subprocess.run([firstwall, "validate", "splitwise", "--csv", csv,
                          "--iteration-overhead-ms", str(overhead_ms)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1].split("=")[1])


def main(firstwall, csv):
    data = pd.read_csv(csv)
    with tempfile.TemporaryDirectory() as tmp:
        parts = {}
        for model, rows in data.groupby("model"):
            parts[model] = os.path.join(tmp, f"{model}.csv")
            rows.to_csv(parts[model], index=False)
            others = data[data.model != model]
            parts[model + ":others"] = os.path.join(tmp, f"{model}_others.csv")
            others.to_csv(parts[model + ":others"], index=False)
        for model in sorted(data.model.unique()):
            grid = [x / 2 for x in range(0, 81)]
            errors = [(median_error(firstwall, parts[model], o), o) for o in grid]
            best_err, best = min(errors)
            held_out = median_error(firstwall, parts[model + ":others"], best)
            print(f"fit_on={model} overhead_ms={best:.1f} in_sample_median_abs_pct_error={best_err:.2f} "
                  f"held_out_median_abs_pct_error={held_out:.2f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
