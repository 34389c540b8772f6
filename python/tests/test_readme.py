"""The README's Python example runs as written, from the repository's root."""

from __future__ import annotations

import os
import re

from conftest import ROOT


def test_the_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- python-example -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no python-example block"
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(m.group(1), "README.md python-example", "exec"), {})
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert "world-idn-joins against world-no-bloc" in out
    assert "price_usd_per_t" in out and "p50" in out
