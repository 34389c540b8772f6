"""Shared paths for the Python package's tests: the repository, its shipped scenarios, the
`bloc` command line to compare against, and a helper that runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "golden"


def shipped() -> list[str]:
    """Every shipped scenario (a folder under scenarios/ holding scenario.toml), as its path
    under scenarios/, as the golden test and `tests/regenerate-golden.sh` find them."""
    return sorted(
        str(p.parent.relative_to(SCENARIOS)) for p in SCENARIOS.rglob("scenario.toml")
    )


def bloc_bin() -> Path:
    """The `bloc` binary: $BLOC_BIN (python/test.sh sets it), else the workspace's build."""
    if os.environ.get("BLOC_BIN"):
        return Path(os.environ["BLOC_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "bloc").is_file():
            return target / profile / "bloc"
    raise RuntimeError("no bloc binary: build it (cargo build -p bloc-cli) or set BLOC_BIN")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs the `bloc` command line with `args`."""
    p = subprocess.run([str(bloc_bin()), *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"bloc {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path
