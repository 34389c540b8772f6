"""bloc from Python: load a critical-minerals trade-bloc scenario, change it, run it against
its baseline and read every result file as a pandas DataFrame.

    >>> import bloc
    >>> s = bloc.load("scenarios/world/bloc-feb-2026")
    >>> joined = s.with_changes({"bloc.members_add": [{"region": "IDN", "from": "2026Q1"}]})
    >>> r = bloc.run(joined, baseline=s)
    >>> r.prices.head()
    >>> print(r.summary)

The engine is the `bloc` command line's (the Rust crates, compiled into ``bloc._native``):
the same loader validates every scenario and change (a bad one raises `ScenarioError` with
the CLI's message, file, line and field), the same run writes the same files. The engine runs
with the GIL released, so runs in threads proceed at once.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings as _warnings
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Union

import pandas as pd
import pyarrow as pa

from . import _native

__all__ = [
    "ScenarioError",
    "RunError",
    "Scenario",
    "Results",
    "Sweep",
    "load",
    "check",
    "run",
    "sweep",
    "__version__",
]

__version__ = _native.version()

#: The result tables of a run directory, by name (the file is ``<name>.csv`` or ``.parquet``).
TABLES = (
    "prices",
    "class_prices",
    "flows",
    "production",
    "projects",
    "consumption",
    "policy",
    "floors",
    "stockpile",
    "indicators",
    "strategy",
)


class ScenarioError(ValueError):
    """A scenario or a change that does not load.

    ``str(e)`` is the message the command line prints after ``error:``; ``file``, ``line``
    and ``field`` say where (each None where not known). A change given to
    `Scenario.with_changes` is named ``with_changes-K.toml`` beside the scenario's file,
    its first line being the ``extends`` it is given.
    """

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        field: Optional[str] = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field


class RunError(RuntimeError):
    """A run that failed: no exact equilibrium (the run directory then holds only its
    ``run.json``, whose ``status`` is ``failed``), a solver failure, or an I/O error."""


def _call(fn, *args):
    try:
        return fn(*args)
    except _native.NativeScenarioError as e:
        raise ScenarioError(*e.args) from None
    except _native.RunError as e:
        raise RunError(str(e)) from None


PathLike = Union[str, "os.PathLike[str]"]


class Scenario:
    """A scenario: a folder holding ``scenario.toml`` (or a ``.toml`` file), with the
    changes laid over it. Loaded and validated by the real loader; immutable."""

    def __init__(self, path: PathLike, changes: tuple[str, ...] = ()):
        self._path = os.fspath(path)
        self._changes = tuple(changes)
        self._info = _call(_native.load_scenario, self._path, list(self._changes))

    @property
    def path(self) -> str:
        """The folder or file the scenario was loaded from."""
        return self._path

    @property
    def changes(self) -> tuple[str, ...]:
        """The change layers, as the TOML text the loader reads (one per `with_changes`)."""
        return self._changes

    @property
    def name(self) -> str:
        """The scenario's name (its run directory's default name)."""
        return self._info["name"]

    @property
    def description(self) -> str:
        return self._info["description"]

    @property
    def periods(self) -> list[str]:
        """Period labels, in order (``2026Q1``, ...)."""
        return list(self._info["periods"])

    @property
    def regions(self) -> list[str]:
        return list(self._info["regions"])

    @property
    def commodities(self) -> list[str]:
        return list(self._info["commodities"])

    @property
    def members(self) -> list[dict[str, str]]:
        """The bloc's members as written in TOML: ``[{"region": "USA", "from": "2026Q1"}, ...]``
        (a ``to`` where membership ends). Add to it to make a region join."""
        return [dict(m) for m in self._info["members"]]

    @property
    def baseline(self) -> Optional[str]:
        """The baseline the scenario names (a path), if any."""
        return self._info["baseline"]

    @property
    def files(self) -> list[str]:
        """Every file the scenario read."""
        return list(self._info["files"])

    @property
    def warnings(self) -> list[str]:
        """What the ``extends`` chain and the changes replaced that may not have been meant:
        an inherited array replaced whole, as ``bloc check`` warns."""
        return list(self._info["warnings"])

    @property
    def hash(self) -> str:
        """The hash of the scenario's inputs (as in ``run.json``)."""
        return self._info["hash"]

    def with_changes(self, changes: Mapping[str, Any]) -> "Scenario":
        """A new scenario: this one with ``changes`` laid over it, exactly as a TOML file that
        ``extends`` it would be (tables merge key by key; arrays, such as ``bloc.members`` or
        ``bloc.floor``, replace the inherited ones whole). Keys are the TOML keys, nested
        (``{"bloc": {"members": [...]}}``) or dotted (``{"bloc.members": [...]}``); values
        are dicts, lists, str, int, float and bool. An inherited array replaced whole is a
        `UserWarning` (and in `warnings`); ``{"bloc.members_add": [...]}`` appends instead and
        ``{"bloc.floor_override": [{"commodity": ..., ...}]}`` changes one floor. Raises
        `ScenarioError` as the loader would for the same file."""
        if not isinstance(changes, Mapping):
            raise TypeError("with_changes takes a dict of TOML keys, as {'bloc.members': [...]}")
        text = _native.changes_to_toml(dict(changes))
        new = Scenario(self._path, self._changes + (text,))
        for w in new.warnings[len(self.warnings):]:
            _warnings.warn(w, UserWarning, stacklevel=2)
        return new

    def __repr__(self) -> str:
        extra = f", {len(self._changes)} change(s)" if self._changes else ""
        return f"<bloc.Scenario {self.name!r} from {self._path!r}{extra}>"


