"""The notebooks as an analyst's tools: driven by their parameters cell, public API only, tables to read.

Each notebook is executed here with papermill (offline, in a temporary copy of the outputs), so the
checks below read what an analyst sees: no raw ``NaN``, ``<NA>``, ``True`` or ``4500.0`` in a table,
and a change of region in the parameters cell reaches every figure.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill", reason="papermill (test extra) not installed")

ROOT = Path(__file__).resolve().parents[1]
ALL = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: What a table cell shows when a frame goes out unformatted (``readable`` turns these into ja/nee, '–', 1.234).
RAW = re.compile(r"(?<![\w&;-])(NaN|nan|<NA>|&lt;NA&gt;|NaT|None|True|False)(?![\w-])|(?<![\d.,])\d+\.0(?![\d])")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _parameters_cell(path):
    cells = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: expected one cell tagged 'parameters', found {len(cells)}"
    return "".join(cells[0]["source"])


def _assigned_names(source):
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_papermill_lists_every_parameter_with_its_type_and_meaning(path):
    assigned = _assigned_names(_parameters_cell(path))
    assert assigned, f"{path.name}: the parameters cell assigns nothing"
    inferred = {p["name"]: p for p in papermill.inspect_notebook(str(path)).values()}
    assert list(inferred) == assigned, f"{path.name}: papermill --help-notebook lists {list(inferred)}"
    for name, p in inferred.items():
        assert p["inferred_type_name"] not in ("None", None), f"{path.name}: {name} has no type annotation"
        assert p["help"].strip(), f"{path.name}: {name} has no comment saying what it means"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_api(path):
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    assert not re.search(r"\btoolkit\._|from toolkit import _|\btoolkit\.\w+\._", code), path.name


def _run(path, tmp_path, **parameters):
    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=parameters, cwd=str(path.parent), kernel_name="python3",
                               progress_bar=False)
    return json.loads(out.read_text(encoding="utf-8"))["cells"]


def _shown_text(cells):
    """(cell number, text) of every table and printed line an analyst reads (maps and widgets aside)."""
    for i, cell in enumerate(cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                if o.get("name") == "stdout":
                    yield i, "".join(o["text"])
                continue
            data = o.get("data", {})
            html = "".join(data.get("text/html", ""))
            if html and ("<iframe" in html or "leaflet" in html.lower() or "<script" in html):
                continue
            if "application/vnd.jupyter.widget-view+json" in data:
                continue
            yield i, html or "".join(data.get("text/plain", ""))


def test_raw_pattern_catches_unformatted_tables_and_spares_dutch_figures():
    import pandas as pd

    raw = pd.DataFrame({"n": [4500.0, float("nan")], "ok": [True, pd.NA]}).to_html()
    assert RAW.search(raw)
    assert not RAW.search("1.234 huishoudens, 12,0 %, 4,0 %-punt, regio U16, 2016-II: 23.000, ja, nee, –")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_tables_formatted_for_reading(path, tmp_path):
    cells = _run(path, tmp_path)
    raw = [(i, m.group(0), text[max(m.start() - 60, 0):m.end() + 20]) for i, text in _shown_text(cells)
           for m in RAW.finditer(text)]
    assert not raw, f"{path.name}: unformatted values shown (cell, value, context): {raw[:5]}"
    # printed, or (notebook 04, whose outputs Voilà shows to the mayors) a comment an analyst reads in JupyterLab
    last = "".join(cells[-1]["source"]) + "".join("".join(o.get("text", "")) for o in cells[-1].get("outputs", []))
    assert "Geschreven" in last and "Probeer" in last, f"{path.name}: the last cell does not say what was written and what to try next"


def test_integration_notebook_follows_its_region_parameter(tmp_path):
    from toolkit import regions

    cells = _run(ROOT / "notebooks" / "05_integratie.ipynb", tmp_path, REGIO="U10", HALFJAREN=["2017-I"])
    text = "\n".join(t for _, t in _shown_text(cells))
    assert "statushouders in U10" in text and "regio U10" in text
    assert "in U16" not in text and "regio U16" not in text
    names = {y: set(regions.municipalities(2016, r)["name"]) for y, r in (("u10", "U10"), ("u16", "U16"))}
    outside = names["u16"] - names["u10"]
    assert len(outside) == 6
    assert not [n for n in outside if re.search(rf"\b{re.escape(n)}\b", text)], "municipalities outside U10 shown"
