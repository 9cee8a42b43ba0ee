"""The main job: the default collegedag scenario end to end, written to a folder.

``doorlopende-lijn demo --out out/`` (and ``make demo``) runs it offline on the
shipped data: the inflow forecast, the targets, household sizes and dwelling
demand, matching for every scope, the integration pilot, the council maps
(HTML and PNG), the scenario report and the tables (CSV and Excel).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ._files import atomic_write, staged_folder, terminate_cleanly, workbook_bytes
from ._format import SMALL_NOTE, nl_number
from ._labels import scope_label
from .report import Section, write_report
from .scenario import DATASETS, Settings, pooling_draws, run

__all__ = ["run_demo", "DRAWS"]

#: Draws of the caseload and the supply behind the scope comparison's range (each costs about one scenario run).
DRAWS = 5

_COMPARISON_COLUMNS = {
    "scope": "schaal",
    "households_housed": "huishoudens gehuisvest",
    "households_waiting": "huishoudens wachtend",
    "persons_housed": "personen gehuisvest",
    "target": "taakstelling (personen)",
    "pct_target": "% van taakstelling",
    "mismatch": "mismatch (lege bedplaatsen)",
    "municipalities_below_90pct": "gemeenten onder 90 %",
    "gain_vs_first": "winst t.o.v. alleen (huishoudens)",
    "largest_first_persons_housed": "grootste huishouden eerst (personen)",
    "gain_vs_best_rule": "optimum t.o.v. beste eenvoudige regel (personen)",
}

_MUNICIPALITY_COLUMNS = {
    "name": "gemeente",
    "target": "taakstelling",
    "persons_housed": "gehuisvest",
    "pct_target": "% van taakstelling",
    "dwellings_1": "woningen 1 p.",
    "dwellings_2": "woningen 2 p.",
    "dwellings_3-4": "woningen 3-4 p.",
    "dwellings_5+": "woningen 5+ p.",
    "linked_households_waiting": "huishoudens wachtend",
    "displacement": "aandeel verhuringen nodig voor statushouders",
}


def _say(progress, text):
    if progress is not None:
        progress(text)


#: Every column of the tables ``demo`` writes (CSV and Excel): its Dutch name and how it is rounded for reading
#: (``0``: a whole number, ``n``: n decimals, ``None``: text as it is). Counts are whole numbers; their values
#: 1-4 become "<5" after rounding (:func:`toolkit.export.disclose`).
TABLE_COLUMNS = {
    # who and when
    "period": ("halfjaar", None), "code": ("gemeentecode", None), "name": ("gemeente", None),
    "scope": ("schaal", None), "month": ("maand", None), "years": ("jaren na vergunning", 0),
    "draw": ("trekking", 0), "seed": ("startgetal trekking", 0), "size_class": ("grootteklasse", None),
    # the national stage
    "applications": ("eerste asielaanvragen (schatting)", 0), "nareizigers": ("nareizigers (schatting)", 0),
    "recognition_rate": ("inwilligingspercentage (aandeel)", 3), "persons": ("personen", 0),
    "lo80": ("personen, ondergrens 80 %-band", 0), "hi80": ("personen, bovengrens 80 %-band", 0),
    "basis": ("basis", None), "reason": ("toelichting", None),
    # targets
    "share": ("aandeel in de landelijke taakstelling", 6), "target": ("taakstelling (personen, berekend)", 1),
    "target_int": ("taakstelling (personen)", 0),
    # matching
    "households": ("huishoudens", 0), "households_housed": ("huishoudens gehuisvest", 0),
    "households_waiting": ("huishoudens wachtend", 0), "persons_housed": ("personen gehuisvest", 0),
    "persons_waiting": ("personen wachtend", 0), "pct_target": ("% van taakstelling gehuisvest", 1),
    "under_occupation": ("lege bedplaatsen (onderbezetting)", 0),
    "expected_overcrowding": ("verwachte overbewoning (personen)", 0), "mismatch": ("mismatch (lege bedplaatsen)", 0),
    "over_target": ("personen boven taakstelling", 0), "short_of_target": ("personen onder taakstelling", 0),
    "households_outside": ("huishoudens buiten eigen gemeente", 0), "sharing_adults": ("volwassenen die delen", 0),
    "max_shortfall": ("grootste tekort (aandeel van taakstelling)", 3),
    "municipalities_below_90pct": ("gemeenten onder 90 %", 0), "objective": ("personen wachtend (doel)", 0),
    "gap": ("optimaliteitsmarge (aandeel)", 4), "gain_vs_first": ("winst t.o.v. alleen (huishoudens)", 0),
    "practice_households_housed": ("huidige praktijk: huishoudens gehuisvest", 0),
    "practice_persons_housed": ("huidige praktijk: personen gehuisvest", 0),
    "largest_first_households_housed": ("grootste huishouden eerst: huishoudens gehuisvest", 0),
    "largest_first_persons_housed": ("grootste huishouden eerst: personen gehuisvest", 0),
    "best_rule": ("beste eenvoudige regel", None),
    "gain_vs_best_rule": ("winst optimum t.o.v. beste eenvoudige regel (personen)", 0),
    "gain_vs_best_rule_households": ("winst optimum t.o.v. beste eenvoudige regel (huishoudens)", 0),
    "share_permit_holders": ("aandeel verhuringen aan statushouders", 3), "turnover": ("mutatiegraad per jaar", 3),
    "gain_households": ("winst samen t.o.v. alleen (huishoudens)", 0),
    "gain_persons": ("winst samen t.o.v. alleen (personen)", 0),
    # dwellings per municipality
    "dwellings_available": ("beschikbare woningen", 0), "reserve_dwellings": ("woningen in reserve", 0),
    "dwellings_1": ("woningen 1 p. gebruikt", 0), "dwellings_2": ("woningen 2 p. gebruikt", 0),
    "dwellings_3-4": ("woningen 3-4 p. gebruikt", 0), "dwellings_5+": ("woningen 5+ p. gebruikt", 0),
    "dwellings_free": ("woningen over", 0), "shared_dwellings": ("gedeelde woningen", 0),
    "linked_households_waiting": ("gekoppelde huishoudens wachtend", 0),
    "band_low": ("bandbreedte taakstelling, ondergrens (personen)", 0),
    "band_high": ("bandbreedte taakstelling, bovengrens (personen)", 0),
    "dwellings_used": ("woningen gebruikt", 0), "dwellings_needed": ("woningen nodig", 0),
    "lettings": ("sociale verhuringen in het halfjaar (schatting)", 0),
    "displacement": ("aandeel verhuringen nodig voor statushouders", 3),
    # sharing and benefits
    "adults_sharing": ("volwassenen in gedeelde woningen", 0), "dwellings_saved": ("woningen bespaard door delen", 0),
    "benefit_alone": ("uitkering als ieder alleen woont (euro per maand)", 0),
    "benefit_shared": ("uitkering met kostendelersnorm (euro per maand)", 0),
    "benefit_lost": ("minder uitkering door delen (euro per maand)", 0),
    "lost_per_dwelling_saved": ("minder uitkering per bespaarde woning (euro per maand)", 0),
    # dwelling demand
    "households_lo": ("huishoudens, ondergrens", 0), "households_hi": ("huishoudens, bovengrens", 0),
    # integration
    "huidige route": ("deelname huidige route (aandeel)", 3), "pilot dag 1": ("deelname pilot dag 1 (aandeel)", 3),
    "verschil": ("verschil pilot - huidige route (aandeel)", 3),
    "buddies": ("buddy's", 0), "course_places": ("cursusplaatsen", 0), "coaching_hours": ("coachingsuren", 0),
}


def _file_table(frame):
    """A table as ``demo`` writes it: rounded for reading, counts 1-4 as "<5", Dutch column names.

    >>> _file_table(pd.DataFrame({"code": ["GM1", "GM2", "GM3"], "persons_housed": [12.0, 30.4, 41.6],
    ...                        "pct_target": [12.345, 80.0, 75.06]}))
      gemeentecode  personen gehuisvest  % van taakstelling gehuisvest
    0          GM1                   12                           12.3
    1          GM2                   30                           80.0
    2          GM3                   42                           75.1
    """
    from .export import disclose

    missing = [c for c in frame.columns if c not in TABLE_COLUMNS]
    if missing:
        raise KeyError(f"no Dutch name for column(s) {missing} (add them to toolkit.demo.TABLE_COLUMNS)")
    out = frame.copy()
    for column in out.columns:
        decimals = TABLE_COLUMNS[column][1]
        values = pd.to_numeric(out[column], errors="coerce") if decimals is not None else None
        if decimals is None or values.isna().sum() > out[column].isna().sum():
            continue  # text, or already disclosed
        out[column] = values.round(decimals).astype("Int64") if decimals == 0 else values.round(decimals)
    if "scope" in out.columns:
        out["scope"] = out["scope"].map(scope_label)
    out = disclose(out)
    return out.rename(columns={c: TABLE_COLUMNS[c][0] for c in out.columns})


def _tables(result, demand_table, participation, needs, draws):
    """The tables behind the report, with Dutch sheet and column names, rounded for reading."""
    national = pd.DataFrame([result.national])
    tables = {
        "landelijk": national,
        "taakstelling": result.targets,
        "woningvraag": demand_table,
        "schalen": result.comparison,
        "trekkingen": draws[_DRAW_TABLE],
        "gemeenten": result.municipalities,
        "delen": result.sharing,
        "integratie": participation,
        "pilotbehoefte": needs,
    }
    return {name: _file_table(frame) for name, frame in tables.items()}


_DRAW_TABLE = ["draw", "seed", "share_permit_holders", "turnover", "scope", "households_housed", "persons_housed",
               "gain_households", "gain_persons", "best_rule", "gain_vs_best_rule"]


def run_demo(out_dir="out", *, settings=None, date=None, progress=print, boundaries_path=None, draws=DRAWS,
             locations=None):
    """Run the default collegedag scenario and write every output into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Created when missing; existing files of the same name are replaced,
        other files in it are left alone.
    settings : Settings, optional
        The scenario (``toolkit.scenario.Settings``; default the collegedag
        scenario: U16 in its 2016 composition, 2017-I). Every figure comes
        from ``toolkit.scenario.run(settings)``.
    date : date-like, optional
        Date printed on maps and the report (default today).
    progress : callable or None
        Receives one Dutch line per step (default ``print``).
    boundaries_path : str or Path, optional
        A GeoJSON/GeoPackage/Shapefile of CBS municipalities for real polygons
        (default: PDOK cache, else the schematic map).
    draws : int
        Draws of the caseload and of the supply for the range of what pooling
        gains (``toolkit.scenario.pooling_draws``; default :data:`DRAWS`).
    locations : pandas.DataFrame, optional
        Reception locations for the maps (e.g. a COA occupancy list through
        :func:`toolkit.data.locations_from_occupancy`; default the shipped ones).

    Returns
    -------
    dict
        ``files`` (list of paths written), ``headline`` (the scenario's headline
        figures), ``pooling`` (the heading and conclusion of the pooling range)
        and ``seconds``.

    Every file is first written into a hidden staging folder beside
    ``out_dir`` and moved into ``out_dir`` only when all were written: a run
    that fails (or is stopped with SIGTERM) leaves ``out_dir`` as it was.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    with terminate_cleanly(), staged_folder(out) as stage:
        staged, result, pool = _write_outputs(stage, settings or Settings(), date, progress, boundaries_path, draws,
                                              locations)
        files = [out / Path(p).relative_to(stage) for p in staged]
    seconds = time.perf_counter() - start
    _say(progress, f"[6/6] klaar in {nl_number(seconds, 1)} s")
    return {"files": files, "headline": result.headline, "seconds": seconds,
            "pooling": {"heading": pool.attrs["heading"], "conclusion": pool.attrs["conclusion"]}}


