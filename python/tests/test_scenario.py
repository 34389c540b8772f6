"""Loading, changing and checking scenarios: the real loader, the CLI's messages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import bloc
from conftest import ROOT, SCENARIOS, cli

# The loader's bad-input corpus: per case, edits that break its base scenario in one place.
BAD = ROOT / "crates" / "bloc-scenario" / "tests" / "bad-input.toml"
BAD_CORPUS = tomllib.loads(BAD.read_text(encoding="utf-8"))


def test_load_shows_what_the_scenario_holds():
    s = bloc.load(SCENARIOS / "world" / "bloc-feb-2026")
    assert s.name == "world-bloc-feb-2026"
    assert s.periods[0] == "2026Q1" and len(s.periods) == 40
    assert {"region": "USA", "from": "2026Q1"} in s.members
    assert "CHN" in s.regions and "ndpr_oxide" in s.commodities
    assert s.baseline.endswith("no-bloc/scenario.toml")
    assert len(s.hash) > 0


def make_bad_case(case: dict, to: Path) -> Path:
    """Writes the case's scenario into `to/<name>`: the base's files with the case's edits, as
    `bloc_testkit::overlay` makes it (the format is in the header of bad-input.toml)."""
    base = BAD.parent / BAD_CORPUS["base"]
    was = {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()}
    files = dict(was)
    for i, e in enumerate(case["edit"], 1):
        at, f = f"case `{case['name']}`, edit {i} of {e['file']}", e["file"]
        if "write" in e:
            files[f] = e["write"].encode()
            continue
        assert f in files, f"{at}: there is no file {f}"
        if "delete" in e:
            del files[f]
        elif "append" in e:
            files[f] += e["append"].encode()
        else:
            old = e["replace"].encode()
            n = sum(files[f].startswith(old, k) for k in range(len(files[f])))
            assert n == 1, f"{at}: the text to replace occurs {n} times, not once: {old!r}"
            new = e["with"].encode() if "with" in e else re.sub(
                rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), e["with_bytes"].encode()
            )
            files[f] = files[f].replace(old, new, 1)
    assert files != was, f"case `{case['name']}`: its edits leave the base as it was"
    d = to / case["name"]
    d.mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
    return d


@pytest.mark.parametrize("case", BAD_CORPUS["case"], ids=lambda c: c["name"])
def test_a_bad_scenario_raises_the_clis_message(case: dict, tmp: Path):
    path = make_bad_case(case, tmp)
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
