"""Unit tests of tools/analysis/firstwall: the loader's DataFrames against the file itself.

Run by tests/tools/test_report.cpp (wall search only) and test_report_slow.cpp (all three)
with the files they made:
    FW_RUN=run.h5 FW_SWEEP=sweep.h5 FW_WALLS=walls.h5 PYTHONPATH=tools/analysis \\
        /usr/bin/python3 -B tests/tools/test_report_loader.py
Every table of each file is read twice, by h5py directly and by firstwall.load, and compared
column by column: names, values (NaN where NaN), units (the column attributes).
"""

import math
import os
import tempfile
import unittest

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")

import firstwall  # noqa: E402
from firstwall import figures  # noqa: E402
from firstwall import report  # noqa: E402
from firstwall.load import is_series  # noqa: E402

# The files to check; a kind whose variable is not set is skipped (the quick ctest variant
# gives only FW_WALLS).
RUN, SWEEP, WALLS = (os.environ.get(k) for k in ("FW_RUN", "FW_SWEEP", "FW_WALLS"))


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


class TablesEqualTheFile:
    """Mixin: every compound dataset of `path` equals the loaded DataFrame of that name."""

    path = None

    def assert_table_equals_file(self, df, ds):
        raw = ds[()]
        names = list(raw.dtype.names)
        self.assertEqual(list(df.columns), names)
        self.assertEqual(len(df), len(raw))
        units = {n: _text(ds.attrs[n]) for n in names if n in ds.attrs}
        self.assertEqual(df.attrs["units"], units, ds.name)
        for n in names:
            col = raw[n]
            if col.dtype.kind in "SO":
                self.assertEqual(df[n].tolist(), [_text(v) for v in col], f"{ds.name}:{n}")
            else:
                np.testing.assert_array_equal(df[n].to_numpy(), col, err_msg=f"{ds.name}:{n}")

    def test_every_table_equals_the_file(self):
        data = firstwall.load(self.path)
        seen = 0
        with h5py.File(self.path, "r") as f:
            def visit(name, obj):
                nonlocal seen
                if isinstance(obj, h5py.Dataset) and obj.dtype.names and \
                        not name.startswith("runs/"):
                    self.assertIn(name, data.tables)
                    self.assert_table_equals_file(data.tables[name], obj)
                    seen += 1
            f.visititems(visit)
        self.assertEqual(seen, len(data.tables))
        self.assertGreaterEqual(seen, 2)  # run: summary, walls, requests; sweep: points,
        # pareto (the test's sweep asks for one); walls: walls, evaluations


@unittest.skipUnless(RUN, "FW_RUN not set")
class RunFile(TablesEqualTheFile, unittest.TestCase):
    path = RUN

    def test_kind_and_named_tables(self):
        r = firstwall.load(RUN)
        self.assertIsInstance(r, firstwall.Run)
        self.assertEqual((r.kind, firstwall.kind_of(RUN)), ("run", "run"))
        self.assertIs(r.summary, r.tables["summary"])
        self.assertIs(r.walls, r.tables["walls"])
        with h5py.File(RUN, "r") as f:
            self.assertEqual(r.attrs["scenario_yaml"], _text(f.attrs["scenario_yaml"]))
            self.assertEqual(r.metric("energy_facility"), f["summary"]["energy_facility"][0])
            self.assertEqual(r.unit("energy_facility"), "J")

    def test_every_series_equals_the_file(self):
        r = firstwall.load(RUN)
        with h5py.File(RUN, "r") as f:
            groups = []
            f["timeseries"].visititems(lambda n, o: groups.append(n) if is_series(o) else None)
            self.assertEqual(sorted(groups), list(r.timeseries))
            for name in groups:
                g = f["timeseries"][name]
                df = r.timeseries[name]
                self.assertEqual(list(df.columns), ["time_s", "value"])
                np.testing.assert_array_equal(df["value"].to_numpy(), g["value"][()])
                np.testing.assert_array_equal(df["time_s"].to_numpy(), g["time_s"][()])
                self.assertEqual(df.attrs["units"], {"time_s": "s", "value": _text(g.attrs["unit"])})
        self.assertGreater(len(groups), 10)

    def test_power_flow_conserves_energy(self):
        """Grid = IT + every stage's losses + cooling, against the summary's totals; the heat
        into the CDUs is their series' window integrals."""
        r = firstwall.load(RUN)
        flow = figures.power_flow(r)
        grid = dict(flow["grid"])
        self.assertAlmostEqual(sum(grid.values()) / r.metric("energy_facility"), 1.0, places=9)
        losses = sum(v for k, v in grid.items() if k.endswith("losses"))
        self.assertAlmostEqual(losses / r.metric("energy_conversion_losses"), 1.0, places=9)
        cooling = sum(v for k, v in grid.items() if k.startswith("cooling") or k == "chiller")
        self.assertAlmostEqual(cooling / r.metric("energy_cooling"), 1.0, places=9)
        self.assertEqual(grid["IT"], r.metric("energy_it"))
        with h5py.File(RUN, "r") as f:
            cdu = 0.0
            for name in f["timeseries"]:
                if name.startswith("cdu[") and name.endswith("].heat"):
                    t = f["timeseries"][name]["time_s"][()]
                    v = f["timeseries"][name]["value"][()]
                    cdu += float(np.sum(v * np.diff(np.concatenate([[0.0], t]))))
        self.assertGreater(cdu, 0)
        self.assertAlmostEqual(dict(flow["heat"])["heat into CDUs (liquid)"] / cdu, 1.0, places=12)

    def test_headroom_of_a_temperature_is_in_kelvin(self):
        r = firstwall.load(RUN)
        w = r.walls[r.walls["unit"] == "degC"]
        self.assertGreater(len(w), 0)
        row = next(w.itertuples())
        self.assertEqual(figures.headroom_text(row),
                         f"{row.limit * (1 - row.peak_utilization):.1f} K")


