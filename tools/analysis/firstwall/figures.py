"""Figures of firstwall results, each a function that returns a matplotlib Figure.

  timeseries_figure(run)        utilization of the top walls, power, temperatures, clocks
  walls_figure(run)             the ranked walls: peak and mean utilization, headroom
  power_flow_figure(run)        grid -> stage losses -> IT -> heat -> cooling (stacked bars)
  wall_search_figure(search)    where along the axis each wall is first hit
  sweep_lines_figure(sweep)     metrics against the first numeric axis, a line per other value
  sweep_heatmap_figure(sweep)   one metric over two axes
  wall_map_figure(sweep)        two axes, each point coloured by its first wall
  figures_for(data)             [(name, caption, Figure)] of whatever the file supports

Only matplotlib's object API is used (no pyplot state), so figures can be built in any backend.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from .load import Run, Sweep, WallSearch, wall_family

# Qualitative colours for wall kinds and wall-map categories (matplotlib's tab20 order).
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
            "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
_KIND_COLOURS = {"latency_slo": "#d62728", "compute": "#1f77b4", "hbm_bandwidth": "#9467bd",
                 "hbm_capacity": "#8c564b", "network": "#17becf", "power": "#ff7f0e",
                 "thermal": "#e377c2", "cooling": "#2ca02c"}
NO_WALL = "no wall"
FAILED = "failed"

# At most this many lines per panel of a time-series figure: a hall has hundreds of groups.
MAX_LINES = 8


def _kind_colour(kind: str, seen: dict) -> str:
    if kind in _KIND_COLOURS:
        return _KIND_COLOURS[kind]
    if kind not in seen:
        seen[kind] = _PALETTE[(10 + len(seen)) % len(_PALETTE)]
    return seen[kind]


def _time_axis(seconds: float):
    """(divisor, label) for a time axis spanning `seconds`."""
    if seconds > 3 * 3600:
        return 3600.0, "time [h]"
    if seconds > 3 * 60:
        return 60.0, "time [min]"
    return 1.0, "time [s]"


def _pick(series: dict, names: list, limit: int = MAX_LINES) -> tuple[list, int]:
    """At most `limit` of `names`, those with the highest peaks, in name order; and the total."""
    if len(names) <= limit:
        return names, len(names)
    peaks = sorted(names, key=lambda n: -np.nanmax(series[n]["value"].to_numpy(),
                                                   initial=-np.inf))
    return sorted(peaks[:limit]), len(names)


def _legend(ax, shown: int, total: int):
    title = None if shown == total else f"{shown} of {total} shown (highest peaks)"
    ax.legend(fontsize="x-small", title=title, title_fontsize="x-small", loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def timeseries_panels(run: Run) -> list:
    """[(panel title, [series names])] of the run: utilization, power, temperature, clocks."""
    ts = run.timeseries
    panels = []
    if run.walls is not None and len(run.walls):
        top = run.walls.sort_values("rank")["name"].tolist()
        util = [f"{n}.utilization" for n in top if f"{n}.utilization" in ts][:MAX_LINES]
        if util:
            panels.append(("utilization", util))
    facility = [n for n in ts if n.startswith("facility.") and ts[n].attrs["unit"] == "W"]
    per_gpu = [n for n in ts if n.endswith(".power_per_gpu")]
    if facility or per_gpu:
        panels.append(("power", facility + per_gpu))
    temps = [n for n in ts if ts[n].attrs["unit"] == "degC"]
    if temps:
        panels.append(("temperature", temps))
    clocks = [n for n in ts if n.endswith(".clock_ratio")]
    if clocks:
        panels.append(("clock", clocks))
    return panels


def timeseries_figure(run: Run) -> Figure:
    """Utilization of the highest-ranked walls, facility and per-GPU power, temperatures and
    clocks over simulated time, one panel each (panels without series are left out)."""
    panels = timeseries_panels(run)
    if not panels:
        raise ValueError("the run has no time series")
    end = max(float(df["time_s"].max()) for df in run.timeseries.values() if len(df))
    div, xlabel = _time_axis(end)
    fig = Figure(figsize=(9.5, 2.3 * len(panels) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    ts = run.timeseries
    for ax, (title, names) in zip(axes, panels):
        if title == "utilization":
            for n in names:
                ax.plot(ts[n]["time_s"] / div, ts[n]["value"] * 100, lw=1,
                        label=n[: -len(".utilization")])
            ax.axhline(run.threshold * 100, color="k", lw=0.8, ls="--")
            ax.set_ylabel("utilization [%]")
            _legend(ax, len(names), len(names))
        elif title == "power":
            facility = [n for n in names if n.startswith("facility.")]
            gpu, total = _pick(ts, [n for n in names if n not in facility])
            for n in facility:
                ax.plot(ts[n]["time_s"] / div, ts[n]["value"] / 1e3, lw=1, label=n)
            ax.set_ylabel("facility [kW]" if facility else "")
            if gpu:
                ax2 = ax.twinx() if facility else ax
                for i, n in enumerate(gpu):
                    ax2.plot(ts[n]["time_s"] / div, ts[n]["value"], lw=0.8, ls=":" if facility
                             else "-", color=_PALETTE[(len(facility) + i) % 20], label=n)
                ax2.set_ylabel("per GPU [W]")
                if facility:
                    h1, l1 = ax.get_legend_handles_labels()
                    h2, l2 = ax2.get_legend_handles_labels()
                    ax.legend(h1 + h2, l1 + l2, fontsize="x-small", loc="upper left",
                              bbox_to_anchor=(1.08, 1.0), borderaxespad=0,
                              title=None if len(gpu) == total else
                              f"{len(gpu)} of {total} GPU groups", title_fontsize="x-small")
                else:
                    _legend(ax, len(gpu), total)
            else:
                _legend(ax, len(facility), len(facility))
        else:
            shown, total = _pick(ts, names)
            for n in shown:
                ax.plot(ts[n]["time_s"] / div, ts[n]["value"], lw=1, label=n)
            ax.set_ylabel("temperature [°C]" if title == "temperature" else "clock / full clock")
            _legend(ax, len(shown), total)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(xlabel)
    fig.suptitle(f"{run.name}: time series", fontsize=10)
    return fig


def headroom_text(w) -> str:
    """A wall's headroom as the report prints it: kelvin for temperatures, else percent."""
    peak = float(w.peak_utilization)
    if w.unit == "degC" and math.isfinite(float(w.limit)):
        return f"{float(w.limit) * (1 - peak):.1f} K"
    return f"{max(0.0, 1 - peak) * 100:.1f} %"


