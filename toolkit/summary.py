"""Plain-text summary of the shipped data (what ``doorlopende-lijn info`` prints)."""

from __future__ import annotations

from ._format import fmt_int as _nl
from .data import load_inflow, load_taakstelling, municipality_population
from .registry import list_datasets
from .regions import municipalities


def data_summary(region="U16", year=2016):
    """Return a Dutch text summary of region, municipalities, series and sources."""
    mun = municipalities(year, region)
    try:
        pop = municipality_population(year, list(mun["code"])).set_index("code")["population"]
    except ValueError:
        pop = None
    name = region if isinstance(region, str) else "eigen selectie"
    lines = [f"Regio {name} (gemeentelijke indeling {year}): {len(mun)} gemeenten"]
    for _, r in mun.iterrows():
        p = f"{_nl(pop[r.code]):>8} inwoners" if pop is not None else ""
        lines.append(f"  {r.code}  {r['name']:<22} {p}")
    if pop is not None:
        lines.append(f"  totaal {_nl(pop.sum())} inwoners op 1-1-{year}")
    inflow = load_inflow()
    lines.append("")
    lines.append("Asielinstroom (landelijk), reeksen:")
    for (series, gran), g in inflow.groupby(["series", "granularity"]):
        lines.append(f"  {series:<17} {gran:<9} {g['period'].iloc[0]} t/m {g['period'].iloc[-1]} ({len(g)} waarnemingen)")
    t = load_taakstelling()
    lines.append(f"Taakstelling: {len(t)} halfjaren, {t['period'].iloc[0]} t/m {t['period'].iloc[-1]} (met gaten)")
    lines.append("")
    lines.append("Bronnen en status:")
    for _, r in list_datasets().iterrows():
        lines.append(f"  {r['file']:<26} [{r['status']}] {r['source']}")
    return "\n".join(lines)
