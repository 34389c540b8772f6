"""`bloc.sweep` is `bloc sweep`: its DataFrame is the command line's indicators.parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import bloc
from conftest import SCENARIOS, cli

# The README's [[uncertain]] example on examples/export-ban: demand in A, and when the ban starts.
UNCERTAIN = [
    {
        "name": "demand_a",
        "table": "demand",
        "column": "quantity_t_per_yr",
        "where": {"region": "A"},
        "distribution": "lognormal",
        "median": 1.0,
        "sigma": 0.1,
    },
    {
        "name": "ban_start",
        "key": "export_control[0].from",
        "apply": "set",
        "distribution": "discrete",
        "values": ["2026", "2028"],
    },
]

UNCERTAIN_TOML = """
[[uncertain]]
name = "demand_a"
table = "demand"
column = "quantity_t_per_yr"
where = { region = "A" }
distribution = "lognormal"
median = 1.0
sigma = 0.1

[[uncertain]]
name = "ban_start"
key = "export_control[0].from"
apply = "set"
distribution = "discrete"
values = ["2026", "2028"]
"""


def test_a_sweeps_dataframe_equals_the_clis_indicators_parquet(tmp: Path):
    base = SCENARIOS / "examples" / "export-ban"
    f = tmp / "sweep.toml"
    f.write_text(f'extends = "{(base / "scenario.toml").as_posix()}"\n' + UNCERTAIN_TOML)
    cli("sweep", str(f), "--samples", "12", "--seed", "3", "--out", str(tmp / "cli"), "--quiet")
    want = pd.read_parquet(tmp / "cli" / "indicators.parquet")

    s = bloc.load(base).with_changes({"uncertain": UNCERTAIN})
    got = bloc.sweep(s, 12, seed=3, jobs=2, out=tmp / "py")
    pd.testing.assert_frame_equal(got.indicators, want)
    # Its own directory holds the same, and the bands and the draws are the CLI's.
    pd.testing.assert_frame_equal(pd.read_parquet(tmp / "py" / "indicators.parquet"), want)
    pd.testing.assert_frame_equal(got.bands, pd.read_csv(tmp / "cli" / "bands.csv"))
    pd.testing.assert_frame_equal(got.samples, pd.read_csv(tmp / "cli" / "samples.csv"))
    assert set(got.samples["status"]) == {"ok"}
    assert got.samples["ban_start"].nunique() == 2
    assert list(got.bands.columns) == ["period", "indicator", "scope", "p5", "p50", "p95"]
    assert got.manifest["samples"] == 12


def test_lhs_and_thread_count_give_the_same_rows(tmp: Path):
    s = bloc.load(SCENARIOS / "examples" / "export-ban").with_changes({"uncertain": UNCERTAIN})
    one = bloc.sweep(s, 6, seed=1, sampling="lhs", jobs=1)
    two = bloc.sweep(s, 6, seed=1, sampling="lhs", jobs=2)
    pd.testing.assert_frame_equal(one.indicators, two.indicators)