def walls_figure(run: Run, top: int = 20) -> Figure:
    """The ranked walls: each resource's peak (bar) and mean (tick) utilization against the
    threshold, coloured by kind, hit walls labelled with their first-hit time, the rest with
    their headroom."""
    if run.walls is None or not len(run.walls):
        raise ValueError("the run has no walls")
    walls = run.walls.sort_values("rank").head(top)
    thr = run.threshold
    fig = Figure(figsize=(9.5, 0.32 * len(walls) + 1.4), layout="constrained")
    ax = fig.subplots()
    seen: dict = {}
    n = len(walls)
    xmax = max(thr * 100, float(np.nanmax(walls["peak_utilization"])) * 100) * 1.35
    for i, w in enumerate(walls.itertuples()):
        y = n - 1 - i
        peak = float(w.peak_utilization) * 100
        hit = math.isfinite(float(w.first_hit_time))
        ax.barh(y, peak, color=_kind_colour(w.kind, seen), alpha=1.0 if hit else 0.55)
        ax.plot([float(w.mean_utilization) * 100], [y], marker="|", color="k", ms=9)
        label = (f"  hit at {float(w.first_hit_time):.3g} s" if hit
                 else f"  headroom {headroom_text(w)}")
        ax.text(min(peak, xmax), y, label, va="center", fontsize=7)
    ax.axvline(thr * 100, color="k", lw=0.8, ls="--")
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"{r}. {nm}" for r, nm in zip(walls["rank"], walls["name"])][::-1],
                       fontsize=7)
    ax.set_xlim(0, xmax)
    ax.set_xlabel("peak utilization [%] (bar), mean (tick); dashed: the wall")
    kinds = list(dict.fromkeys(walls["kind"]))
    ax.legend(handles=[Patch(color=_kind_colour(k, seen), label=k) for k in kinds],
              fontsize="x-small", loc="lower right")
    first = walls[walls["first_hit_time"].notna()]
    title = f"{run.name}: walls ranked"
    if len(first):
        f0 = first.iloc[0]
        title += f" (first: {f0['name']} at {float(f0['first_hit_time']):.3g} s)"
    ax.set_title(title, fontsize=10)
    return fig