@unittest.skipUnless(SWEEP, "FW_SWEEP not set")
class SweepFile(TablesEqualTheFile, unittest.TestCase):
    path = SWEEP

    def test_kind_axes_metrics(self):
        s = firstwall.load(SWEEP)
        self.assertIsInstance(s, firstwall.Sweep)
        with h5py.File(SWEEP, "r") as f:
            self.assertEqual(s.axes, _text(f["points"].attrs["axes"]).split(","))
            for m in s.metrics():
                self.assertIn(m, f["points"].attrs)
        self.assertIn("throughput_output_tokens", s.metrics())
        self.assertNotIn("point", s.metrics())
        self.assertIs(s.points, s.tables["points"])
        self.assertIs(s.pareto, s.tables["pareto"])
        self.assertTrue(set(s.pareto["point"]) <= set(s.points["point"]))
        # --keep-runs: each point that ran is a Run whose summary is that point's row.
        ran = s.points[s.points["status"] == "ok"]
        self.assertEqual(sorted(s.runs), sorted(ran["point"].tolist()))
        for p, run in s.runs.items():
            self.assertIsInstance(run, firstwall.Run)
            row = ran[ran["point"] == p].iloc[0]
            self.assertEqual(run.metric("throughput_output_tokens"),
                             row["throughput_output_tokens"])

    def test_wall_map_colours_each_point_by_its_first_wall(self):
        s = firstwall.load(SWEEP)
        cats = figures.wall_map_categories(s)
        self.assertEqual(len(cats), len(s.points))
        for c, status, wall in zip(cats, s.points["status"], s.points["first_wall"]):
            expected = figures.FAILED if status != "ok" else (
                firstwall.wall_family(wall) if wall else figures.NO_WALL)
            self.assertEqual(c, expected)
        self.assertEqual(firstwall.wall_family("replica[12].saturation"), "replica[*].saturation")


@unittest.skipUnless(WALLS, "FW_WALLS not set")
class WallsFile(TablesEqualTheFile, unittest.TestCase):
    path = WALLS

    def test_kind_and_axis(self):
        w = firstwall.load(WALLS)
        self.assertIsInstance(w, firstwall.WallSearch)
        with h5py.File(WALLS, "r") as f:
            self.assertEqual(w.axis, _text(f.attrs["axis"]))
            self.assertEqual(w.walls.attrs["units"]["value"], _text(f.attrs["unit"]))
            self.assertEqual(w.log, _text(f.attrs["steps"]) == "log")


class Report(unittest.TestCase):
    def test_page_lists_exactly_the_figures_it_holds(self):
        paths = [p for p in (RUN, SWEEP, WALLS) if p]
        self.assertTrue(paths, "no file given (FW_RUN, FW_SWEEP, FW_WALLS)")
        for path in paths:
            data = firstwall.load(path)
            names = [n for n, _, _ in figures.figures_for(data)]
            page = report.render(data, path)
            self.assertIn(f'<meta name="firstwall-figures" content="{",".join(names)}">', page)
            self.assertEqual(page.count('<figure class="fw-figure"'), len(names))
            for n in names:
                self.assertEqual(page.count(f'data-figure="{n}"'), 1)
            self.assertNotIn("<script", page)
            self.assertNotIn("<link", page)

    def test_not_a_firstwall_file(self):
        with tempfile.TemporaryDirectory() as d:
            other = os.path.join(d, "other.h5")
            with h5py.File(other, "w") as f:
                f.attrs["scenario_name"] = "x"
                f["summary"] = np.zeros(3)
            text = os.path.join(d, "text.h5")
            with open(text, "w") as f:
                f.write("not hdf5\n")
            for p in (other, text, os.path.join(d, "missing.h5")):
                with self.assertRaises(firstwall.NotAFirstwallFile):
                    firstwall.load(p)
            with self.assertRaisesRegex(firstwall.NotAFirstwallFile, "^no such file$"):
                firstwall.kind_of(os.path.join(d, "missing.h5"))
            with self.assertRaisesRegex(firstwall.NotAFirstwallFile, "^not an HDF5 file"):
                firstwall.kind_of(text)
            with self.assertRaisesRegex(firstwall.NotAFirstwallFile, "^not a firstwall result"):
                firstwall.kind_of(other)


if __name__ == "__main__":
    unittest.main(verbosity=1)