def load(path: PathLike) -> Scenario:
    """Loads and validates the scenario at ``path`` (a folder holding ``scenario.toml``, or a
    ``.toml`` file). Raises `ScenarioError` naming the file, line and field."""
    return Scenario(path)


def check(path: Union[PathLike, Scenario]) -> Scenario:
    """Validates a scenario without running it, as ``bloc check``: returns it loaded, or
    raises `ScenarioError`."""
    return path if isinstance(path, Scenario) else Scenario(path)


def _scenario(s: Union[PathLike, Scenario]) -> Scenario:
    return s if isinstance(s, Scenario) else Scenario(s)


class Results:
    """A run directory: each result file as a pandas DataFrame (``results.prices``,
    ``results["flows"]``), ``run.json`` as a dict, the headline answers against the
    baseline (`summary`), and the baseline's own results (`baseline`)."""

    def __init__(self, path: PathLike, *, _keep: Any = None, _warnings: tuple[str, ...] = ()):
        self._path = Path(path)
        self._keep = _keep  # a TemporaryDirectory this object owns, removed with it
        self._cache: dict[str, pd.DataFrame] = {}
        self.warnings = list(_warnings)
        if not (self._path / "run.json").is_file():
            raise ValueError(f"{self._path} is not a run directory (it holds no run.json)")

    @property
    def path(self) -> Path:
        """The run directory."""
        return self._path

    @property
    def format(self) -> str:
        """``csv`` or ``parquet``: how the tables were written."""
        return "parquet" if (self._path / "indicators.parquet").is_file() else "csv"

    @property
    def tables(self) -> list[str]:
        """The tables this run directory holds."""
        ext = "." + self.format
        return [t for t in TABLES if (self._path / (t + ext)).is_file()]

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"{name!r}: not a result table; one of {', '.join(TABLES)}")
        if name not in self._cache:
            if self.format == "parquet":
                self._cache[name] = pd.read_parquet(self._path / f"{name}.parquet")
            else:
                self._cache[name] = pd.read_csv(self._path / f"{name}.csv")
        return self._cache[name].copy()

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self[name]
        raise AttributeError(name)

    def to_arrow(self, name: str = "indicators"):
        """The table ``name`` as a ``pyarrow.Table``."""
        import pyarrow as pa

        return pa.Table.from_pandas(self[name], preserve_index=False)

    @property
    def run_json(self) -> dict:
        """``run.json``: status, scenario hash, engine version, seed, each period's check."""
        return json.loads((self._path / "run.json").read_text())

    @property
    def summary(self) -> Optional[str]:
        """The headline answers against the baseline (``summary.md``, Markdown), or None for
        a run without a baseline."""
        p = self._path / "summary.md"
        return p.read_text() if p.is_file() else None

    @property
    def baseline(self) -> Optional["Results"]:
        """The baseline's own results (``baseline/`` inside the run directory), if run."""
        p = self._path / "baseline"
        return Results(p, _keep=self) if (p / "run.json").is_file() else None

    def compare(self, other: "Results") -> pd.DataFrame:
        """``bloc compare OTHER SELF``: each headline indicator of this run against
        ``other`` (its value in both and the change, this − other)."""
        for r in (self, other):
            if r.format != "csv":
                raise ValueError(f"{r.path}: compare reads CSV run directories; run with format='csv'")
        text = _native.compare(str(other.path), str(self.path))
        return pd.read_csv(io.StringIO(text))

    def __repr__(self) -> str:
        return f"<bloc.Results {str(self._path)!r}: {', '.join(self.tables)}>"