def _integral(df: pd.DataFrame) -> float:
    """Energy of a power series of window means: sum of value x window length (from t = 0)."""
    t = df["time_s"].to_numpy()
    v = df["value"].to_numpy()
    return float(np.nansum(v * np.diff(np.concatenate([[0.0], t]))))


def power_flow(run: Run) -> dict:
    """The run's energy flow in J: {"grid": [(label, J)], "heat": [(label, J)], ...}.

    grid: the facility's electricity = IT + each power stage's losses (its `.loss` series
    integrated; any rest of the summary's conversion losses as "other conversion losses") +
    cooling (pumps, fans, chiller); it sums to the summary's energy_facility. heat: the heat
    the cooling plant took in, as measured: into the CDUs (their `.heat` series) and into the
    air (air.heat utilization x its limit); then, if IT + losses exceed that, the rest as
    "not into the cooling plant" (losses outside the cooled hall, heat still stored in the
    thermal masses). Over a short run the measured heat can exceed IT + losses: the cold
    plates and coolant release heat stored earlier, and pump work heats the coolant.
    """
    facility = run.metric("energy_facility")
    it = run.metric("energy_it")
    if not (math.isfinite(facility) and math.isfinite(it)):
        raise ValueError("the run has no plant energy (an uncoupled plant)")
    losses_total = run.metric("energy_conversion_losses", 0.0)
    ts = run.timeseries
    stages = [(n[len("power."): -len(".loss")], _integral(ts[n])) for n in ts
              if n.startswith("power.") and n.endswith(".loss") and ts[n].attrs["unit"] == "W"]
    grid = [("IT", it)]
    for name, e in stages:
        grid.append((f"{name} losses", e))
    rest = losses_total - sum(e for _, e in stages)
    if rest > 1e-6 * max(facility, 1.0):
        grid.append(("other conversion losses", rest))
    parts = [("cooling pumps", "energy_cooling_pumps"), ("cooling fans", "energy_cooling_fans"),
             ("chiller", "energy_cooling_chiller")]
    cooling_parts = [(label, run.metric(m)) for label, m in parts if math.isfinite(run.metric(m))]
    if cooling_parts:
        grid += [(label, e) for label, e in cooling_parts]
    else:
        grid.append(("cooling", run.metric("energy_cooling", 0.0)))
    heat = []
    cdu = sum(_integral(ts[n]) for n in ts if n.startswith("cdu[") and n.endswith("].heat"))
    if cdu > 0:
        heat.append(("heat into CDUs (liquid)", cdu))
    air = 0.0
    if run.walls is not None and "air.heat.utilization" in ts:
        row = run.walls[run.walls["name"] == "air.heat"]
        if len(row) and row["unit"].iloc[0] == "W":
            air = _integral(ts["air.heat.utilization"]) * float(row["limit"].iloc[0])
            heat.append(("heat into the air", air))
    other = it + losses_total - cdu - air
    if other > 1e-6 * max(facility, 1.0):
        heat.append(("heat not into the cooling plant", other))
    return {"grid": [(k, v) for k, v in grid if v > 0],
            "heat": [(k, v) for k, v in heat if v > 0],
            "facility": facility, "it_and_losses": it + losses_total, "pue": run.metric("pue")}


