"""firstwall's Python analysis package: load results into pandas, draw figures, write reports.

    import sys; sys.path.insert(0, "tools/analysis")      # or PYTHONPATH; /usr/bin/python3
    import firstwall
    r = firstwall.load("results/default.h5")               # a Run, a Sweep or a WallSearch
    r.kind                                                 # "run" | "sweep" | "walls"
    r.walls.attrs["units"]["first_hit_time"]               # "s"
    fig = firstwall.figures.walls_figure(r)                # a matplotlib Figure

See README.md in tools/analysis/ for the DataFrames, the figures and the report.
"""

from . import figures
from .load import (NotAFirstwallFile, Run, Sweep, WallSearch, kind_of, load, read_attrs,
                   series_frame, table_frame, wall_family)

__all__ = ["NotAFirstwallFile", "Run", "Sweep", "WallSearch", "figures", "kind_of", "load",
           "read_attrs", "series_frame", "table_frame", "wall_family"]
