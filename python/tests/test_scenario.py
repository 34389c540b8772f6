"""Loading, changing and checking scenarios: the real loader, the CLI's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

import bloc
from conftest import ROOT, SCENARIOS, cli

BAD = ROOT / "crates" / "bloc-scenario" / "tests" / "bad-input"


def test_load_shows_what_the_scenario_holds():
    s = bloc.load(SCENARIOS / "world" / "bloc-feb-2026")
    assert s.name == "world-bloc-feb-2026"
    assert s.periods[0] == "2026Q1" and len(s.periods) == 40
    assert {"region": "USA", "from": "2026Q1"} in s.members
    assert "CHN" in s.regions and "ndpr_oxide" in s.commodities
    assert s.baseline.endswith("no-bloc/scenario.toml")
    assert len(s.hash) > 0


@pytest.mark.parametrize("case", sorted(p.name for p in BAD.iterdir() if p.is_dir()))
def test_a_bad_scenario_raises_the_clis_message(case: str):
    path = BAD / case
    p = cli("check", str(path), check=False)
    assert p.returncode == 1, p.stderr
    with pytest.raises(bloc.ScenarioError) as e:
        bloc.check(path)
    # The CLI prints `error: <message>`.
    assert p.stderr.strip() == f"error: {e.value}"
    assert e.value.file is not None


def test_changes_merge_as_extends_does_and_errors_name_the_change():
    s = bloc.load(SCENARIOS / "world" / "bloc-feb-2026")
    idn = {"region": "IDN", "from": "2027Q1"}
    # Replacing an inherited array warns, naming the counts; `_add` appends without a word.
    with pytest.warns(UserWarning, match=r"bloc.members: 14 inherited entries .* replaced by 15"):
        replaced = s.with_changes({"bloc.members": s.members + [idn]})
    assert replaced.warnings and not s.warnings
    joined = s.with_changes({"bloc.members_add": [idn]})
    assert joined.warnings == []
    assert joined.members == replaced.members == s.members + [idn]
    # One floor changed by commodity, the others kept.
    low = s.with_changes({"bloc.floor_override": [{"commodity": "ndpr_oxide", "ratio": 0.5}]})
    assert low.warnings == []
    # Nested and dotted keys are the same change; later changes win.
    # (At least 9 quarters: the world's DRC quota ends at 2028Q1, which must lie in the run.)
    a = s.with_changes({"time": {"periods": 12}})
    b = s.with_changes({"time.periods": 16}).with_changes({"time.periods": 12})
    assert a.periods == b.periods == s.periods[:12]
    # The original is untouched.
    assert len(s.periods) == 40
    with pytest.raises(bloc.ScenarioError) as e:
        s.with_changes({"bloc.members": [{"region": "ATLANTIS", "from": "2026Q1"}]})
    assert e.value.file.endswith("with_changes-1.toml")
    assert "ATLANTIS" in str(e.value)
    with pytest.raises(bloc.ScenarioError) as e:
        s.with_changes({"time": {"periods": "four"}})
    assert e.value.field == "time.periods" and e.value.line is not None
    with pytest.raises(bloc.ScenarioError, match="cannot set `extends`"):
        s.with_changes({"extends": "../no-bloc/scenario.toml"})


def test_values_without_a_toml_form_are_refused_before_loading():
    s = bloc.load(SCENARIOS / "examples" / "base")
    with pytest.raises(TypeError, match="None has no TOML form"):
        s.with_changes({"seed": None})
    with pytest.raises(ValueError, match="not a finite number"):
        s.with_changes({"bloc": {"floor": [{"ratio": float("nan")}]}})
    with pytest.raises(TypeError, match="has no TOML form"):
        s.with_changes({"seed": object()})
    with pytest.raises(ValueError, match="not a key"):
        s.with_changes({"time..periods": 3})
    with pytest.raises(TypeError):
        s.with_changes([("seed", 3)])


def test_a_missing_scenario_is_a_scenario_error(tmp: Path):
    with pytest.raises(bloc.ScenarioError, match="cannot read"):
        bloc.load(tmp / "nowhere")


def test_a_dict_that_contains_itself_is_refused_not_recursed():
    s = bloc.load(SCENARIOS / "examples" / "base")
    d: dict = {}
    d["bloc"] = d
    with pytest.raises(ValueError, match="nest deeper"):
        s.with_changes(d)