def power_flow_figure(run: Run) -> Figure:
    """Where the energy went: the grid's electricity split into IT, each conversion stage's
    losses and the cooling plant's power; below it, the heat the cooling plant took in (see
    power_flow)."""
    flow = power_flow(run)
    fig = Figure(figsize=(9.5, 3.2), layout="constrained")
    ax = fig.subplots()
    unit, div = ("kWh", 3.6e6) if flow["facility"] >= 3.6e5 else ("Wh", 3.6e3)
    rows = [("grid electricity", flow["grid"]), ("heat", flow["heat"])]
    xmax = max(flow["facility"], sum(v for _, v in flow["heat"])) / div * 1.18
    colour = {}
    for i, (label, _) in enumerate(flow["grid"] + flow["heat"]):
        colour.setdefault(label, _PALETTE[len(colour) % len(_PALETTE)])
    for y, (row_label, parts) in zip((1, 0), rows):
        left = 0.0
        total = sum(v for _, v in parts)
        for label, v in parts:
            ax.barh(y, v / div, left=left / div, color=colour[label], edgecolor="white",
                    label=label if y == 1 or label not in dict(flow["grid"]) else None)
            if v / max(total, 1e-300) > 0.06:
                ax.text((left + v / 2) / div, y, f"{v / total * 100:.0f} %", ha="center",
                        va="center", fontsize=7, color="white")
            left += v
        ax.text(left / div, y, f"  {total / div:.3g} {unit}", va="center", fontsize=8)
    ax.set_yticks([1, 0])
    ax.set_yticklabels([r[0] for r in rows])
    ax.set_xlabel(f"energy over the run [{unit}]")
    ax.set_xlim(0, xmax)
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0)
    pue = flow["pue"]
    ax.set_title(f"{run.name}: power flow, grid → conversion losses → IT → heat → cooling"
                 + (f" (PUE {pue:.3f})" if math.isfinite(pue) else ""), fontsize=10)
    return fig


def wall_search_figure(search: WallSearch, top: int = 20) -> Figure:
    """One row per resource, ranked: a hit wall is a bar from the range's start to the value
    where it is first hit (the bracket's lower end marked), labelled with its value and its
    distance from the first wall; a wall not hit within the range is drawn faded to the
    range's end, labelled with its peak utilization there."""
    walls = search.walls.head(top)  # the file's order: ranked hits, then the rest (rank 0)
    if not len(walls):
        raise ValueError("the wall search found no walls")
    values = search.evaluations["value"]
    lo, hi = float(values.min()), float(values.max())
    log = search.log
    unit = search.unit
    first = walls[(walls["rank"] == 1) & walls["value"].notna()]
    first_value = float(first["value"].iloc[0]) if len(first) else None
    fig = Figure(figsize=(9.5, 0.42 * len(walls) + 1.6), layout="constrained")
    ax = fig.subplots()
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
    ax.set_xlabel(f"{search.axis} [{unit}]")
    tol = float(search.attrs.get("tolerance", float("nan")))
    ax.set_title(f"First wall along {search.axis} ({search.attrs.get('from')} to "
                 f"{search.attrs.get('to')}, tolerance {tol * 100:g} %)", fontsize=10)
    return fig


# --- sweeps -------------------------------------------------------------------------------

DEFAULT_SWEEP_METRICS = ("throughput_output_tokens", "ttft_p99", "tpot_p99",
                         "mean_facility_power", "pue", "peak_junction_temperature")


def _axis_label(sweep: Sweep, axis: str) -> str:
    unit = sweep.points.attrs["units"].get(axis, "")
    return f"{axis} [{unit}]" if unit else axis


def _is_log(values) -> bool:
    v = np.asarray([x for x in values if isinstance(x, (int, float)) and math.isfinite(x)],
                   dtype=float)
    return len(v) > 2 and bool(np.all(v > 0)) and v.max() / v.min() >= 8


def _positions(sweep: Sweep, axis: str):
    """(coordinates of every point on `axis`, tick positions, tick labels, log scale?)."""
    col = sweep.points[axis]
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float), None, None, _is_log(col)
    cats = list(dict.fromkeys(col))
    idx = {c: i for i, c in enumerate(cats)}
    return np.array([idx[c] for c in col], dtype=float), list(range(len(cats))), cats, False


def default_metrics(columns) -> list:
    """The columns of DEFAULT_SWEEP_METRICS, in its order; with several workloads
    (`workloads:`) each workload's own as well ("chat.ttft_p99" beside "ttft_p99")."""
    columns = list(columns)
    return [c for m in DEFAULT_SWEEP_METRICS for c in columns
            if c == m or (c.endswith("." + m) and "." not in c[:-len(m) - 1])]


def sweep_metrics(sweep: Sweep, metrics=None) -> list:
    have = sweep.metrics()
    if metrics:
        missing = [m for m in metrics if m not in have]
        if missing:
            raise ValueError(f"no metric {missing} in the sweep (has {have})")
        return list(metrics)
    chosen = [m for m in default_metrics(have) if sweep.points[m].notna().any()]
    return chosen or have[:4]


