"""The example notebook runs, offline, top to bottom (nbclient with the ipykernel of this
interpreter), and finds the answers it plots."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOK = ROOT / "examples" / "notebooks" / "join.ipynb"


def test_the_join_notebook_runs_and_plots():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "world-idn-joins against world-no-bloc" in text
    assert "joining is worth $" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, "the notebook draws the welfare, cost and price charts"
