#!/usr/bin/env python3
"""Read firstwall results files (HDF5) into pandas.

Layout (DESIGN.md, "Output contract (HDF5)"):
  root attributes       firstwall_version, scenario_yaml, seed, created_utc, ...
  /summary, /walls,     compound datasets (tables); each column's unit is a string
  /requests, /points    attribute of the dataset named after the column
  /timeseries/<name>    group with float64 datasets time_s and value; `unit` attribute

As a module:
    from firstwall_results import load
    r = load("results.h5")
    r["attrs"]["seed"], r["summary"], r["walls"], r["timeseries"]["replica[0].junction_temperature"]
    r["walls"].attrs["units"]          # {column: unit}
    r["workloads"]["chat"]["requests"] # a scenario with `workloads:`: /workloads/chat/requests

Only h5py and pandas are needed (matplotlib only for plot_series / --plot). The package
`firstwall` beside this file (tools/analysis/firstwall) reads the same files by kind (run,
sweep, wall search) and draws the report's figures; this module is its generic reader.

Command line:
    python3 firstwall_results.py results.h5                 # attributes, summary, walls
    python3 firstwall_results.py --check results.h5 [TABLE[:COLUMN] ...]
    python3 firstwall_results.py --plot out.png results.h5 [SERIES ...]
--check loads everything and verifies that every table is a DataFrame, every column with a
unit attribute is numeric, string columns are str, every series has equal-length float
time_s/value with units, and that each TABLE (and TABLE:COLUMN) given exists. Exit 0 if so,
1 with messages on stderr otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys

import h5py
import numpy as np
import pandas as pd

TABLES = ("summary", "walls", "requests", "points")
SERIES_ROOT = "timeseries"

# The readers live in the package beside this file (tools/analysis/firstwall); this module
# keeps its generic dict-of-tables interface and its command line.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from firstwall.load import _py, read_attrs, series_frame, table_frame  # noqa: E402,F401
from firstwall.load import is_series as _is_series  # noqa: E402


def load(path) -> dict:
    """Everything in a results file.

    Returns {"attrs": {root attributes}, "tables": {path: DataFrame} for every compound
    dataset (path without the leading '/'), "timeseries": {name: DataFrame}, and for each of
    summary/walls/requests/points that is present, that table under its own key}.
    Series under /timeseries are keyed by their name below it; series elsewhere by full path.
    """
    out: dict = {"attrs": {}, "tables": {}, "timeseries": {}}
    with h5py.File(path, "r") as f:
        out["attrs"] = read_attrs(f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.names is not None:
                out["tables"][name] = table_frame(obj)
            elif _is_series(obj):
                prefix = SERIES_ROOT + "/"
                key = name[len(prefix):] if name.startswith(prefix) else name
                out["timeseries"][key] = series_frame(obj)

        f.visititems(visit)
    for t in TABLES:
        if t in out["tables"]:
            out[t] = out["tables"][t]
    # Several workloads (`workloads:`): each one's tables under /workloads/<name>.
    workloads: dict = {}
    for name, df in out["tables"].items():
        if name.startswith("workloads/"):
            _, workload, table = name.split("/", 2)
            workloads.setdefault(workload, {})[table] = df
    if workloads:
        out["workloads"] = workloads
    return out


def check(data: dict, expected: list[str]) -> list[str]:
    """Problems found in loaded data (empty if none); `expected` holds TABLE or TABLE:COLUMN."""
    problems = []
    for name, df in data["tables"].items():
        if not isinstance(df, pd.DataFrame):
            problems.append(f"table {name}: not a DataFrame")
            continue
        for col in df.columns:
            if col in df.attrs.get("units", {}):
                if not pd.api.types.is_numeric_dtype(df[col]):
                    problems.append(f"table {name}: column {col} has a unit but dtype "
                                    f"{df[col].dtype}")
            elif df[col].dtype == object and not all(isinstance(v, str) for v in df[col]):
                problems.append(f"table {name}: column {col} holds non-str objects")
    for name, df in data["timeseries"].items():
        if list(df.columns) != ["time_s", "value"]:
            problems.append(f"series {name}: columns {list(df.columns)}")
        if "unit" not in df.attrs or not isinstance(df.attrs["unit"], str):
            problems.append(f"series {name}: no unit attribute")
    for item in expected:
        table, _, column = item.partition(":")
        df = data["tables"].get(table.lstrip("/"))
        if df is None:
            problems.append(f"missing table {table}")
        elif column and column not in df.columns:
            problems.append(f"table {table}: missing column {column} (has {list(df.columns)})")
    return problems


def plot_series(data: dict, names=None, ax=None):
    """Plots time series (all, or those in `names`) on one axis per unit; returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional dependency

    names = list(names) if names else sorted(data["timeseries"])
    by_unit: dict = {}
    for n in names:
        by_unit.setdefault(data["timeseries"][n].attrs.get("unit", ""), []).append(n)
    if ax is None:
        fig, axes = plt.subplots(max(1, len(by_unit)), 1, sharex=True, squeeze=False,
                                 figsize=(8, 2.5 * max(1, len(by_unit))))
        axes = [a[0] for a in axes]
    else:
        fig, axes = ax.figure, [ax] * max(1, len(by_unit))
    for a, (unit, group) in zip(axes, sorted(by_unit.items())):
        for n in group:
            df = data["timeseries"][n]
            a.plot(df["time_s"], df["value"], label=n)
        a.set_ylabel(unit)
        a.legend(fontsize="small")
    axes[-1].set_xlabel("time [s]")
    return fig