def sweep_lines_figure(sweep: Sweep, metrics=None, x: str | None = None) -> Figure:
    """Each metric against axis `x` (default: the first numeric axis), one line per
    combination of the other axes' values; failed points are left out."""
    if not sweep.axes:
        raise ValueError("the sweep has no axes")
    varied = sweep.varied_axes()
    numeric = [a for a in sweep.numeric_axes() if a in varied]
    x = x or (numeric[0] if numeric else (varied or sweep.axes)[0])
    metrics = sweep_metrics(sweep, metrics)
    others = [a for a in varied if a != x]
    ok = sweep.points[sweep.points["status"] == "ok"]
    if len(others) == 1:
        groups = [((k,), g) for k, g in ok.groupby(others[0], sort=False)]
    else:
        groups = list(ok.groupby(others, sort=False)) if others else [((), ok)]
    ncol = 2 if len(metrics) > 1 else 1
    nrow = math.ceil(len(metrics) / ncol)
    fig = Figure(figsize=(9.5, 2.6 * nrow + 0.8), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    xs_all, ticks, labels, log = _positions(sweep, x)
    xs_all = pd.Series(xs_all, index=sweep.points.index)
    units = sweep.points.attrs["units"]
    for ax, m in zip(axes, metrics):
        for i, (key, g) in enumerate(groups[:MAX_LINES]):
            g = g.assign(_x=xs_all[g.index]).sort_values("_x")
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{a.split('.')[-1]}={v:g}" if isinstance(v, float)
                              else f"{a.split('.')[-1]}={v}" for a, v in zip(others, key))
            ax.plot(g["_x"], g[m], marker="o", ms=3, lw=1, label=label or None,
                    color=_PALETTE[i % 20])
        ax.set_ylabel(f"{m} [{units.get(m, '')}]" if units.get(m) else m, fontsize=8)
        if log:
            ax.set_xscale("log")
        if ticks is not None:
            ax.set_xticks(ticks)
            ax.set_xticklabels(labels, fontsize=7, rotation=20)
        ax.grid(alpha=0.3)
        ax.set_xlabel(_axis_label(sweep, x), fontsize=8)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    if others:
        axes[ncol - 1].legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                              borderaxespad=0, title=None if len(groups) <= MAX_LINES else
                              f"{MAX_LINES} of {len(groups)} lines shown",
                              title_fontsize="x-small")
    fig.suptitle(f"sweep: metrics along {x}", fontsize=10)
    return fig


def _two_axes(sweep: Sweep, x, y):
    """x and y given, or the first two axes that take more than one value."""
    if len(sweep.axes) < 1:
        raise ValueError("the sweep has no axes")
    varied = sweep.varied_axes() or sweep.axes
    x = x or varied[0]
    if y is None:
        y = next((a for a in varied if a != x), None)
    return x, y


def _grid_cells(sweep: Sweep, x: str, y: str):
    """Unique values of x and y in order, and the point index at each (iy, ix) (or -1)."""
    def uniq(a):
        vals = list(dict.fromkeys(sweep.points[a]))
        if pd.api.types.is_numeric_dtype(sweep.points[a]):
            vals = sorted(vals)
        return vals
    xv, yv = uniq(x), uniq(y)
    cell = -np.ones((len(yv), len(xv)), dtype=int)
    xi = {v: i for i, v in enumerate(xv)}
    yi = {v: i for i, v in enumerate(yv)}
    for row, (a, b) in enumerate(zip(sweep.points[x], sweep.points[y])):
        cell[yi[b], xi[a]] = row
    return xv, yv, cell


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


