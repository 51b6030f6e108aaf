#!/usr/bin/env python3
"""Plot a wall search (`firstwall walls ... -o walls.h5`): where along the axis each wall is hit.

    /usr/bin/python3 tools/analysis/plot_walls.py walls.h5 -o walls.png [--top N]

One row per resource, ranked as in /walls: a hit wall is a bar from the range's start to the
value where it is first hit (the bracket's lower end marked), labelled with its value and its
distance from the first wall; a wall not hit within the range is drawn faded to the range's
end, labelled with its peak utilization there. The axis is logarithmic when the search used
log steps. The figure is firstwall.figures.wall_search_figure (the package beside this file).
Needs h5py, pandas and matplotlib (Debian's python3-h5py, -pandas, -matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from firstwall.figures import wall_search_figure  # noqa: E402
from firstwall.load import NotAFirstwallFile, WallSearch, load  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("walls_h5")
    p.add_argument("-o", "--output", required=True, help="image file (.png, .svg, .pdf)")
    p.add_argument("--top", type=int, default=20, help="at most this many walls, by rank")
    args = p.parse_args(argv)
    try:
        search = load(args.walls_h5)
    except NotAFirstwallFile as e:
        print(f"{args.walls_h5}: {e}", file=sys.stderr)
        return 2
    if not isinstance(search, WallSearch):
        print(f"{args.walls_h5}: a {search.kind} file, not a wall search", file=sys.stderr)
        return 2
    if search.walls.empty:
        print(f"{args.walls_h5}: no walls", file=sys.stderr)
        return 1
    wall_search_figure(search, args.top).savefig(args.output, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
