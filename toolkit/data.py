"""Loaders for the shipped reference data in ``geodata/``.

Every loader returns a validated pandas frame with the columns documented in
:mod:`toolkit.schemas`; ``df.attrs`` carries the dataset name, status and
source from the registry so outputs can show them.
"""

from __future__ import annotations

import pandas as pd

from . import schemas
from ._errors import ValidationError
from ._tables import SCHEMAS as _SCHEMAS  # the national series block below adds its tables
from ._tables import derived, load_table
from ._validate import _listing
from .codes import harmonise
from .regions import municipalities, region_codes
from .registry import resolve_name

__all__ = [
    "load_dataset",
    "load_municipalities",
    "load_population",
    "load_code_changes",
    "load_regions",
    "load_inflow",
    "load_taakstelling",
    "load_reception_locations",
    "load_state_buildings",
    "load_housing_stock",
    "load_lettings",
    "load_benefit_norms",
    "load_municipal_points",
    "load_provinces",
    "municipality_population",
    "population_years",
    "missing_data_message",
    "locations_from_occupancy",
]


def load_dataset(name):
    """Load any shipped table by (loosely spelled) registry name; returns a copy.

    Rows refreshed from CBS into the user data folder are included (see
    :mod:`toolkit._tables`); ``attrs["refreshed"]`` then says which file.
    """
    return load_table(resolve_name(name))


def load_municipalities():
    """Every municipality of the 2016 and the 2024-2026 divisions (408 codes).

    Columns: code, name, province, valid_from, valid_to, lat, lon, area_km2,
    point_status. Use :func:`toolkit.regions.municipalities` for those
    existing in a given year.
    """
    return load_dataset("municipalities")


def load_population():
    """Population per municipality and reference date (long format)."""
    return load_dataset("population")


def load_code_changes():
    """Municipal code changes (old_code -> new_code from date)."""
    return load_dataset("code_changes")


def load_regions():
    """Dated region compositions: region, composition, valid_from, valid_to, code."""
    return load_dataset("regions")


def load_inflow(series=None, granularity=None):
    """National asylum inflow in long format.

    Parameters
    ----------
    series : str or list, optional
        ``eerste_aanvragen``, ``nareizigers`` and/or ``totaal``.
    granularity : str or list, optional
        ``maand``, ``kwartaal`` and/or ``jaar``.

    Returns
    -------
    pandas.DataFrame
        Columns period, granularity, series, value, qualifier, source,
        status, note, plus period_start and period_end (timestamps). Missing
        periods are absent rows: nothing is filled in.
    """
    df = load_dataset("inflow")
    for col, val, allowed in (("series", series, schemas.SERIES), ("granularity", granularity, schemas.GRANULARITIES)):
        if val is None:
            continue
        vals = [val] if isinstance(val, str) else list(val)
        bad = [v for v in vals if v not in allowed]
        if bad:
            raise ValidationError(f"load_inflow: {col} must be among {list(allowed)}, got {bad}")
        df = df[df[col].isin(vals)]
    start = []
    end = []
    for p, g in zip(df["period"], df["granularity"]):
        per = pd.Period(p.replace("-Q", "Q"), freq={"maand": "M", "kwartaal": "Q", "jaar": "Y"}[g])
        start.append(per.start_time)
        end.append(per.end_time.normalize())
    df = df.assign(period_start=start, period_end=end)
    return df.sort_values(["series", "granularity", "period_start"]).reset_index(drop=True)


def load_taakstelling():
    """National half-year taakstelling with backlog and realisation where published."""
    return load_dataset("taakstelling")


def load_reception_locations():
    """Reception locations with capacity, occupancy and dates."""
    return load_dataset("reception_locations")


def load_state_buildings():
    """Vacant state buildings; rows with status ``voorbeeld`` are fictitious."""
    return load_dataset("state_buildings")


def load_housing_stock(year=None):
    """Estimated social-rental stock per municipality and size class (``schatting``).

    Parameters
    ----------
    year : int, optional
        Municipal division. ``None`` (default) or a year before 2024: the
        table of the 2016 division (``housing_stock``; reference years 2016
        and 2017), brought to the division of ``year`` with
        :func:`toolkit.codes.harmonise` for 2017-2023. 2024 or later: the
        table of the 2024-2026 division (``housing_stock_2024``).
    """
    if year is not None and int(year) >= 2024:
        return load_dataset("housing_stock_2024")
    stock = load_dataset("housing_stock")
    if year is None or int(year) <= 2016:
        return stock
    out = harmonise(stock, int(year), value_cols=["dwellings"], by=["size_class"]).drop(columns="harmonised_from")
    out["reference_year"] = stock["reference_year"].min() if out["reference_year"].isna().any() else out["reference_year"]
    out.attrs = dict(stock.attrs)
    return out[stock.columns]