def _write_outputs(out, settings, date, progress, boundaries_path, draws, locations):
    """Compute the scenario and write every output into ``out``; returns (paths written, result, pooling draws)."""
    from . import boundaries, demand, export, integration, registry
    from .households import final_size_distribution

    shown = None if date is None else pd.Timestamp(date)  # maps and report: the scenario's date, never "today"
    date = pd.Timestamp(date) if date is not None else pd.Timestamp.today().normalize()
    steps = 6
    year = settings.year
    written = []

    _say(progress, f"[1/{steps}] prognose, taakstelling en matching ({settings.region}, indeling {year})")
    result = run(settings)
    _say(progress, f"      samenwerking over {draws} trekkingen van huishoudens en woningaanbod")
    pool = pooling_draws(settings, draws=draws)

    _say(progress, f"[2/{steps}] woningvraag per grootteklasse en integratie")
    dist = final_size_distribution()
    dem = demand.dwelling_demand(result.targets, size_distribution=dist, column="target_int", seed=settings.seed)
    dem = dem.merge(result.targets[["code", "name"]], on="code").pipe(lambda d, a=dict(dem.attrs): d.attrs.update(a) or d)
    arrivals = integration.cohorts_from_targets(result.targets)
    participation = integration.participation_at()
    needs = integration.region_total(integration.pilot_needs(integration.project(arrivals, integration.PILOT)))

    _say(progress, f"[3/{steps}] kaarten voor de raad (HTML en PNG)")
    codes = list(result.targets["code"])
    polygons = boundaries.load_boundaries(year, path=boundaries_path, region=codes, offline=True)
    written.extend(export.write_council_export(result, out, boundaries=polygons, date=shown, demand=dem, capacity=True,
                                               locations=locations,
                                               title=f"Doorlopende Lijn: overzicht {_label(settings.region)} ({year})"))

    _say(progress, f"[4/{steps}] tabellen (CSV en Excel)")
    tables = _tables(result, dem, participation, needs, pool)
    for name, frame in tables.items():
        written.append(atomic_write(out / "tabellen" / f"{name}.csv", frame.to_csv(index=False)))

    sources = registry.provenance(list(DATASETS))[["name", "title", "statuses", "bron", "licentie", "toelichting"]]
    sources = sources.rename(columns={"name": "naam", "title": "gegevens", "statuses": "status"})
    workbook = workbook_bytes({**tables, "bronnen": sources}, timestamp=date)
    written.append(atomic_write(out / "tabellen.xlsx", workbook))

    _say(progress, f"[5/{steps}] scenariorapport")
    png_path = next(p for p in written if str(p).endswith(".png"))
    written.append(write_report(out / "rapport.html", f"Doorlopende Lijn: collegedag {_label(settings.region)}",
                                _sections(result, dem, participation, needs, png_path, pool),
                                datasets=DATASETS, date=shown, notes=[SMALL_NOTE],
                                subtitle=f"gemeentelijke indeling {year}, halfjaar {result.national['period']}"))
    return written, result, pool


