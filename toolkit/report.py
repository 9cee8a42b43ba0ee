"""The scenario report: one self-contained HTML page for a council.

A report is a title, a few sections (text, a table, an image) and the sources
and status labels of every dataset used. The page is rendered from the Jinja2
template ``toolkit/templates/report.html.j2`` with autoescape on: every text
that comes from data is escaped by Jinja, never by hand. Numbers use Dutch
notation (1.234; 12,5 %) from :mod:`toolkit._format`. No scripts (a
Content-Security-Policy forbids them), no external resources: the page opens
offline, and wide tables are split so that each fits an A4 page in portrait.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._files import atomic_write
from ._format import SMALL, is_missing, nl_number
from .registry import STATUS_LABELS, provenance

__all__ = ["Section", "readable", "render_report", "write_report", "CSP", "MAX_COLUMNS"]

#: No script of any kind, nothing from outside; inline styles and embedded PNGs only.
CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
#: Columns per printed table (the first column is repeated in each part), so a table fits A4 portrait.
MAX_COLUMNS = 7


@dataclass
class Section:
    """One part of a report.

    Parameters
    ----------
    heading : str
    text : str, optional
        Plain text (escaped); blank lines separate paragraphs.
    table : pandas.DataFrame, optional
        Shown with Dutch number formats; ``percent_cols`` are fractions shown
        as percentages, ``decimals`` maps a column to its decimals (default
        0, 1 for percentages). Texts such as "<5" (see
        :func:`toolkit._format.suppress_counts`) are shown as they are.
    image : str or Path, optional
        A PNG file, embedded as a data URL.
    """

    heading: str
    text: str = ""
    table: pd.DataFrame | None = None
    percent_cols: tuple = ()
    decimals: dict = field(default_factory=dict)
    image: str | Path | None = None
    caption: str = ""


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:60rem;
color:#1b1b1b;line-height:1.45;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:1.8rem;border-bottom:2px solid #154273}
.meta{color:#555}table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;overflow-wrap:anywhere}th{text-align:left;background:#f2f5f9}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}img{max-width:100%}.tablewrap{overflow-x:auto}
th{font-size:.85rem;vertical-align:bottom;hyphens:auto}
.status{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.8rem;background:#eee}
.status-schatting{background:#fff3cd}.status-voorbeeld{background:#f8d7da}.status-synthetisch{background:#e2e3ff}
.status-gepubliceerd{background:#d1e7dd}footer{margin-top:2rem;font-size:.85rem;color:#444}
.note{font-size:.85rem;color:#444}
@page{size:A4 portrait;margin:15mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}h2{break-after:avoid}
.tablewrap{overflow:visible}table{width:100%;table-layout:fixed;font-size:8pt;break-inside:auto}
th,td{padding:.15rem .3rem}tr{break-inside:avoid}td.num{white-space:normal}
table.sources{font-size:7pt}td.src{overflow-wrap:anywhere}figure{margin:0}img{max-height:230mm}}
"""


@functools.cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("toolkit", "templates"),
        autoescape=True,  # the one escape rule for text in HTML templates
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _style():
    """The report's own CSS (a constant of this module, not data), marked safe for the <style> block."""
    from markupsafe import Markup

    return Markup(_CSS)


def render_template(name, **context):
    """Render a template of ``toolkit/templates`` with autoescape (every value is escaped)."""
    return _environment().get_template(name).render(**context)


def _cell(v, percent, decimals):
    if isinstance(v, (bool, np.bool_)):
        return {"text": "ja" if v else "nee", "num": False}
    if is_missing(v):
        return {"text": "–", "num": False}
    if isinstance(v, (int, float, np.integer, np.floating)):
        return {"text": nl_number(v, decimals, percent=percent), "num": True}
    return {"text": str(v), "num": str(v) in (SMALL, "x")}


def readable(df, percent_cols=(), decimals=None):
    """The frame as text for reading, formatted as in a report table.

    Numbers the Dutch way (``decimals`` per column, default 0; 1 for
    ``percent_cols``, which hold fractions), ``ja``/``nee`` for booleans,
    ``–`` for missing values; the index is kept.

    >>> readable(pd.DataFrame({"n": [1234.0, None], "ok": [True, False], "aandeel": [0.125, 1.0]}),
    ...          percent_cols=("aandeel",)).values.tolist()
    [['1.234', 'ja', '12,5 %'], ['–', 'nee', '100,0 %']]
    """
    decimals = decimals or {}
    return df.apply(lambda col: col.map(
        lambda v: _cell(v, col.name in percent_cols, decimals.get(col.name, 1 if col.name in percent_cols else 0))["text"]))


def _tables(df, percent_cols=(), decimals=None, *, max_columns=MAX_COLUMNS):
    """The table as head and formatted rows, split into parts of at most ``max_columns`` columns."""
    decimals = decimals or {}
    cols = list(df.columns)
    key, rest = cols[:1], cols[1:]
    per = max(max_columns - 1, 1)
    groups = [rest[i:i + per] for i in range(0, len(rest), per)] or [[]]
    out = []
    for group in groups:
        part = key + group
        rows = [[_cell(r[c], c in percent_cols, decimals.get(c, 1 if c in percent_cols else 0)) for c in part]
                for _, r in df[part].iterrows()]
        out.append({"head": [str(c) for c in part], "rows": rows})
    return out


def _sources(datasets):
    if not datasets:
        return []
    rows = []
    for _, r in provenance(list(datasets)).iterrows():
        statuses = [s.strip() for s in str(r["statuses"]).split(",") if s.strip()]
        rows.append({"title": r["title"], "source": r["bron"], "licence": r["licentie"], "note": r["toelichting"],
                     "statuses": [{"key": s, "label": STATUS_LABELS.get(s, s)} for s in statuses]})
    return rows


def render_report(title, sections, *, datasets=(), date=None, subtitle="", notes=()):
    """Return the report as an HTML string.

    Parameters
    ----------
    title : str
    sections : list of Section
    datasets : list of str
        Registry names of the datasets the figures come from; the footer lists
        each with title, source, licence and status label.
    date : str or datetime-like, optional
        Shown under the title (pass it for reproducible output): the date of
        the scenario, not the day the file was made.
    subtitle : str
    notes : list of str
        Printed after the sections (e.g. :data:`toolkit._format.SMALL_NOTE`).

    Examples
    --------
    >>> page = render_report("Test <b>", [Section("Kop", "tekst & meer")], datasets=["inflow"], date="2016-10-04")
    >>> "&lt;b&gt;" in page and "<script" not in page and "gepubliceerd" in page
    True
    """
    parts = []
    for s in sections:
        if not isinstance(s, Section):
            raise ValidationError(f"render_report: sections must be Section objects, found {type(s).__name__}")
        parts.append({
            "heading": s.heading,
            "paragraphs": [p.strip() for p in str(s.text).split("\n\n") if p.strip()],
            "tables": [] if s.table is None else _tables(s.table, s.percent_cols, s.decimals),
            "image": None if s.image is None else base64.b64encode(Path(s.image).read_bytes()).decode("ascii"),
            "caption": s.caption,
        })
    meta = [x for x in (subtitle, "" if date is None else pd.Timestamp(date).strftime("%d-%m-%Y")) if x]
    return render_template("report.html.j2", title=title, meta=meta, sections=parts, sources=_sources(datasets),
                           notes=list(notes), css=_style(), csp=CSP)


def write_report(path, title, sections, **kwargs):
    """Render the report and write it atomically (no half file on failure); returns the path."""
    return atomic_write(path, render_report(title, sections, **kwargs))