def load_lettings():
    """Published social-rental lettings (Utrecht city, U16, national)."""
    return load_dataset("lettings")


def load_benefit_norms():
    """Participatiewet norms per month (January 2016)."""
    return load_dataset("benefit_norms")


def load_municipal_points():
    """Representative point and area per municipality and division (2016, 2024), ``schatting``."""
    return load_dataset("municipal_points")


def load_provinces():
    """The twelve provinces: code (``PV20`` .. ``PV31``) and name."""
    return load_dataset("provinces")


def population_years():
    """Years with a population count on 1 January for at least one municipality (shipped or refreshed)."""
    pop = load_population()
    return sorted(pop.loc[pop["code"] != "NL01", "reference_date"].dt.year.unique().tolist())


def missing_data_message(dataset, year, *, what=None):
    """The one line that says a dataset is missing for a year, where to supply it and how to fetch it.

    >>> missing_data_message("population", 2026)  # doctest: +ELLIPSIS
    'Geen bevolking per gemeente op 1-1-2026 ...'
    """
    what = what or {"population": f"bevolking per gemeente op 1-1-{year}", "housing_stock": f"woningvoorraad voor {year}"}.get(dataset, dataset)
    fetch = {
        "population": f"`doorlopende-lijn data bijwerken --jaar {year}` (CBS 03759NED)",
        "housing_stock": "`doorlopende-lijn data bijwerken` (CBS-woningvoorraad naar eigendom)",
    }.get(dataset)
    supply = {
        "population": "een CSV/xlsx met de kolommen code, reference_date, population, source, status (zoals geodata/population.csv)",
        "housing_stock": "een CSV/xlsx met de kolommen code, size_class, dwellings (zoals geodata/housing_stock.csv)",
    }.get(dataset, "een eigen bestand")
    have = ""
    if dataset == "population":
        have = f"; beschikbaar: {', '.join(str(y) for y in population_years())}"
    return f"Geen {what} in de meegeleverde of bijgewerkte gegevens{have}. Lever {supply} met `doorlopende-lijn data importeren {dataset} FILE`" + (
        f", of haal het op met {fetch}." if fetch else "."
    )


def municipality_population(year=2016, region="U16"):
    """Population per municipality on 1 January of ``year``, in that year's division.

    ``region`` is anything :func:`toolkit.regions.region_codes` accepts.
    Uses the counts with reference date 1-1-``year``; municipalities merged by
    then are summed from their parts (status becomes ``schatting`` with a
    note). Raises when a count is missing rather than filling it.

    Returns
    -------
    pandas.DataFrame
        Columns code, name, population, reference_date, status, note.
    """
    named = [region] if isinstance(region, str) else region
    if isinstance(named, (list, tuple)) and all(isinstance(c, str) and "." not in c for c in named):
        # a region by name or codes (not a file): computed once per table state; the maps and the
        # targets of every dashboard change read it
        key = ("municipality_population", int(year), region if isinstance(region, str) else tuple(region))
        kept = derived(key, lambda: _municipality_population(year, region))
        out = kept.copy()
        out.attrs = dict(kept.attrs)
        return out
    return _municipality_population(year, region)


def _municipality_population(year, region):
    date = pd.Timestamp(year=int(year), month=1, day=1)
    pop = load_population()
    pop = pop[(pop["reference_date"] == date) & (pop["code"] != "NL01")]
    if pop.empty:
        raise ValidationError(missing_data_message("population", int(year)))
    merged = harmonise(pop[["code", "population"]], year, value_cols=["population"])
    mun = municipalities(year)
    wanted = region_codes(region, year)
    unknown = sorted(set(wanted) - set(mun["code"]))
    if unknown:
        raise ValidationError(f"municipality_population: unknown municipality codes for {year}: {unknown}")
    out = mun.set_index("code").reindex(wanted)[["name"]].join(merged.set_index("code"))
    missing = out.index[out["population"].isna()].tolist()
    if missing:
        raise ValidationError(
            f"municipality_population: no population on 1-1-{year} for {_listing(missing)}. "
            + missing_data_message("population", int(year), what=f"bevolking op 1-1-{year} voor {len(missing)} gemeente(n)")
        )
    out["reference_date"] = date
    derived = out["harmonised_from"].str.contains(",")
    status = pop.set_index("code")["status"]
    out["status"] = ["schatting" if d else status.get(c, "gepubliceerd") for c, d in zip(out.index, derived)]
    out["note"] = [f"som van {h}" if d else "" for h, d in zip(out["harmonised_from"], derived)]
    out["population"] = out["population"].astype("int64")
    out = out.drop(columns="harmonised_from").reset_index().rename(columns={"index": "code"})
    out.attrs.update(dataset="population", source=pop.attrs.get("source", ""), refreshed=pop.attrs.get("refreshed"))
    return out