def _label(region):
    return region if isinstance(region, str) else f"{len(region)} gemeenten"


def _pooling_table(pool):
    """Per pooled scope the range over the draws, as text for reading (``"2 tot 27"``)."""
    def span(lo, hi):
        return nl_number(lo) if lo == hi else f"{nl_number(lo)} tot {nl_number(hi)}"

    rows = []
    for _, r in pool.attrs["range"].iloc[1:].iterrows():
        row = {"schaal": scope_label(r["scope"]), "trekkingen": int(r["draws"]),
               "meer personen dan alleen": span(r["gain_persons_min"], r["gain_persons_max"]),
               "mediaan (personen)": nl_number(r["gain_persons_median"], 1 if r["gain_persons_median"] % 1 else 0),
               "meer huishoudens dan alleen": span(r["gain_households_min"], r["gain_households_max"]),
               "trekkingen met meer personen": int(r["draws_with_gain"])}
        if "rule_gain_min" in r:
            row["optimum t.o.v. beste eenvoudige regel (personen)"] = span(r["rule_gain_min"], r["rule_gain_max"])
        rows.append(row)
    return pd.DataFrame(rows)


def _sections(result, dem, participation, needs, png_path, pool):
    h = result.headline
    n = result.national
    ranges = _pooling_table(pool)
    if n["basis"].startswith(("doorgetrokken", "keten", "combinatie")):
        origin = (f"Landelijke taakstelling {n['period']}: ongeveer {nl_number(n['persons'])} personen (schatting, "
                  f"80 %-band {nl_number(n['lo80'])}-{nl_number(n['hi80'])}). {n['reason']}")
    elif n["basis"] == "gepubliceerd":
        origin = (f"Gepubliceerde landelijke taakstelling {n['period']}: {nl_number(n['persons'])} personen "
                  "(meegeleverde tabel taakstelling), verdeeld naar rato van het aantal inwoners.")
    elif n["basis"] == "gepubliceerd x scenario":
        origin = (f"Gepubliceerde landelijke taakstelling {n['period']}, aangepast aan het instroomscenario "
                  f"'{result.settings.inflow}': {nl_number(n['persons'])} personen (schatting).")
    else:
        origin = f"Landelijke taakstelling opgegeven: {nl_number(n['persons'])} personen in het halfjaar."
    key = pd.DataFrame(
        [
            ("halfjaar", h["period"]),
            ("taakstelling regio (personen)", nl_number(h["region_persons"])),
            ("huishoudens te huisvesten", nl_number(h["households"])),
            ("huishoudens gehuisvest", nl_number(h["households_housed"])),
            ("huishoudens wachtend", nl_number(h["households_waiting"])),
            ("% van de taakstelling gehuisvest", nl_number(h["pct_target"] / 100, 1, percent=True)),
            ("extra gehuisvest door samenwerking t.o.v. elke gemeente alleen (personen)", nl_number(h["persons_gain_vs_solo"])),
            ("extra gehuisvest door samenwerking t.o.v. elke gemeente alleen (huishoudens)", nl_number(h["gain_vs_solo"])),
            (f"idem over {pool['draw'].nunique()} trekkingen (personen)",
             ranges["meer personen dan alleen"].iloc[-1] if len(ranges) else "–"),
            ("aandeel sociale verhuringen nodig voor statushouders", nl_number(h["displacement"], 1, percent=True)),
        ],
        columns=["kerncijfer", "waarde"],
    )
    comp = result.comparison.assign(scope=result.comparison["scope"].map(scope_label))
    comp = comp[list(_COMPARISON_COLUMNS)].rename(columns=_COMPARISON_COLUMNS)
    from .export import disclose

    mun = disclose(result.municipalities)[list(_MUNICIPALITY_COLUMNS)].rename(columns=_MUNICIPALITY_COLUMNS)
    demand_wide = dem.pivot_table(index="name", columns="size_class", values="households", aggfunc="sum").round(0)
    demand_wide = disclose(demand_wide, list(demand_wide.columns)).reset_index().rename(columns={"name": "gemeente"})
    part = participation.rename(columns={"years": "jaren na vergunning", "month": "maand", "verschil": "verschil"})
    peak = needs.drop(columns=[c for c in needs.columns if c in ("month", "scenario")]).max(numeric_only=True)
    needs_table = pd.DataFrame({"behoefte (hoogste maand)": ["buddy's", "cursusplaatsen", "coachingsuren"],
                                "regio": [peak.get("buddies"), peak.get("course_places"), peak.get("coaching_hours")]})
    return [
        Section("Kerncijfers", origin, table=key),
        Section(f"Wie kan waar wonen? {pool.attrs['heading']}",
                "Dezelfde huishoudens en hetzelfde woningaanbod, verdeeld door elke gemeente alleen en samen "
                "(tabel: dit scenario). Bij samenwerking kunnen gemeenten met veel kleine woningen alleenstaanden "
                "opnemen en gemeenten met grote woningen gezinnen. Plaatsing gebruikt nooit nationaliteit of "
                "geslacht. De eenvoudige regels: de huidige praktijk (elke gemeente alleen, huishoudens in de "
                "volgorde van het COA) en 'grootste huishouden eerst'.",
                table=comp, percent_cols=(), decimals={"% van taakstelling": 1}),
        Section("Hoe zeker is de uitkomst van samenwerking?",
                f"Hetzelfde scenario in {pool['draw'].nunique()} trekkingen: andere synthetische huishoudens en "
                "een woningaanbod binnen het bereik van de schatting (aandeel verhuringen aan statushouders en "
                "mutatiegraad); trekking 0 is het scenario hierboven. Een winst heet hier alleen winst als elke "
                f"trekking die laat zien. {pool.attrs['conclusion']}\n\n"
                "Zeker is alleen dit: samen wordt nooit slechter gekozen dan alleen, in de volgorde van de "
                "prioriteiten (eerst personen, dan huishoudens, enzovoort); op een latere prioriteit, zoals "
                "plaatsingen buiten de eigen gemeente, kan samen slechter uitkomen. Alle trekkingen: tabellen/trekkingen.csv.\n\n"
                f"Status: {pool.attrs['status']}. Bron: {pool.attrs['source']}.",
                table=ranges),
        Section("Per gemeente", f"Resultaat bij samenwerking op schaal {result.settings.scope}. Het aandeel "
                "verhuringen nodig voor statushouders (verdringing) is de woningen die een gemeente aan statushouders "
                "moet verhuren om haar deel te halen (gehuisvest + wachtend), gedeeld door alle sociale verhuringen in "
                "het halfjaar (voorraad x mutatiegraad / 2 + extra woningen): een schatting.",
                table=mun, percent_cols=("aandeel verhuringen nodig voor statushouders",), decimals={"% van taakstelling": 1}),
        Section("Woningvraag per grootteklasse",
                "Verwachte huishoudens per woninggrootte (personen na gezinshereniging), uit de synthetische "
                "huishoudens (status synthetisch).", table=demand_wide),
        Section("Kaart", "De kaart voor de raad staat ook als los HTML-bestand in deze map (werkt zonder internet).",
                image=png_path, caption="Overzichtskaart met taakstelling en matching"),
        Section("Integratie vanaf dag 1",
                "Deelname (werk of vrijwilligerswerk) van volwassen statushouders in de huidige route en in een "
                "pilot die in het azc begint. De effecten van de pilot zijn aannames, geen gemeten cijfers.",
                table=part, percent_cols=tuple(c for c in part.columns if c not in ("jaren na vergunning", "maand"))),
        Section("Wat de pilot vraagt", "Hoogste maandelijkse behoefte in de regio.", table=needs_table),
        Section("Over de gegevens",
                "Huishoudens zijn synthetisch (gegenereerd, afgestemd op gepubliceerde CBS- en IND-cijfers); het "
                "woningaanbod per grootteklasse is een schatting; de prognose is een model met onzekerheid. "
                "Zie de tabel hieronder voor bron en status van elke gegevensbron."),
    ]