def run(
    scenario: Union[PathLike, Scenario],
    baseline: Union[None, bool, PathLike, Scenario] = None,
    *,
    seed: Optional[int] = None,
    out: Optional[PathLike] = None,
    format: str = "csv",
    solver: str = "clarabel",
) -> Results:
    """Runs ``scenario`` and returns its `Results`, as ``bloc run``.

    ``baseline``: None runs the baseline the scenario names (if any), as the command line
    does; False runs none; a path or `Scenario` runs that one. With a baseline, the run
    gains its comparison indicators (consumer cost, welfare change) and the headline answers
    (`Results.summary`), and the baseline's results are kept in ``baseline/``.

    ``out``: the run directory to write (replaced only if it holds an earlier bloc run);
    default a temporary directory removed with the `Results`. ``format``: ``csv`` or
    ``parquet``. ``seed`` overrides the scenario's. ``solver``: ``clarabel`` (the default, as
    ``bloc run``) or ``highs``. Raises `ScenarioError` or `RunError`.
    """
    s = _scenario(scenario)
    options: dict[str, Any] = {
        "baseline": None,
        "declared_baseline": baseline is None,
        "seed": seed,
        "format": format,
        "solver": solver,
    }
    if baseline is not None and baseline is not False:
        if baseline is True:
            raise TypeError("baseline: give None (the scenario's own), False, a path or a Scenario")
        b = _scenario(baseline)
        options["baseline"] = (b.path, list(b.changes))
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="bloc-run-")
        out = Path(keep.name) / s.name
    done = _call(_native.run, s.path, list(s.changes), os.fspath(out), options)
    return Results(out, _keep=keep, _warnings=tuple(done["warnings"]))


class Sweep:
    """A sweep directory: ``indicators`` (one row per sample × period × indicator × scope),
    ``bands`` (P5/P50/P95 by period, indicator and scope), ``samples`` (each sample's draws
    and status) and ``manifest`` (``sweep.json``)."""

    def __init__(self, path: PathLike, indicators: pd.DataFrame, *, _keep: Any = None):
        self._path = Path(path)
        self._keep = _keep
        self.indicators = indicators

    @property
    def path(self) -> Path:
        return self._path

    @property
    def bands(self) -> pd.DataFrame:
        return pd.read_csv(self._path / "bands.csv")

    @property
    def samples(self) -> pd.DataFrame:
        return pd.read_csv(self._path / "samples.csv")

    @property
    def manifest(self) -> dict:
        return json.loads((self._path / "sweep.json").read_text())

    def __repr__(self) -> str:
        return f"<bloc.Sweep {str(self._path)!r}: {len(self.indicators)} indicator rows>"


def sweep(
    scenario: Union[PathLike, Scenario],
    samples: int,
    *,
    seed: int = 0,
    sampling: str = "random",
    jobs: Optional[int] = None,
    out: Optional[PathLike] = None,
) -> Sweep:
    """A Monte Carlo sweep over the scenario's ``[[uncertain]]`` inputs, as ``bloc sweep``:
    ``samples`` draws (``sampling`` ``random`` or ``lhs``) from ``seed``, on ``jobs`` threads
    (default one per core). Returns a `Sweep` whose ``indicators`` DataFrame holds what
    ``indicators.parquet`` holds. ``out``: the sweep directory (default temporary)."""
    s = _scenario(scenario)
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="bloc-sweep-")
        out = Path(keep.name) / s.name
    options = {"samples": int(samples), "seed": int(seed), "sampling": sampling, "jobs": jobs}
    cols = _call(_native.sweep, s.path, list(s.changes), os.fspath(out), options)
    # Through Arrow, as `pd.read_parquet` reads indicators.parquet, so the dtypes are the same.
    df = pa.table(
        {
            "sample": pa.array(cols["sample"], pa.int64()),
            "period": pa.array(cols["period"], pa.string()),
            "indicator": pa.array(cols["indicator"], pa.string()),
            "scope": pa.array(cols["scope"], pa.string()),
            "value": pa.array(cols["value"], pa.float64()),
        }
    ).to_pandas()
    return Sweep(out, df, _keep=keep)
