"""Results from Python equal the command line's, file by file, for every shipped scenario;
`--format parquet` holds the same tables typed; `compare` is `bloc compare`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import bloc
from conftest import SCENARIOS, cli, shipped


def csv_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.glob("*.csv"))


@pytest.mark.parametrize("rel", shipped())
def test_every_shipped_scenario_gives_the_clis_files(rel: str, tmp: Path):
    path = SCENARIOS / rel
    cli("run", str(path), "--out", str(tmp / "cli"), "--quiet")
    r = bloc.run(path, out=tmp / "py")
    assert r.run_json["status"] == "solved"
    # The same result files, byte for byte, and the baseline's beside them when there is one.
    for sub in ["", "baseline"]:
        a, b = tmp / "cli" / sub, tmp / "py" / sub
        assert (a / "run.json").is_file() == (b / "run.json").is_file(), sub
        if not (a / "run.json").is_file():
            continue
        assert csv_files(a) == csv_files(b), sub
        for f in csv_files(a):
            assert (a / f).read_bytes() == (b / f).read_bytes(), f"{rel}/{sub}/{f}"
    # The DataFrames are the files as pandas reads them.
    for t in r.tables:
        pd.testing.assert_frame_equal(r[t], pd.read_csv(tmp / "cli" / f"{t}.csv"), obj=t)
    # The headlines, but for the directory they name.
    if (tmp / "cli" / "summary.md").is_file():
        want = (tmp / "cli" / "summary.md").read_text().replace(str(tmp / "cli"), "DIR")
        assert r.summary.replace(str(tmp / "py"), "DIR") == want
        assert r.baseline is not None
    else:
        assert r.summary is None and r.baseline is None


def test_parquet_holds_the_csv_tables_typed(tmp: Path):
    path = SCENARIOS / "examples" / "floor-fixed"
    csv = bloc.run(path, out=tmp / "csv")
    pq = bloc.run(path, out=tmp / "pq", format="parquet")
    assert pq.format == "parquet" and csv.format == "csv"
    assert pq.tables == csv.tables
    for t in csv.tables:
        # pandas reads whole numbers in a CSV as int64; Parquet keeps every number a double.
        pd.testing.assert_frame_equal(pq[t], csv[t], check_dtype=False, obj=t)
    assert pq.prices["price_usd_per_t"].dtype == "float64"
    assert pq.prices["region"].dtype != "float64"
    # The command line writes the same Parquet files.
    cli("run", str(path), "--out", str(tmp / "cli"), "--format", "parquet", "--quiet")
    for f in sorted((tmp / "cli").glob("*.parquet")):
        assert f.read_bytes() == (tmp / "pq" / f.name).read_bytes(), f.name
    assert not list((tmp / "cli").glob("*.csv"))
    assert pq.to_arrow("prices").num_rows == len(csv.prices)
    with pytest.raises(ValueError, match="compare reads CSV"):
        pq.compare(csv)


def test_compare_is_bloc_compare(tmp: Path):
    base = bloc.run(SCENARIOS / "examples" / "base", out=tmp / "a")
    floor = bloc.run(SCENARIOS / "examples" / "floor-fixed", baseline=False, out=tmp / "b")
    got = floor.compare(base)
    cli("compare", str(tmp / "a"), str(tmp / "b"), "--csv", str(tmp / "c.csv"))
    pd.testing.assert_frame_equal(got, pd.read_csv(tmp / "c.csv"))
    assert len(got) > 0


def test_a_run_with_changes_equals_the_same_change_as_a_file(tmp: Path):
    path = SCENARIOS / "examples" / "floor-fixed"
    changed = bloc.load(path).with_changes({"bloc": {"floor": [
        {"commodity": "x", "reference": {"fixed_usd_per_t": 50}, "ratio": 1.0}
    ]}})
    f = tmp / "variant.toml"
    f.write_text(
        f'extends = "{(path / "scenario.toml").as_posix()}"\n'
        '[[bloc.floor]]\ncommodity = "x"\nreference = { fixed_usd_per_t = 50 }\nratio = 1.0\n'
    )
    cli("run", str(f), "--out", str(tmp / "cli"), "--quiet")
    r = bloc.run(changed, out=tmp / "py")
    for name in csv_files(tmp / "cli"):
        assert (tmp / "cli" / name).read_bytes() == (tmp / "py" / name).read_bytes(), name
    # The floor moved: B's price is held at 50, not the 45 of floor-fixed.
    b = r.prices.query("region == 'B'")["price_usd_per_t"]
    assert (b >= 50 - 1e-6).all()


def test_seed_and_default_directory(tmp: Path):
    r = bloc.run(SCENARIOS / "examples" / "base", seed=7)
    assert r.run_json["seed"] in (7, "7")
    where = r.path
    assert where.is_dir()
    del r
    import gc

    gc.collect()
    # The temporary directory was bloc's own, so it goes with the Results.
    assert not where.exists()


def test_highs_is_the_clis_highs_and_bad_options_are_refused(tmp: Path):
    path = SCENARIOS / "examples" / "floor-fixed"
    cli("run", str(path), "--out", str(tmp / "cli"), "--solver", "highs", "--quiet")
    bloc.run(path, out=tmp / "py", solver="highs")
    for name in csv_files(tmp / "cli"):
        assert (tmp / "cli" / name).read_bytes() == (tmp / "py" / name).read_bytes(), name
    with pytest.raises(ValueError, match="give \"clarabel\" or \"highs\""):
        bloc.run(path, solver="gurobi")
    with pytest.raises(ValueError, match="give \"csv\" or \"parquet\""):
        bloc.run(path, format="xlsx")
    with pytest.raises(TypeError):
        bloc.run(path, baseline=True)


def test_a_directory_bloc_did_not_write_is_never_replaced(tmp: Path):
    mine = tmp / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="out"):
        bloc.run(SCENARIOS / "examples" / "base", out=mine)
    assert (mine / "notes.txt").read_text() == "keep me"