# --------------------------------------------------------------------------- national series 2024-2026
# Grant rates, waiting permit holders, MPP ranges, Spreidingswet and policy
# events (registry entries of the same names). Qualifiers stay as published:
# ``qualifier`` says exact / afgerond / ongeveer / minimaal / maximaal and
# ``published_as`` keeps the words ("ruim 16.000").

_SCHEMAS.update(
    grant_rates=schemas.GRANT_RATES,
    reception_stocks=schemas.RECEPTION_STOCKS,
    mpp=schemas.MPP,
    spreidingswet=schemas.SPREIDINGSWET,
    policy_changes=schemas.POLICY_CHANGES,
)
__all__ += ["load_grant_rates", "load_reception_stocks", "load_mpp", "load_spreidingswet", "load_policy_changes"]


def load_grant_rates():
    """Published IND grant rates (share of decisions that grant a permit).

    Columns period, granularity, procedure, grant_rate_pct, qualifier,
    published_as, source, note, plus ``grant_rate`` (the share, 0..1). Years
    and quarters without a published rate are absent.
    """
    df = load_dataset("grant_rates")
    df["grant_rate"] = df["grant_rate_pct"] / 100
    return df


def load_reception_stocks():
    """Permit holders waiting in reception for a home, IND queues and COA figures at dates."""
    return load_dataset("reception_stocks")


def load_mpp():
    """MPP (Meerjaren Productie Prognose) inflow ranges per forecast year and publication."""
    return load_dataset("mpp")


def load_spreidingswet():
    """Spreidingswet reception places: national target, provinces and the municipalities found."""
    return load_dataset("spreidingswet")


def load_policy_changes():
    """Dated policy changes 2024-2026 with the status last found; ``date_start`` sorts them.

    ``date_start`` is the first day of the first date in ``date``
    ('2024-07 / 2025' starts on 2024-07-01).
    """
    df = load_dataset("policy_changes")
    first = df["date"].str.extract(r"^(\d{4}(?:-\d{2})?(?:-\d{2})?)")[0]
    df["date_start"] = pd.to_datetime([f if len(f) == 10 else (f + "-01" if len(f) == 7 else f + "-01-01") for f in first])
    return df.sort_values("date_start", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- user files on the map (helper "national")


def locations_from_occupancy(coa, year, *, known=None):
    """Reception locations for the maps from a COA occupancy list (``toolkit.io.read_coa_occupancy``).

    A COA list has location, code, date, capacity and occupancy but no
    coordinates. A location whose name matches a shipped reception location
    keeps that location's point; the others are placed on their
    municipality's representative point (``coord_status`` ``schatting``, a
    note says so). The latest date per location is used.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`load_reception_locations` (status ``None``: the
        toolkit cannot know whether the analyst's list is published).
    """
    if coa is None or len(coa) == 0:
        raise ValidationError("opvang: the COA list is empty; expected at least one location")
    latest = coa.sort_values("date").groupby("location", sort=False).tail(1)
    shipped = load_reception_locations() if known is None else known
    by_name = {str(n).strip().lower(): r for n, r in zip(shipped["name"], shipped.itertuples())}
    mun = municipalities(year).set_index("code")
    missing = sorted(set(latest["code"]) - set(mun.index))
    if missing:
        raise ValidationError(f"opvang: municipality codes {missing} do not exist on 1-1-{year}; is the list for another year?")
    rows = []
    for i, r in enumerate(latest.itertuples(), start=1):
        hit = by_name.get(str(r.location).strip().lower())
        point = (hit.lat, hit.lon, hit.coord_status) if hit is not None else (mun.loc[r.code, "lat"], mun.loc[r.code, "lon"], "schatting")
        rows.append({
            "id": f"coa-{i}", "name": r.location, "code": r.code, "address": None, "lat": point[0], "lon": point[1],
            "coord_status": point[2], "capacity": int(r.capacity), "occupancy": int(r.occupancy),
            "occupancy_date": r.date, "open_from": None, "open_to": None, "kind": "overig",
            "source": coa.attrs.get("source", "COA-lijst"), "status": None,
            "note": "" if hit is not None else "punt: midden van de gemeente (schatting), de lijst geeft geen adres",
        })
    out = pd.DataFrame(rows, columns=schemas.RECEPTION_LOCATIONS.names)
    for col in ("occupancy_date", "open_from", "open_to"):
        out[col] = pd.to_datetime(out[col])
    out.attrs.update(dataset="coa_occupancy", source=coa.attrs.get("source", "COA-lijst"), status=None)
    return out
