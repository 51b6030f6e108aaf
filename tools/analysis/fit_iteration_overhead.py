#!/usr/bin/python3
"""Fits the serving stack's host time per iteration (scheduling, input preparation,
sampling: what a GPU kernel model does not see) to Splitwise's measured timings, leaving
one model out: fit on one model's rows, report the error on the other model's rows.

Usage (from the repository root):
  /usr/bin/python3 tools/analysis/fit_iteration_overhead.py BUILD/tools/firstwall \
      ../shared/data/splitwise/perf_model_a100.csv \
      [--write models/workload/calibration/serving_overhead.yaml]

For each model M it scans overheads 0..40 ms (0.5 ms steps), keeps the one with the lowest
median absolute error on M's rows (`firstwall validate splitwise`), and prints the error
that value gives on the other models' rows: the figure that says how well it transfers.
Every run passes --iteration-overhead-ms, so the scan does not depend on the shipped value
(firstwall still reads the shipped file whenever it builds a serving model, so the file must
exist and parse).

The shipped value is the mean of the leave-one-model-out fits, rounded to the nearest point
of the 0.5 ms grid (halves up): each fit is an estimate of the same stack's overhead from
data the other did not see, and no model is preferred. --write stores it, with every fit,
its in-sample and held-out errors, the shipped value's error on all rows, the command that
regenerates the file, the input CSV's sha256 and the date, as the YAML file that
models/workload/serving_overhead.hpp reads (the default of workload.iteration_overhead).
Apart from the date the file is deterministic.
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
GRID_STEP_MS = 0.5
GRID = [x * GRID_STEP_MS for x in range(0, 81)]  # 0..40 ms
RULE = ("the mean of the leave-one-model-out fits, rounded to the nearest point of the "
        f"{GRID_STEP_MS:g} ms grid (halves up)")
METHOD = ("for each model, scan the overhead over 0..40 ms in 0.5 ms steps and keep the value "
          "with the lowest median absolute percent error of simulated prefill and decode-step "
          "times on that model's rows (`firstwall validate splitwise --iteration-overhead-ms X`, "
          "calibrated kernel costs); report the error that value gives on the other models' rows")


def median_error(firstwall, csv, overhead_ms):
    out = subprocess.run([firstwall, "validate", "splitwise", "--csv", csv,
                          "--iteration-overhead-ms", str(overhead_ms)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1].split("=")[1])


def shipped_value_ms(fits_ms):
    """The rule in RULE: mean of the fits, rounded to the grid, halves up."""
    mean = sum(fits_ms) / len(fits_ms)
    return math.floor(mean / GRID_STEP_MS + 0.5) * GRID_STEP_MS


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


def ms(value):
    return f"{value:g} ms"


def fit(firstwall, csv):
    """Returns (rows per model, [fit per model as a dict]) and prints one line per fit."""
    data = pd.read_csv(csv)
    fits = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in sorted(data.model.unique()):
            own = os.path.join(tmp, f"{model}.csv")
            others = os.path.join(tmp, f"{model}_others.csv")
            data[data.model == model].to_csv(own, index=False)
            data[data.model != model].to_csv(others, index=False)
            errors = [(median_error(firstwall, own, o), o) for o in GRID]
            best_err, best = min(errors)
            held_out = median_error(firstwall, others, best)
            fits.append({"fit_on": model,
                         "held_out_on": sorted(data[data.model != model].model.unique()),
                         "rows": int((data.model == model).sum()),
                         "overhead_ms": best,
                         "in_sample": best_err,
                         "held_out": held_out})
            print(f"fit_on={model} overhead_ms={best:.1f} in_sample_median_abs_pct_error={best_err:.2f} "
                  f"held_out_median_abs_pct_error={held_out:.2f}", flush=True)
    return len(data), fits


def to_yaml(value_ms, fits, all_rows_error, csv, rows, write, firstwall_version):
    command = " ".join(["/usr/bin/python3", SCRIPT, CANONICAL_FIRSTWALL, repo_relative(csv),
                        "--write", repo_relative(write)])
    lines = [
        "# Host time per serving iteration (scheduling, input preparation, sampling, output",
        "# processing: what the GPU kernel costs do not see), fitted to Splitwise's measured",
        "# DGX-A100 timings of Llama-2-70B and BLOOM-176B leaving one model out. It is the",
        "# default of workload.iteration_overhead and of `firstwall validate splitwise",
        "# --iteration-overhead-ms` (models/workload/serving_overhead.hpp): a property of that",
        "# (2023) serving stack; engines with CUDA graphs and an asynchronous scheduler spend less.",
        "# Generated by tools/analysis/fit_iteration_overhead.py; do not edit by hand. Regenerate",
        "# it by running provenance.command from the repository root (with ../shared/data beside",
        "# the clone and firstwall built in build/).",
        "format: 1",
        f"iteration_overhead: {ms(value_ms)}",
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
        lines += [
            f"    - fit_on: {f['fit_on']}",
            f"      rows: {f['rows']}",
            f"      overhead: {ms(f['overhead_ms'])}",
            f"      in_sample_median_abs_pct_error: {f['in_sample']:.2f}",
            f"      held_out_on: [{', '.join(f['held_out_on'])}]",
            f"      held_out_median_abs_pct_error: {f['held_out']:.2f}",
        ]
    lines.append(f"  all_rows_median_abs_pct_error: {all_rows_error:.2f}  # at the shipped value")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("firstwall", help="the firstwall binary")
    parser.add_argument("csv", help="Splitwise perf_model CSV")
    parser.add_argument("--write", metavar="FILE",
                        help="write the shipped value and its provenance to FILE (YAML)")
    args = parser.parse_args()
    rows, fits = fit(args.firstwall, args.csv)
    value_ms = shipped_value_ms([f["overhead_ms"] for f in fits])
    all_rows_error = median_error(args.firstwall, args.csv, value_ms)
    print(f"shipped overhead_ms={value_ms:g} all_rows_median_abs_pct_error={all_rows_error:.2f}")
    if args.write:
        version = subprocess.run([args.firstwall, "--version"], check=True, capture_output=True,
                                 text=True).stdout.strip().removeprefix("firstwall ")
        text = to_yaml(value_ms, fits, all_rows_error, args.csv, rows, args.write, version)
        # Atomic: a reader never sees half a file.
        tmp = args.write + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, args.write)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    sys.exit(main())
