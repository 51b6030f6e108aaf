#!/usr/bin/env python3
"""Plot a wall search (`firstwall walls ... -o walls.h5`): where along the axis each wall is hit.

    /usr/bin/python3 tools/analysis/plot_walls.py walls.h5 -o walls.png [--top N]

One row per resource, ranked as in /walls: a hit wall is a bar from the range's start to the
value where it is first hit (the bracket's lower end marked), labelled with its value and its
distance from the first wall; a wall not hit within the range is drawn faded to the range's
end, labelled with its peak utilization there. The axis is logarithmic when the search used
log steps. Needs h5py, pandas and matplotlib (Debian's python3-h5py, -pandas, -matplotlib).
"""

from __future__ import annotations

import argparse
import math
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def _text(v) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def load(path: str):
    with h5py.File(path, "r") as f:
        walls = pd.DataFrame(f["walls"][()])
        for c in ("name", "kind", "status"):
            walls[c] = walls[c].map(_text)
        attrs = {k: _text(f.attrs[k]) for k in ("axis", "unit", "from", "to", "steps")}
        attrs["tolerance"] = float(f.attrs["tolerance"])
        evaluations = pd.DataFrame(f["evaluations"][()])
    return walls, evaluations, attrs


def plot(walls: pd.DataFrame, evaluations: pd.DataFrame, attrs: dict, out: str, top: int):
    walls = walls.head(top)
    values = evaluations["value"]
    lo, hi = float(values.min()), float(values.max())
    log = attrs["steps"] == "log"
    unit = attrs["unit"]
    first = walls[walls["rank"] == 1]
    first_value = float(first["value"].iloc[0]) if len(first) else None

    fig, ax = plt.subplots(figsize=(9, 0.45 * len(walls) + 1.6))
    for i, w in enumerate(walls.itertuples()):
        y = len(walls) - 1 - i
        if w.status in ("hit", "hit_at_start"):
            ax.barh(y, w.value - lo, left=lo, color="C3" if w.rank == 1 else "C0")
            if not math.isnan(w.below):
                ax.plot([w.below], [y], marker="|", color="k", markersize=12)
            label = f"{w.value:.4g} {unit}"
            if first_value and w.rank > 1:
                label += f"  ({(w.value / first_value - 1) * 100:+.0f} %)"
            ax.text(w.value, y, "  " + label, va="center", fontsize=8)
        else:
            ax.barh(y, hi - lo, left=lo, color="0.85")
            text = ("not within range, peak %.0f %%" % (w.peak_utilization_at_to * 100)
                    if w.status == "not_within_range" else w.status)
            ax.text(hi, y, "  " + text, va="center", fontsize=8, color="0.4")
    ax.set_yticks(range(len(walls)))
    ax.set_yticklabels([f"{n} ({k})" for n, k in zip(walls["name"], walls["kind"])][::-1],
                       fontsize=8)
    if log:
        ax.set_xscale("log")
    ax.set_xlim(lo, hi * (10 if log else 1.6))  # room for the labels right of the bars
    ax.set_xlabel(f"{attrs['axis']} [{unit}]")
    ax.set_title(f"First wall along {attrs['axis']} ({attrs['from']} to {attrs['to']}, "
                 f"tolerance {attrs['tolerance'] * 100:g} %)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("walls_h5")
    p.add_argument("-o", "--output", required=True, help="image file (.png, .svg, .pdf)")
    p.add_argument("--top", type=int, default=20, help="at most this many walls, by rank")
    args = p.parse_args(argv)
    walls, evaluations, attrs = load(args.walls_h5)
    if walls.empty:
        print(f"{args.walls_h5}: no walls", file=sys.stderr)
        return 1
    plot(walls, evaluations, attrs, args.output, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
