#!/usr/bin/python3
"""Fits the serving stack's host time (what a GPU kernel model does not see) to Splitwise's
measured timings, leaving one model out: fit on one model's rows, report the error on the
other model's rows. Three terms (models/workload/kernel_iteration_cost.hpp, HostCost):
  iteration_overhead  per iteration (scheduling, input preparation), ms;
  launch_overhead     host CPU time to issue one kernel, us: the iteration lasts at least its
                      launches times this;
  request_overhead    per request of the batch (sampling, output processing), us.

Usage (from the repository root):
  /usr/bin/python3 tools/analysis/fit_iteration_overhead.py BUILD/tools/firstwall \
      ../shared/data/splitwise/perf_model_a100.csv \
      [--write models/workload/calibration/serving_overhead.yaml]

For each model M: a coarse grid over the three terms, then coordinate descent on their fine
grids (0..40 ms by 0.5, 0..80 us by 1, 0..1000 us by 10) until no term moves (for all rows,
also a descent over 8 grid points either side from each model's fit, keeping the best), minimizing the
median absolute error on M's rows (`firstwall validate splitwise`); then the error that fit
gives on the other models' rows: the figure that says how well it transfers. Every run
passes all three options, so the scan does not depend on the shipped values (firstwall still
reads the shipped file whenever it builds a serving model, so the file must exist and parse).

The shipped values are the same fit on all rows; the leave-one-model-out fits say how well
that procedure transfers to a model it has not seen. (The mean of the leave-one-out fits, the
rule before the launch term, does not work for a term one model cannot identify: BLOOM-176B
runs only at TP8 with large kernels, never launch-bound, so its fold leaves the launch cost
anywhere in 0..30 us, and a mean of 0 and 30 fits neither model.) --write stores them, with every fit,
its in-sample and held-out errors, the shipped values' error on all rows, the command that
regenerates the file, the input CSV's sha256 and the date, as the YAML file that
models/workload/serving_overhead.hpp reads (the defaults of workload.iteration_overhead,
launch_overhead and request_overhead). Apart from the date the file is deterministic.
"""
import argparse
import datetime
import hashlib
import math
import os
import subprocess
import sys
import tempfile

import pandas as pd

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = "tools/analysis/fit_iteration_overhead.py"
# The command written into the file names the binary where `make` builds it, so that the
# file does not point at whichever private build folder produced it (any build of the same
# tree scans the same numbers; the version is recorded beside it).
CANONICAL_FIRSTWALL = "build/tools/firstwall"
KERNEL_CALIBRATION = "kernels/calibration/gpu_vidur.yaml"
# name, option, unit, grid step, grid end, coarse points
TERMS = [
    ("iteration_overhead", "--iteration-overhead-ms", "ms", 0.5, 40.0, [5.0, 10.0, 15.0, 20.0]),
    ("launch_overhead", "--launch-overhead-us", "us", 1.0, 80.0, [0.0, 20.0, 30.0, 40.0]),
    ("request_overhead", "--request-overhead-us", "us", 10.0, 1000.0, [0.0, 200.0, 400.0]),
]
RULE = ("the same fit on all rows; the leave-one-model-out fits measure its transfer (a mean of "
        "them fails for a term one model cannot identify: BLOOM-176B at TP8 is never launch-bound)")
METHOD = ("for each model, a coarse grid over the three terms, then coordinate descent on grids "
          "of 0.5 ms (iteration, 0..40 ms), 1 us (launch, 0..80 us) and 10 us (request, "
          "0..1000 us) until no term moves, minimizing the median absolute percent error of "
          "simulated prefill and decode-step times on that model's rows (`firstwall validate "
          "splitwise`, calibrated kernel costs); report the error the fit gives on the other "
          "models' rows")


def median_error(firstwall, csv, values, cache={}):
    key = (csv, tuple(values))
    if key not in cache:
        args = [firstwall, "validate", "splitwise", "--csv", csv]
        for (_, option, _, _, _, _), v in zip(TERMS, values):
            args += [option, f"{v:g}"]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        cache[key] = float(out.strip().splitlines()[-1].split("=")[1])
    return cache[key]


def grid(term):
    _, _, _, step, stop, _ = term
    return [i * step for i in range(0, int(round(stop / step)) + 1)]


def descend(firstwall, csv, err, values, window=None):
    """Coordinate descent on the fine grids from `values` until no term moves; each step scans
    a term's whole grid, or `window` grid points either side of its value."""
    moved = True
    while moved:
        moved = False
        for i, term in enumerate(TERMS):
            candidates = []
            points = grid(term)
            if window is not None:
                here = min(range(len(points)), key=lambda k: abs(points[k] - values[i]))
                points = points[max(0, here - window):here + window + 1]
            for v in points:
                trial = list(values)
                trial[i] = v
                candidates.append((median_error(firstwall, csv, trial), trial))
            e, best = min(candidates)
            if e < err:
                err, values, moved = e, best, True
    return err, values


def best_fit(firstwall, csv, starts=()):
    """Coarse grid, then coordinate descent on the fine grids from its best point; then, from
    each of `starts`, a descent over 8 grid points either side (the median error is not
    smooth: one descent can stop in a local minimum). Returns the best (error, values)."""
    coarse = [(median_error(firstwall, csv, [a, b, c]), [a, b, c])
              for a in TERMS[0][5] for b in TERMS[1][5] for c in TERMS[2][5]]
    results = [descend(firstwall, csv, *min(coarse))]
    for v in starts:
        results.append(descend(firstwall, csv, median_error(firstwall, csv, list(v)), list(v),
                               window=8))
    return min(results)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def repo_relative(path):
    return os.path.relpath(os.path.abspath(path), REPO_ROOT)


