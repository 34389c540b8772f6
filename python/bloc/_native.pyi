"""Type hints of the engine module (crates/bloc-py); call it through `bloc`, not directly."""

from typing import Any, Optional, TypedDict

class NativeScenarioError(Exception):
    """args: (message, file, line, field)."""

class RunError(Exception): ...

class ScenarioInfo(TypedDict):
    name: str
    description: str
    base_year: int
    seed: int
    periods: list[str]
    regions: list[str]
    commodities: list[str]
    members: list[dict[str, str]]
    baseline: Optional[str]
    files: list[str]
    hash: str
    warnings: list[str]

class RunOptions(TypedDict):
    baseline: Optional[tuple[str, list[str]]]
    declared_baseline: bool
    seed: Optional[int]
    format: str
    solver: str

class SweepOptions(TypedDict):
    samples: int
    seed: int
    sampling: str
    jobs: Optional[int]

class RunDone(TypedDict):
    summary: Optional[str]
    warnings: list[str]
    max_violation_relative: float

class SweepColumns(TypedDict):
    sample: list[int]
    period: list[str]
    indicator: list[str]
    scope: list[str]
    value: list[float]

def load_scenario(path: str, changes: list[str] = ...) -> ScenarioInfo: ...
def changes_to_toml(changes: dict[str, Any]) -> str: ...
def run(path: str, changes: list[str], out: str, options: RunOptions) -> RunDone: ...
def sweep(path: str, changes: list[str], out: str, options: SweepOptions) -> SweepColumns: ...
def compare(run_a: str, run_b: str) -> str: ...
def version() -> str: ...