def _print_attrs(attrs: dict, full: bool) -> None:
    print("Attributes:")
    for k, v in attrs.items():
        if isinstance(v, str) and "\n" in v.rstrip("\n"):
            lines = v.rstrip("\n").split("\n")
            if full:
                print(f"  {k}:")
                for line in lines:
                    print(f"    {line}")
            else:
                print(f"  {k}: {lines[0]} ... ({len(lines)} lines; --full to show)")
        else:
            print(f"  {k}: {v}")


def _print_table(title: str, df: pd.DataFrame) -> None:
    units = df.attrs.get("units", {})
    print(f"\n{title} ({len(df)} rows):")
    if len(df) == 1:  # one row of metrics: print it as metric / value / unit
        for col in df.columns:
            unit = units.get(col, "")
            print(f"  {col:<32} {df[col].iloc[0]!s:>20} {unit}")
        return
    shown = df.rename(columns={c: f"{c} [{u}]" for c, u in units.items()})
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.max_rows", 200):
        print(shown.to_string(index=False) if len(df) else f"  (empty) columns: "
              f"{list(shown.columns)}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Show or check a firstwall results.h5 file.")
    p.add_argument("file")
    p.add_argument("expected", nargs="*",
                   help="with --check: TABLE or TABLE:COLUMN that must exist; with --plot: "
                        "series names to plot (default all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify the file loads; exit 1 if not")
    mode.add_argument("--plot", metavar="PNG", help="plot the time series into PNG")
    p.add_argument("--full", action="store_true", help="print long attributes in full")
    args = p.parse_args(argv)

    try:
        data = load(args.file)
    except Exception as e:  # noqa: BLE001 - report any read failure as a check failure
        print(f"{args.file}: cannot load: {e}", file=sys.stderr)
        return 1

    if args.check:
        problems = check(data, args.expected)
        for msg in problems:
            print(f"{args.file}: {msg}", file=sys.stderr)
        if problems:
            return 1
        print(f"{args.file}: OK ({len(data['tables'])} tables, "
              f"{len(data['timeseries'])} series)")
        return 0

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        missing = [n for n in args.expected if n not in data["timeseries"]]
        if missing:
            print(f"{args.file}: no series {missing}", file=sys.stderr)
            return 1
        fig = plot_series(data, args.expected or None)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        return 0

    _print_attrs(data["attrs"], args.full)
    for t in ("summary", "walls"):
        if t in data:
            _print_table(t, data[t])
    others = [t for t in data["tables"] if t not in ("summary", "walls")]
    if others or data["timeseries"]:
        print(f"\nAlso: tables {others}, {len(data['timeseries'])} time series")
    return 0


if __name__ == "__main__":
    sys.exit(main())