def sweep_heatmap_figure(sweep: Sweep, metric: str, x: str | None = None,
                         y: str | None = None) -> Figure:
    """`metric` over a grid of two axes (cells in value order, equal widths), each cell
    annotated; failed points hatched. Needs two axes."""
    x, y = _two_axes(sweep, x, y)
    if y is None:
        raise ValueError("a heat map needs two axes")
    if metric not in sweep.points.columns:
        raise ValueError(f"no metric {metric} in the sweep")
    xv, yv, cell = _grid_cells(sweep, x, y)
    vals = np.full(cell.shape, np.nan)
    for (iy, ix), row in np.ndenumerate(cell):
        if row >= 0 and sweep.points["status"].iloc[row] == "ok":
            vals[iy, ix] = float(sweep.points[metric].iloc[row])
    fig = Figure(figsize=(1.0 * len(xv) + 3.2, 0.55 * len(yv) + 1.8), layout="constrained")
    ax = fig.subplots()
    mesh = ax.pcolormesh(np.ma.masked_invalid(vals), cmap="viridis")
    unit = sweep.points.attrs["units"].get(metric, "")
    fig.colorbar(mesh, ax=ax, label=f"{metric} [{unit}]" if unit else metric)
    finite = vals[np.isfinite(vals)]
    mid = float(np.nanmean(finite)) if len(finite) else 0.0
    for (iy, ix), v in np.ndenumerate(vals):
        if math.isfinite(v):
            ax.text(ix + 0.5, iy + 0.5, f"{v:.3g}", ha="center", va="center", fontsize=7,
                    color="white" if v < mid else "black")
        elif cell[iy, ix] >= 0:
            ax.add_patch(Rectangle(
                (ix, iy), 1, 1, fill=False, hatch="xx", color="0.5"))
    ax.set_xticks(np.arange(len(xv)) + 0.5)
    ax.set_xticklabels([_fmt(v) for v in xv], fontsize=7, rotation=30)
    ax.set_yticks(np.arange(len(yv)) + 0.5)
    ax.set_yticklabels([_fmt(v) for v in yv], fontsize=7)
    ax.set_xlabel(_axis_label(sweep, x), fontsize=8)
    ax.set_ylabel(_axis_label(sweep, y), fontsize=8)
    ax.set_title(f"{metric} over {x.split('.')[-1]} × {y.split('.')[-1]}", fontsize=10)
    return fig


def wall_map_categories(sweep: Sweep) -> pd.Series:
    """Each point's category on the wall map: its first wall (instance indices folded, so
    that replica[0] and replica[3] are one colour), "no wall", or "failed"."""
    p = sweep.points
    cats = []
    for status, wall in zip(p["status"], p["first_wall"]):
        if status != "ok":
            cats.append(FAILED)
        elif not wall:
            cats.append(NO_WALL)
        else:
            cats.append(wall_family(wall))
    return pd.Series(cats, index=p.index, name="wall_map_category")


def wall_map_figure(sweep: Sweep, x: str | None = None, y: str | None = None) -> Figure:
    """THE picture: the sweep's points on two axes, each coloured by the first wall it hit
    (grey: none within the run, black cross: the point failed). A grid sweep is drawn as
    cells; random and Latin-hypercube points as markers. With one axis, a strip."""
    x, y = _two_axes(sweep, x, y)
    cats = wall_map_categories(sweep)
    kinds = {}
    for c, k in zip(cats, sweep.points["first_wall_kind"]):
        if c not in (NO_WALL, FAILED) and k:
            kinds.setdefault(c, [])
            if k not in kinds[c]:
                kinds[c].append(k)
    order = [c for c in dict.fromkeys(cats) if c not in (NO_WALL, FAILED)]
    colour = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(order)}
    colour[NO_WALL] = "#d9d9d9"
    colour[FAILED] = "#ffffff"
    grid = sweep.attrs.get("mode", "grid") in ("grid",) and y is not None
    fig = Figure(figsize=(9.5, 5.2 if y is not None else 2.6), layout="constrained")
    ax = fig.subplots()
    if grid:
        xv, yv, cell = _grid_cells(sweep, x, y)
        for (iy, ix), row in np.ndenumerate(cell):
            if row < 0:
                continue
            c = cats.iloc[row]
            ax.add_patch(Rectangle(
                (ix, iy), 1, 1, facecolor=colour[c], edgecolor="white", lw=1.5))
            if c == FAILED:
                ax.plot([ix + 0.5], [iy + 0.5], marker="x", color="k", ms=8)
            elif c != NO_WALL and "first_wall_time" in sweep.points.columns:
                t = float(sweep.points["first_wall_time"].iloc[row])
                if math.isfinite(t) and len(xv) <= 16:
                    ax.text(ix + 0.5, iy + 0.5, f"{t:.3g} s", ha="center", va="center",
                            fontsize=6, color="white")
        ax.set_xlim(0, len(xv))
        ax.set_ylim(0, len(yv))
        ax.set_xticks(np.arange(len(xv)) + 0.5)
        ax.set_xticklabels([_fmt(v) for v in xv], fontsize=7, rotation=30)
        ax.set_yticks(np.arange(len(yv)) + 0.5)
        ax.set_yticklabels([_fmt(v) for v in yv], fontsize=7)
    else:
        xs, xt, xl, xlog = _positions(sweep, x)
        if y is not None:
            ys, yt, yl, ylog = _positions(sweep, y)
        else:
            ys, yt, yl, ylog = np.zeros(len(xs)), [0], [""], False
        for c in colour:
            sel = (cats == c).to_numpy()
            if sel.any():
                ax.scatter(xs[sel], ys[sel], s=60, c=colour[c],
                           marker="x" if c == FAILED else "s",
                           edgecolors="k" if c != FAILED else None, linewidths=0.3)
        if xlog:
            ax.set_xscale("log")
        if ylog:
            ax.set_yscale("log")
        if xt is not None:
            ax.set_xticks(xt)
            ax.set_xticklabels(xl, fontsize=7)
        if yt is not None:
            ax.set_yticks(yt)
            ax.set_yticklabels(yl, fontsize=7)
    ax.set_xlabel(_axis_label(sweep, x), fontsize=8)
    if y is not None:
        ax.set_ylabel(_axis_label(sweep, y), fontsize=8)
    handles = []
    for c in order + [NO_WALL, FAILED]:
        n = int((cats == c).sum())
        if not n:
            continue
        label = f"{c} ({'/'.join(kinds.get(c, []))}): {n}" if c in kinds else f"{c}: {n}"
        if c == FAILED:
            handles.append(Line2D([], [], marker="x", color="k", ls="", label=label))
        else:
            handles.append(Patch(facecolor=colour[c], edgecolor="0.5", label=label))
    ax.legend(handles=handles, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0, title="first wall: points", title_fontsize="x-small")
    more = [a for a in sweep.varied_axes() if a not in (x, y)]
    title = "wall map: the first wall at each point" + (" (in each cell: when it was hit)"
                                                         if grid else "")
    if more:
        title += f" (over {', '.join(more)} too: cells overlap)"
    ax.set_title(title, fontsize=10)
    return fig