def quoted(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quantity(value, unit):
    return f"{value:g} {unit}"


def fit(firstwall, csv):
    """Returns (rows, [fit per model as a dict]) and prints one line per fit."""
    data = pd.read_csv(csv)
    fits = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in sorted(data.model.unique()):
            own = os.path.join(tmp, f"{model}.csv")
            others = os.path.join(tmp, f"{model}_others.csv")
            data[data.model == model].to_csv(own, index=False)
            data[data.model != model].to_csv(others, index=False)
            best_err, values = best_fit(firstwall, own)
            held_out = median_error(firstwall, others, values)
            fits.append({"fit_on": model,
                         "held_out_on": sorted(data[data.model != model].model.unique()),
                         "rows": int((data.model == model).sum()),
                         "values": values,
                         "in_sample": best_err,
                         "held_out": held_out})
            terms = " ".join(f"{t[0]}={quantity(v, t[2])}" for t, v in zip(TERMS, values))
            print(f"fit_on={model} {terms} in_sample_median_abs_pct_error={best_err:.2f} "
                  f"held_out_median_abs_pct_error={held_out:.2f}", flush=True)
    return len(data), fits


def to_yaml(values, fits, all_rows_error, csv, rows, write, firstwall_version):
    command = " ".join(["/usr/bin/python3", SCRIPT, CANONICAL_FIRSTWALL, repo_relative(csv),
                        "--write", repo_relative(write)])
    lines = [
        "# Host time of the serving stack (what the GPU kernel costs do not see), fitted to",
        "# Splitwise's measured DGX-A100 timings of Llama-2-70B and BLOOM-176B leaving one model",
        "# out: per iteration (scheduling, input preparation), per kernel launch (the host issues",
        "# kernels one by one; an iteration lasts at least its launches times this) and per",
        "# request of the batch (sampling, output processing). models/workload/",
        "# kernel_iteration_cost.hpp (HostCost) says how they combine. They are the defaults of",
        "# workload.iteration_overhead, launch_overhead and request_overhead and of `firstwall",
        "# validate splitwise` (models/workload/serving_overhead.hpp): properties of that (2023)",
        "# serving stack on that host CPU; engines with CUDA graphs and an asynchronous",
        "# scheduler spend far less. Generated by tools/analysis/fit_iteration_overhead.py; do",
        "# not edit by hand. Regenerate it by running provenance.command from the repository",
        "# root (with ../shared/data beside the clone and firstwall built in build/).",
        "format: 2",
    ]
    lines += [f"{t[0]}: {quantity(v, t[2])}" for t, v in zip(TERMS, values)]
    lines += [
        "provenance:",
        f"  command: {quoted(command)}",
        f"  date: {quoted(datetime.datetime.now(datetime.timezone.utc).date().isoformat())}",
        f"  firstwall_version: {quoted(firstwall_version)}",
        "  input:",
        f"    file: {quoted(repo_relative(csv))}",
        f"    sha256: {quoted(sha256_of(csv))}",
        f"    rows: {rows}",
        "  kernel_calibration:",
        f"    file: {quoted(KERNEL_CALIBRATION)}",
        f"    sha256: {quoted(sha256_of(os.path.join(REPO_ROOT, KERNEL_CALIBRATION)))}",
        f"  method: {quoted(METHOD)}",
        f"  rule: {quoted(RULE)}",
        "  leave_one_model_out:",
        "    # Median |simulated / measured - 1| in percent over prefill and decode-step times.",
    ]
    for f in fits:
        lines += [f"    - fit_on: {f['fit_on']}", f"      rows: {f['rows']}"]
        lines += [f"      {t[0]}: {quantity(v, t[2])}" for t, v in zip(TERMS, f["values"])]
        lines += [
            f"      in_sample_median_abs_pct_error: {f['in_sample']:.2f}",
            f"      held_out_on: [{', '.join(f['held_out_on'])}]",
            f"      held_out_median_abs_pct_error: {f['held_out']:.2f}",
        ]
    lines.append(f"  all_rows_median_abs_pct_error: {all_rows_error:.2f}  # at the shipped values")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("firstwall", help="the firstwall binary")
    parser.add_argument("csv", help="Splitwise perf_model CSV")
    parser.add_argument("--write", metavar="FILE",
                        help="write the shipped value and its provenance to FILE (YAML)")
    args = parser.parse_args()
    rows, fits = fit(args.firstwall, args.csv)
    all_rows_error, values = best_fit(args.firstwall, args.csv, [f["values"] for f in fits])
    terms = " ".join(f"{t[0]}={quantity(v, t[2])}" for t, v in zip(TERMS, values))
    print(f"shipped {terms} all_rows_median_abs_pct_error={all_rows_error:.2f}")
    if args.write:
        version = subprocess.run([args.firstwall, "--version"], check=True, capture_output=True,
                                 text=True).stdout.strip().removeprefix("firstwall ")
        text = to_yaml(values, fits, all_rows_error, args.csv, rows, args.write, version)
        # Atomic: a reader never sees half a file.
        tmp = args.write + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, args.write)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    sys.exit(main())
