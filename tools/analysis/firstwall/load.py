"""Load firstwall HDF5 files (a run, a sweep or a wall search) into pandas DataFrames.

The kind of a file is read from its root attributes (README "Results (HDF5)", "Sweeps"):

  run     results.h5 of `firstwall run`: `scenario_yaml` and a /summary table
  sweep   sweep.h5 of `firstwall sweep`: `study_yaml` and a /points table
  walls   walls.h5 of `firstwall walls`: `axis` and `steps`, /walls and /evaluations tables

Units. Every table is a DataFrame whose ``df.attrs["units"]`` maps each column that has a unit
attribute in the file to that unit ("" for a ratio or a count; string columns have none), and
``df.attrs["attributes"]`` holds the dataset's other attributes. A time series is a DataFrame
with columns ``time_s`` and ``value``; its ``attrs["units"]`` is ``{"time_s": "s", "value":
<the series' unit>}`` and ``attrs["unit"]`` the value's unit alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import h5py
import numpy as np
import pandas as pd

SERIES_ROOT = "timeseries"


class NotAFirstwallFile(ValueError):
    """The file is not a firstwall result (not HDF5, or none of the three layouts)."""


def _py(value):
    """An HDF5 attribute value as a plain Python value (bytes decoded as UTF-8)."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.shape == ():
            return _py(value[()])
        return [_py(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_attrs(obj) -> dict:
    """All attributes of an h5py object as a dict of Python values."""
    return {name: _py(obj.attrs[name]) for name in obj.attrs}


def table_frame(ds: h5py.Dataset) -> pd.DataFrame:
    """A compound dataset as a DataFrame; bytes columns decoded to str.

    ``.attrs["units"]``: {column: unit} for the columns that have a unit attribute;
    ``.attrs["attributes"]``: the dataset's other attributes.
    """
    arr = ds[()]
    names = arr.dtype.names or ()
    data = {}
    for name in names:
        col = arr[name]
        if col.dtype.kind == "S":
            data[name] = pd.Series([bytes(v).decode("utf-8", errors="replace") for v in col],
                                   dtype=object)
        elif col.dtype.kind == "O":  # variable-length strings
            data[name] = pd.Series([_py(v) for v in col], dtype=object)
        else:
            data[name] = pd.Series(col)
    df = pd.DataFrame(data, columns=list(names))
    attrs = read_attrs(ds)
    df.attrs["units"] = {n: attrs[n] for n in names if n in attrs}
    df.attrs["attributes"] = {k: v for k, v in attrs.items() if k not in names}
    return df


def series_frame(group: h5py.Group) -> pd.DataFrame:
    """A time-series group as a DataFrame (time_s, value) with its units in .attrs."""
    df = pd.DataFrame({"time_s": np.asarray(group["time_s"][()], dtype=float),
                       "value": np.asarray(group["value"][()], dtype=float)})
    unit = _py(group.attrs.get("unit", ""))
    df.attrs["unit"] = unit
    df.attrs["units"] = {"time_s": "s", "value": unit}
    return df


def is_series(obj) -> bool:
    return (isinstance(obj, h5py.Group) and isinstance(obj.get("time_s"), h5py.Dataset)
            and isinstance(obj.get("value"), h5py.Dataset))


def _table(f: h5py.Group, name: str):
    ds = f.get(name)
    return table_frame(ds) if isinstance(ds, h5py.Dataset) and ds.dtype.names else None


def file_kind(f: h5py.File) -> str:
    """"run", "sweep" or "walls", from the root attributes; NotAFirstwallFile otherwise."""
    a = f.attrs
    if "study_yaml" in a and isinstance(f.get("points"), h5py.Dataset):
        return "sweep"
    if "axis" in a and "steps" in a and isinstance(f.get("walls"), h5py.Dataset) and \
            isinstance(f.get("evaluations"), h5py.Dataset):
        return "walls"
    if "scenario_yaml" in a and isinstance(f.get("summary"), h5py.Dataset):
        return "run"
    raise NotAFirstwallFile(
        "not a firstwall result (a run has the root attribute scenario_yaml and /summary, a "
        "sweep study_yaml and /points, a wall search axis, steps, /walls and /evaluations)")


def _unit_of(df: pd.DataFrame, column: str) -> str:
    return df.attrs.get("units", {}).get(column, "")


@dataclass
class Run:
    """One run (results.h5, or a sweep's /runs/<id> group)."""

    path: str
    attrs: dict
    summary: pd.DataFrame
    walls: pd.DataFrame | None
    requests: pd.DataFrame | None
    timeseries: dict = field(default_factory=dict)   # name -> DataFrame(time_s, value)
    tables: dict = field(default_factory=dict)       # every compound dataset by path
    kind: str = "run"
    # A scenario with `workloads:`: their names, in list order; each one's metrics are the
    # /summary columns "<name>.<metric>" and its tables are under /workloads/<name>.
    workloads: list = field(default_factory=list)

    def workload_tables(self, name: str) -> dict:
        """The tables of workload `name` ({"requests": DataFrame, ...})."""
        prefix = f"workloads/{name}/"
        return {k[len(prefix):]: v for k, v in self.tables.items() if k.startswith(prefix)}

    def metric(self, name: str, default=float("nan")) -> float:
        """A /summary metric's value (default if the run did not report it)."""
        if name not in self.summary.columns:
            return default
        return self.summary[name].iloc[0]

    def unit(self, name: str) -> str:
        return _unit_of(self.summary, name)

    @property
    def name(self) -> str:
        return str(self.attrs.get("scenario_name", os.path.basename(self.path)))

    @property
    def threshold(self) -> float:
        """The utilization that counts as hitting a wall (the scenario's walls.threshold)."""
        if self.walls is None:
            return 1.0
        return float(self.walls.attrs.get("attributes", {}).get("threshold", 1.0))


@dataclass
class Sweep:
    """A sweep (sweep.h5): /points, /pareto and, with --keep-runs, each point's run."""

    path: str
    attrs: dict
    points: pd.DataFrame
    axes: list
    pareto: pd.DataFrame | None = None
    runs: dict = field(default_factory=dict)         # point id -> Run
    tables: dict = field(default_factory=dict)
    kind: str = "sweep"

    def numeric_axes(self) -> list:
        return [a for a in self.axes if pd.api.types.is_numeric_dtype(self.points[a])]

    def varied_axes(self) -> list:
        """The axes that take more than one value (an axis of one value sets a constant)."""
        return [a for a in self.axes if self.points[a].nunique(dropna=False) > 1]

    def metrics(self) -> list:
        """The summary metric columns (numbers with a unit attribute that are not axes)."""
        skip = set(self.axes) | {"point", "point_seed"}
        return [c for c in self.points.columns
                if c not in skip and c in self.points.attrs["units"]
                and pd.api.types.is_numeric_dtype(self.points[c])]


@dataclass
class WallSearch:
    """A wall search (walls.h5): /walls ranked and /evaluations (every run)."""

    path: str
    attrs: dict
    walls: pd.DataFrame
    evaluations: pd.DataFrame
    tables: dict = field(default_factory=dict)
    kind: str = "walls"

    @property
    def axis(self) -> str:
        return str(self.attrs["axis"])

    @property
    def unit(self) -> str:
        return str(self.attrs.get("unit", ""))

    @property
    def log(self) -> bool:
        return self.attrs.get("steps") == "log"


def _all_tables(group: h5py.Group, skip_prefix: str | None = None) -> dict:
    out = {}

    def visit(name, obj):
        if skip_prefix and name.startswith(skip_prefix):
            return
        if isinstance(obj, h5py.Dataset) and obj.dtype.names is not None:
            out[name] = table_frame(obj)

    group.visititems(visit)
    return out


def _load_run(group: h5py.Group, path: str) -> Run:
    series = {}
    ts = group.get(SERIES_ROOT)
    if isinstance(ts, h5py.Group):
        def visit(name, obj):
            if is_series(obj):
                series[name] = series_frame(obj)
        ts.visititems(visit)
    tables = _all_tables(group)
    # Several workloads: the order of `workloads:` is that of their metrics in /summary.
    names = list(group["workloads"].keys()) if isinstance(group.get("workloads"), h5py.Group) else []
    summary = tables.get("summary")
    if summary is not None and names:
        order = {n: min((i for i, c in enumerate(summary.columns) if c.startswith(n + ".")),
                        default=len(summary.columns)) for n in names}
        names.sort(key=lambda n: order[n])
    return Run(path=path, attrs=read_attrs(group), summary=summary,
               walls=tables.get("walls"), requests=tables.get("requests"),
               timeseries=dict(sorted(series.items())), tables=tables, workloads=names)


def open_h5(path) -> h5py.File:
    """The file opened for reading; NotAFirstwallFile if it is missing or not HDF5."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise NotAFirstwallFile("no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise NotAFirstwallFile(f"not an HDF5 file ({e})") from None


def kind_of(path) -> str:
    """The kind of the file at `path` ("run", "sweep" or "walls")."""
    with open_h5(path) as f:
        return file_kind(f)


def load(path):
    """A Run, a Sweep or a WallSearch, by the file's root attributes."""
    path = os.fspath(path)
    with open_h5(path) as f:
        kind = file_kind(f)
        if kind == "run":
            return _load_run(f, path)
        if kind == "walls":
            tables = _all_tables(f)
            return WallSearch(path=path, attrs=read_attrs(f), walls=tables["walls"],
                              evaluations=tables["evaluations"], tables=tables)
        points = table_frame(f["points"])
        axes_attr = points.attrs["attributes"].get("axes", "")
        axes = [a for a in str(axes_attr).split(",") if a]
        runs = {}
        if isinstance(f.get("runs"), h5py.Group):
            for key in sorted(f["runs"], key=lambda k: int(k) if k.isdigit() else k):
                runs[int(key) if key.isdigit() else key] = _load_run(f["runs"][key], path)
        tables = _all_tables(f, skip_prefix="runs/")
        tables["points"] = points
        return Sweep(path=path, attrs=read_attrs(f), points=points, axes=axes,
                     pareto=tables.get("pareto"), runs=runs, tables=tables)


_INDEX = re.compile(r"\[\d+\]")


def wall_family(name: str) -> str:
    """A wall's name with instance indices folded: "replica[3].saturation" -> "replica[*]..."."""
    return _INDEX.sub("[*]", name)
