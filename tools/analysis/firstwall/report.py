"""One self-contained HTML report of a firstwall file (a run, a sweep or a wall search).

    /usr/bin/python3 -m firstwall.report FILE.h5 -o report.html

(`firstwall report` runs this.) The page holds its figures as inline SVG and its tables as
HTML, and loads nothing: no scripts, no external style sheets, fonts or images. Each figure is
a <figure class="fw-figure" data-figure="NAME"> and the page lists the figure names in
<meta name="firstwall-figures" content="NAME,NAME,...">, so that a browser test can check
that every figure is there and rendered. Exit codes: 0 written, 2 the file is not a firstwall
result (message on stderr: "FILE: not a firstwall result ..."), 1 anything else.
"""

from __future__ import annotations

import argparse
import html
import io
import math
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only, no display
import pandas as pd  # noqa: E402

from . import figures as figs  # noqa: E402
from .load import NotAFirstwallFile, Run, Sweep, WallSearch, load  # noqa: E402

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9em}.first{font-size:1.1em;padding:.5em .8em;background:#fdecea;
border-left:4px solid #d62728;margin:1em 0}.first.none{background:#eef6ee;border-color:#2ca02c}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}
td.text,th.text{text-align:left}figure{margin:1em 0}figure svg{max-width:100%;height:auto}
figcaption{color:#555;font-size:.85em}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.75em}
details{margin:.6em 0}.scroll{max-height:30em;overflow:auto}
"""


def _svg(fig, name: str) -> str:
    """The figure as inline SVG: text kept as text (small), ids salted by the figure's name
    so that several figures on one page have no id in common, no date (reproducible)."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"fw-{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _cell(v, unit: str = "") -> tuple[str, bool]:
    """(HTML text of a table cell, is it text?)."""
    if isinstance(v, str):
        return html.escape(v), True
    if isinstance(v, float):
        if math.isnan(v):
            return "", False
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.4g}", False
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}", False
    return html.escape(str(v)), False


def html_table(df: pd.DataFrame, columns=None, max_rows: int | None = None) -> str:
    """An HTML table of `df` with each column's unit in its header ("name [unit]")."""
    units = df.attrs.get("units", {})
    columns = [c for c in (columns or df.columns) if c in df.columns]
    rows = df if max_rows is None else df.head(max_rows)
    head = "".join(
        f'<th class="{"text" if df[c].dtype == object else ""}">{html.escape(c)}'
        + (f" [{html.escape(units[c])}]" if units.get(c) else "") + "</th>" for c in columns)
    body = []
    for _, r in rows.iterrows():
        cells = []
        for c in columns:
            text, is_text = _cell(r[c])
            cells.append(f'<td class="text">{text}</td>' if is_text else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f'<p class="meta">{max_rows} of {len(df)} rows shown.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def metric_table(run: Run, columns=None) -> str:
    """The /summary row (or its `columns`) as metric / value / unit."""
    s = run.summary
    units = s.attrs.get("units", {})
    rows = []
    for c in columns or s.columns:
        text, is_text = _cell(s[c].iloc[0])
        rows.append(f'<tr><td class="text">{html.escape(c)}</td>'
                    f'<td class="{"text" if is_text else ""}">{text}</td>'
                    f'<td class="text">{html.escape(units.get(c, ""))}</td></tr>')
    return ("<table><thead><tr><th class=\"text\">metric</th><th>value</th>"
            "<th class=\"text\">unit</th></tr></thead><tbody>" + "".join(rows) +
            "</tbody></table>")


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"


def _first_wall_run(run: Run) -> str:
    w = run.walls
    hit = w[w["first_hit_time"].notna()].sort_values("rank") if w is not None else []
    if len(hit):
        f0 = hit.iloc[0]
        return (f'<div class="first">First wall: <b>{html.escape(f0["name"])}</b> '
                f'({html.escape(f0["kind"])}) at t = {f0["first_hit_time"]:.3f} s</div>')
    return '<div class="first none">No wall reached within the run.</div>'


KEY_METRICS = ("throughput_output_tokens", "ttft_p99", "tpot_p99", "requests_completed",
               "mean_facility_power", "peak_facility_power", "pue", "energy_per_output_token",
               "peak_junction_temperature", "mfu", "step_time", "tokens_per_s")


def _run_body(run: Run) -> str:
    parts = [_first_wall_run(run)]
    key = [c for c in KEY_METRICS if c in run.summary.columns]
    if key:
        parts.append("<h2>Key metrics</h2>" + metric_table(run, key))
    for w in run.workloads:
        own = [f"{w}.{c}" for c in KEY_METRICS + ("energy_gpus",)
               if f"{w}.{c}" in run.summary.columns]
        if own:
            parts.append(f"<h2>Workload {html.escape(w)}</h2>" + metric_table(run, own))
    if run.walls is not None:
        walls = run.walls.sort_values("rank").copy()
        walls["headroom"] = [figs.headroom_text(w) for w in walls.itertuples()]
        parts.append("<h2>Walls</h2>" + html_table(walls))
    return "".join(parts)


def _run_tail(run: Run) -> str:
    parts = ["<h2>Summary</h2>", _details(f"all {len(run.summary.columns)} metrics",
                                           metric_table(run))]
    requests = [("requests", run.requests)] + [
        (f"{w}: requests", run.workload_tables(w).get("requests")) for w in run.workloads]
    for label, table in requests:
        if table is not None:
            parts.append(_details(f"{label} ({len(table)}; first 200)",
                                  '<div class="scroll">' + html_table(table, max_rows=200)
                                  + "</div>"))
    if run.timeseries:
        names = "".join(f"<li>{html.escape(n)} [{html.escape(df.attrs['unit'])}], "
                        f"{len(df)} windows</li>" for n, df in run.timeseries.items())
        parts.append(_details(f"time series ({len(run.timeseries)})", f"<ul>{names}</ul>"))
    yaml = run.attrs.get("scenario_yaml")
    if yaml:
        parts.append(_details("the resolved scenario", f"<pre>{html.escape(yaml)}</pre>"))
    return "".join(parts)


def _sweep_body(sweep: Sweep) -> str:
    p = sweep.points
    ok = int((p["status"] == "ok").sum())
    failed = len(p) - ok
    cats = figs.wall_map_categories(sweep)
    counts = cats.value_counts()
    lines = "".join(f"<li>{html.escape(c)}: {n} point(s)</li>" for c, n in counts.items())
    parts = [f'<div class="first{" none" if failed == 0 else ""}">{len(p)} points over '
             f'{html.escape(", ".join(sweep.axes))} ({html.escape(str(sweep.attrs.get("mode")))}'
             f"): {ok} ran, {failed} failed.</div>",
             f"<h2>First walls</h2><ul>{lines}</ul>"]
    cols = (["point"] + sweep.axes + ["status", "first_wall", "first_wall_kind",
                                      "first_wall_time"]
            + figs.default_metrics(p.columns))
    parts.append("<h2>Points</h2>" + '<div class="scroll">' + html_table(p, cols, 500) + "</div>")
    if failed:
        bad = p[p["status"] != "ok"]
        parts.append("<h2>Failed points</h2>" + html_table(bad, ["point"] + sweep.axes +
                                                             ["error"], 100))
    if sweep.pareto is not None:
        parts.append("<h2>Pareto front</h2><p class=\"meta\">"
                     + html.escape(str(sweep.pareto.attrs["attributes"].get("meaning", "")))
                     + "</p>" + html_table(sweep.pareto))
    return "".join(parts)


def _sweep_tail(sweep: Sweep) -> str:
    parts = ["<h2>All columns</h2>",
             _details(f"every column of /points ({len(sweep.points.columns)})",
                      '<div class="scroll">' + html_table(sweep.points, max_rows=500) + "</div>")]
    if sweep.runs:
        parts.append(f"<p class=\"meta\">{len(sweep.runs)} kept run(s) under /runs "
                     "(report one with the Python package: load(path).runs[id]).</p>")
    parts.append(_details("the study", f"<pre>{html.escape(sweep.attrs.get('study_yaml', ''))}"
                                       "</pre>"))
    parts.append(_details("the base scenario (resolved)",
                          f"<pre>{html.escape(sweep.attrs.get('base_scenario_yaml', ''))}</pre>"))
    return "".join(parts)


def _walls_body(search: WallSearch) -> str:
    w = search.walls  # ranked hits first, then the walls not hit (rank 0)
    first = w[w["status"].isin(["hit", "hit_at_start"])].sort_values("rank")
    if len(first):
        f0 = first.iloc[0]
        head = (f'<div class="first">First wall along {html.escape(search.axis)}: '
                f'<b>{html.escape(f0["name"])}</b> ({html.escape(f0["kind"])}) at '
                f'{f0["value"]:.4g} {html.escape(search.unit)}</div>')
    else:
        head = (f'<div class="first none">No wall hit along {html.escape(search.axis)} from '
                f'{html.escape(str(search.attrs.get("from")))} to '
                f'{html.escape(str(search.attrs.get("to")))}.</div>')
    return head + "<h2>Walls</h2>" + html_table(w)


def _walls_tail(search: WallSearch) -> str:
    return ("<h2>Runs</h2>" + _details(f"every evaluation ({len(search.evaluations)})",
                                       '<div class="scroll">' +
                                       html_table(search.evaluations.sort_values("value")) +
                                       "</div>") +
            _details("the scenario", f"<pre>{html.escape(search.attrs.get('scenario_yaml', ''))}"
                                     "</pre>"))


TITLES = {"run": "run", "sweep": "sweep", "walls": "wall search"}


def render(data, source: str) -> str:
    """The HTML page of loaded data (a Run, a Sweep or a WallSearch)."""
    figures = figs.figures_for(data)
    a = data.attrs
    if isinstance(data, Run):
        name, body, tail = data.name, _run_body(data), _run_tail(data)
    elif isinstance(data, Sweep):
        name = os.path.basename(str(a.get("base_scenario_file", ""))) or "sweep"
        body, tail = _sweep_body(data), _sweep_tail(data)
    else:
        name = f"{os.path.basename(str(a.get('scenario_file', '')))} along {data.axis}"
        body, tail = _walls_body(data), _walls_tail(data)
    fig_html = []
    for fname, caption, fig in figures:
        fig_html.append(f'<figure class="fw-figure" id="fig-{fname}" data-figure="{fname}">'
                        f"{_svg(fig, fname)}<figcaption>{html.escape(caption)}</figcaption>"
                        "</figure>")
    meta = (f"{html.escape(os.path.basename(source))} · firstwall "
            f"{html.escape(str(a.get('firstwall_version', '?')))} · seed "
            f"{html.escape(str(a.get('seed', '?')))} · created "
            f"{html.escape(str(a.get('created_utc', '?')))}")
    names = ",".join(f[0] for f in figures)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"firstwall-figures\" content=\"{names}\">"
            f"<meta name=\"firstwall-kind\" content=\"{data.kind}\">"
            f"<title>firstwall {TITLES[data.kind]}: {html.escape(name)}</title>"
            f"<style>{CSS}</style></head><body>"
            f"<h1>firstwall {TITLES[data.kind]}: {html.escape(name)}</h1>"
            f"<p class=\"meta\">{meta}</p>{body}<h2>Figures</h2>{''.join(fig_html)}{tail}"
            "</body></html>\n")


def write_atomic(path: str, text: str) -> None:
    """Writes `text` to a temporary file beside `path`, then renames it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m firstwall.report",
                                description="One self-contained HTML report of a firstwall "
                                            "run, sweep or wall search.")
    p.add_argument("file", help="results.h5, sweep.h5 or walls.h5")
    p.add_argument("-o", "--output", help="HTML file (default: FILE with .html)")
    args = p.parse_args(argv)
    out = args.output or os.path.splitext(args.file)[0] + ".html"
    try:
        data = load(args.file)
    except NotAFirstwallFile as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 2
    page = render(data, args.file)
    write_atomic(out, page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
