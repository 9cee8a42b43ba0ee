"""The scenario report: one self-contained HTML page for a council.

A report is a title, a few sections (text, a table, an image) and the sources
and status labels of every dataset used. Every text that comes from data is
escaped; numbers use Dutch notation (1.234; 12,5 %). No scripts, no external
resources: the page opens offline and prints on one or two pages.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._files import atomic_write
from .registry import STATUS_LABELS, provenance

__all__ = ["Section", "nl_number", "render_report", "write_report"]


def nl_number(value, decimals=0, *, percent=False):
    """Format a number the Dutch way: ``1.234``, ``12,5 %``; missing values as ``–``.

    >>> nl_number(1234.5), nl_number(0.125, 1, percent=True)
    ('1.234', '12,5 %')
    """
    from .maps import fmt_int, fmt_num, fmt_pct

    if percent:
        return fmt_pct(value, decimals)
    return fmt_int(value) if decimals == 0 else fmt_num(value, decimals)


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
        as percentages.
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
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem}th{text-align:left;background:#f2f5f9}
td.num{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}.tablewrap{overflow-x:auto}
th{font-size:.85rem;vertical-align:bottom}
.status{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.8rem;background:#eee}
.status-schatting{background:#fff3cd}.status-voorbeeld{background:#f8d7da}.status-synthetisch{background:#e2e3ff}
.status-gepubliceerd{background:#d1e7dd}footer{margin-top:2rem;font-size:.85rem;color:#444}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}
"""


def _esc(text):
    return html.escape(str(text), quote=True)


def _table_html(df, percent_cols=(), decimals=None):
    decimals = decimals or {}
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if isinstance(v, (bool, np.bool_)):
                cells.append(f"<td>{'ja' if v else 'nee'}</td>")
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_esc(nl_number(v, decimals.get(c, 1 if c in percent_cols else 0), percent=c in percent_cols))}</td>')
            elif v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                cells.append("<td>–</td>")
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_report(title, sections, *, datasets=(), date=None, subtitle=""):
    """Return the report as an HTML string.

    Parameters
    ----------
    title : str
    sections : list of Section
    datasets : list of str
        Registry names of the datasets the figures come from; the footer lists
        each with title, source, licence and status label.
    date : str or datetime-like, optional
        Shown under the title (pass it for reproducible output).
    subtitle : str

    Examples
    --------
    >>> page = render_report("Test <b>", [Section("Kop", "tekst & meer")], datasets=["inflow"], date="2016-10-04")
    >>> "&lt;b&gt;" in page and "<script" not in page and "gepubliceerd" in page
    True
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
    ]
    meta = " · ".join(_esc(x) for x in (subtitle, "" if date is None else pd.Timestamp(date).strftime("%d-%m-%Y")) if x)
    if meta:
        parts.append(f'<p class="meta">{meta}</p>')
    for s in sections:
        if not isinstance(s, Section):
            raise ValidationError(f"render_report: sections must be Section objects, found {type(s).__name__}")
        parts.append(f"<section><h2>{_esc(s.heading)}</h2>")
        for para in [p for p in str(s.text).split("\n\n") if p.strip()]:
            parts.append(f"<p>{_esc(para.strip())}</p>")
        if s.table is not None:
            parts.append(f'<div class="tablewrap">{_table_html(s.table, s.percent_cols, s.decimals)}</div>')
        if s.image is not None:
            data = base64.b64encode(Path(s.image).read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{_esc(s.caption or s.heading)}" src="data:image/png;base64,{data}">')
            if s.caption:
                parts.append(f"<figcaption>{_esc(s.caption)}</figcaption>")
            parts.append("</figure>")
        parts.append("</section>")
    if datasets:
        prov = provenance(list(datasets))
        parts.append("<footer><h2>Bronnen en status van de gegevens</h2><table><thead><tr>"
                     "<th>gegevens</th><th>status</th><th>bron</th><th>licentie</th><th>toelichting</th></tr></thead><tbody>")
        for _, r in prov.iterrows():
            statuses = [s.strip() for s in str(r["statuses"]).split(",") if s.strip()]
            badges = " ".join(f'<span class="status status-{_esc(s)}">{_esc(STATUS_LABELS.get(s, s))}</span>' for s in statuses)
            parts.append(
                f"<tr><td>{_esc(r['title'])}</td><td>{badges}</td><td>{_esc(r['source'])}</td>"
                f"<td>{_esc(r['licence'])}</td><td>{_esc(r['note'])}</td></tr>"
            )
        parts.append("</tbody></table></footer>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(path, title, sections, **kwargs):
    """Render the report and write it atomically (no half file on failure); returns the path."""
    return atomic_write(path, render_report(title, sections, **kwargs))