# --- all figures of a file --------------------------------------------------------------

def figures_for(data, heatmap_metrics=("throughput_output_tokens", "tpot_p99")) -> list:
    """[(name, caption, Figure)]: every figure the data supports, in report order.

    run: timeseries, walls, power_flow (a coupled plant only); walls: wall_search; sweep:
    wall_map, heatmap_<metric> (two axes, grid mode), lines.
    """
    out = []
    if isinstance(data, Run):
        if timeseries_panels(data):
            out.append(("timeseries", "Utilization of the highest-ranked walls, facility and "
                        "per-GPU power, temperatures and clocks over the run.",
                        timeseries_figure(data)))
        if data.walls is not None and len(data.walls):
            out.append(("walls", "Every resource ranked: peak utilization (bar), mean "
                        "(tick), the wall (dashed), first-hit time or headroom.",
                        walls_figure(data)))
        if math.isfinite(data.metric("energy_facility")) and \
                math.isfinite(data.metric("energy_it")):
            out.append(("power_flow", "Where the energy went: grid electricity into IT, "
                        "conversion losses and cooling; below, the heat the cooling plant "
                        "took in, by where.", power_flow_figure(data)))
    elif isinstance(data, WallSearch):
        if len(data.walls):
            out.append(("wall_search", f"Where along {data.axis} each wall is first hit "
                        "(bracket's lower end marked); faded: not hit within the range.",
                        wall_search_figure(data)))
    elif isinstance(data, Sweep):
        if data.axes:
            out.append(("wall_map", "Each point coloured by the first wall it hit.",
                        wall_map_figure(data)))
            if len(data.varied_axes()) >= 2 and data.attrs.get("mode", "grid") == "grid":
                for m in heatmap_metrics:
                    if m in data.points.columns and data.points[m].notna().any():
                        out.append((f"heatmap_{m}", f"{m} over the first two axes.",
                                    sweep_heatmap_figure(data, m)))
            if (data.points["status"] == "ok").any() and sweep_metrics(data):
                out.append(("lines", "Metrics along the first numeric axis, a line per value "
                            "of the others.", sweep_lines_figure(data)))
    else:
        raise TypeError(f"not firstwall data: {type(data).__name__}")
    return out
