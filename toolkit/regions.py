"""Regions: named, dated lists of municipality codes, resolved for a year.

A region can be

- ``"NL"`` (also ``"Nederland"``, ``"alle"``): every municipality of the year;
- a province: its CBS code (``"PV26"``) or its name (``"provincie Utrecht"``,
  ``"Utrecht (provincie)"``);
- a named region of the regions table, whose composition changes over time:
  ``U10`` and ``U16`` (Vianen became part of Vijfheerenlanden in 2019; the U10
  grew to 12 members by 2023), and region divisions refreshed from CBS
  "Gebieden in Nederland" (COROP areas, woningmarktregio's) when present;
- a list of CBS codes. Codes of another municipal division are mapped
  through the code changes with a :class:`RegionWarning`; a code that cannot
  be mapped one to one (a municipality that was split, or a code that only
  exists after the year) is rejected;
- a user region file (CSV or xlsx with a column ``code`` and optionally
  ``regio``, the region's name), validated at the boundary by
  :func:`toolkit.io.read_region_file`: pass the frame it returns (the command
  line does this for ``--regio FILE``). A path itself is refused with that
  advice, so that this module stays below :mod:`toolkit.io`.

:func:`region_codes` resolves any of these; :func:`municipalities` gives the
shipped municipalities of a year with the representative point of the
division in force. An unknown name lists the valid kinds and the closest names.
"""

from __future__ import annotations

import difflib
import re
import warnings
from pathlib import Path

import pandas as pd

from ._errors import ValidationError
from ._tables import load_table
from ._validate import normalise_code
from .codes import code_map

U10 = "U10"
U16 = "U16"
NATIONAL = ("NL", "NL01", "NEDERLAND", "ALLE", "ALL")
#: Divisions whose representative points are shipped (``geodata/municipal_points.csv``).
POINT_DIVISIONS = (2016, 2024)

__all__ = [
    "U10",
    "U16",
    "RegionWarning",
    "region_codes",
    "region_label",
    "municipalities",
    "region_names",
    "province_names",
    "preset",
    "PRESETS",
]


class RegionWarning(UserWarning):
    """A region was resolved with a change the user should know about (codes of another division)."""


def region_names():
    """Names of the named regions (shipped, and refreshed from CBS)."""
    return sorted(load_table("regions")["region"].unique())


def province_names():
    """``{code: name}`` of the twelve provinces."""
    prov = load_table("provinces")
    return dict(zip(prov["code"], prov["name"]))


def _jan1(year):
    return pd.Timestamp(year=int(year), month=1, day=1)


def _alive(frame, year):
    d = _jan1(year)
    return frame[(frame["valid_from"].isna() | (frame["valid_from"] <= d)) & (frame["valid_to"].isna() | (frame["valid_to"] >= d))]


def municipalities(year=2016, region=None):
    """Shipped municipalities that exist on 1 January ``year``, optionally within a region.

    The representative point and area (``lat``, ``lon``, ``area_km2``) are
    those of the latest division with shipped points on or before ``year``
    (2016 for 2016-2023, 2024 from 2024), so a municipality that grew by a
    merger gets its new area from 2024.

    Returns the columns of :func:`toolkit.data.load_municipalities`.

    >>> len(municipalities(2016)), len(municipalities(2025))
    (390, 342)
    """
    mun = _alive(load_table("municipalities"), year)
    division = max([d for d in POINT_DIVISIONS if d <= int(year)], default=POINT_DIVISIONS[0])
    points = load_table("municipal_points")
    points = points[points["division"] == str(division)].set_index("code")
    has = mun["code"].isin(points.index)
    for col in ("lat", "lon", "area_km2"):
        mun.loc[has, col] = mun.loc[has, "code"].map(points[col]).to_numpy()
    if region is not None:
        codes = region_codes(region, year)
        missing = [c for c in codes if c not in set(mun["code"])]
        if missing:
            raise ValidationError(
                f"municipalities: codes {missing} do not exist on 1-1-{int(year)} in the shipped data; "
                f"known codes then are {len(mun)} municipalities, e.g. {sorted(mun['code'])[:5]}"
            )
        mun = mun.set_index("code").loc[codes].reset_index()
    return mun.reset_index(drop=True)


def _province(text):
    """The province code for ``PV26``, ``provincie Utrecht``, ``Utrecht (provincie)``; else None."""
    provinces = province_names()
    key = text.strip()
    if key.upper() in provinces:
        return key.upper()
    m = re.fullmatch(r"(?:provincie\s+(.+)|(.+?)\s*\(provincie\))", key, flags=re.IGNORECASE)
    if not m:
        return None
    name = (m.group(1) or m.group(2)).strip().lower()
    aliases = {"friesland": "fryslân", "fryslan": "fryslân"}
    name = aliases.get(name, name)
    for code, pname in provinces.items():
        if pname.lower() == name:
            return code
    raise ValidationError(
        f"Unknown province {text!r}; the provinces are {', '.join(f'{c} {n}' for c, n in provinces.items())}"
    )


def _named(name, year):
    regions = load_table("regions")
    rows = regions[regions["region"].str.upper() == name.upper()]
    if rows.empty:
        return None
    alive = _alive(rows, year)
    if alive.empty:
        known = rows.groupby("composition").agg(valid_from=("valid_from", "min"), valid_to=("valid_to", "max"))
        spans = ", ".join(
            f"{c}: {'' if pd.isna(r.valid_from) else r.valid_from.year}-{'' if pd.isna(r.valid_to) else r.valid_to.year}"
            for c, r in known.iterrows()
        )
        raise ValidationError(
            f"No known composition of {name.upper()} on 1-1-{year} (known: {spans}); pass a list of codes instead"
        )
    return alive["code"].tolist()


def _unknown_name(region):
    names = region_names()
    provinces = province_names()
    candidates = names + ["NL", "Nederland"] + list(provinces) + [f"provincie {n}" for n in provinces.values()]
    close = difflib.get_close_matches(region.strip(), candidates, n=3, cutoff=0.5)
    close += [c for c in difflib.get_close_matches(region.strip().upper(), [c.upper() for c in candidates], n=3, cutoff=0.5)
              if c not in [x.upper() for x in close]]
    hint = f" Closest: {', '.join(repr(c) for c in close[:3])}." if close else ""
    return ValidationError(
        f"Unknown region {region!r}; expected one of {names}, 'NL' (the whole country), a province "
        f"('PV26' or 'provincie Utrecht'), a list of CBS codes (GM0344,GM0355) or a region file (.csv/.xlsx).{hint}"
    )


def _looks_like_file(region):
    if isinstance(region, Path):
        return True
    return isinstance(region, str) and Path(region).suffix.lower() in (".csv", ".txt", ".xlsx", ".xlsm")


def region_codes(region, year=2016):
    """Return the member codes of ``region`` on 1 January ``year``.

    Parameters
    ----------
    region : str, list of str or pandas.DataFrame
        See the module docstring: ``"NL"``, ``"PV26"``, ``"provincie
        Utrecht"``, ``"U10"``, ``"U16"`` (case-insensitive), a list of CBS
        codes (loose spellings are normalised), or the table of a region file
        (:func:`toolkit.io.read_region_file`).
    year : int

    Examples
    --------
    >>> len(region_codes("U16", 2016)), "GM1961" in region_codes("U16", 2024)
    (16, True)
    >>> len(region_codes("PV26", 2025)), len(region_codes("NL", 2016))
    (26, 390)
    """
    if _looks_like_file(region):
        raise ValidationError(
            f"region {str(region)!r} is a file: read it with toolkit.io.read_region_file(path) and pass the table "
            "(the command line does this for --regio FILE)"
        )
    if isinstance(region, pd.DataFrame):
        if "code" not in region.columns:
            raise ValidationError(f"region: a table needs a column 'code' with CBS codes, found {list(region.columns)}")
        return region_codes(region["code"].tolist(), year)
    if isinstance(region, str):
        text = region.strip()
        if text.upper() in NATIONAL:
            return municipalities(year)["code"].tolist()
        named = _named(text, year)
        if named is not None:
            return named
        province = _province(text)
        if province is not None:
            name = province_names()[province]
            mun = municipalities(year)
            return mun.loc[mun["province"] == name, "code"].tolist()
        if "," in text:
            return region_codes([c for c in text.split(",") if c.strip()], year)
        try:
            return _codes_for_year([normalise_code(text)], year)
        except ValueError:
            raise _unknown_name(region) from None
    if region is None or len(region) == 0:
        raise ValidationError("region: expected 'U10', 'U16', 'NL', a province, a region file or a non-empty list of CBS codes, got an empty value")
    codes = []
    bad = []
    for c in region:
        try:
            codes.append(normalise_code(c))
        except ValueError:
            bad.append(c)
    if bad:
        raise ValidationError(f"region: expected CBS municipality codes like 'GM0344', found {bad}")
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValidationError(f"region: codes listed more than once: {dup}")
    return _codes_for_year(codes, year)


def _codes_for_year(codes, year):
    """Map codes of another division to the division of ``year`` (warning), or reject them."""
    mun = load_table("municipalities").set_index("code")
    alive = set(_alive(mun.reset_index(), year)["code"])
    if all(c in alive or c not in mun.index for c in codes):
        return list(codes)  # unknown codes are left to the caller's check, as before
    changes = load_table("code_changes")
    d = _jan1(year)
    mapping = code_map(year)
    split = set(changes.loc[(changes["kind"] == "opsplitsing") & (changes["date"] <= d), "old_code"])
    out, mapped, problems = [], [], []
    for c in codes:
        if c in alive or c not in mun.index:
            out.append(c)
        elif c in split:
            parts = changes.loc[changes["old_code"] == c, "new_name"].tolist()
            problems.append(f"{c} ({mun.loc[c, 'name']}) was split over {', '.join(parts)}: name the successors' codes")
        elif c in mapping:
            new = mapping[c]
            mapped.append(f"{c} ({mun.loc[c, 'name']}) -> {new} ({mun.loc[new, 'name']})")
            if new not in out:
                out.append(new)
        else:
            parts = changes.loc[changes["new_code"] == c, "old_code"].tolist()
            before = f"; on 1-1-{year} it was {', '.join(parts)}" if parts else ""
            problems.append(f"{c} ({mun.loc[c, 'name']}) only exists from {mun.loc[c, 'valid_from']:%d-%m-%Y}{before}")
    if problems:
        raise ValidationError(f"region: codes that cannot be used for the division of {year}: " + "; ".join(problems))
    if mapped:
        warnings.warn(
            f"region: codes of another municipal division mapped to the division of {year}: {', '.join(mapped)}",
            RegionWarning,
            stacklevel=3,
        )
    return out


def region_label(region):
    """A short label for a region argument: its name, the region file's name, or ``"eigen selectie"``."""
    if isinstance(region, pd.DataFrame):
        return region.attrs.get("region_name") or "eigen selectie"
    if isinstance(region, str):
        return region.strip()
    return "eigen selectie"


#: Named presets: region and year, and how the half year is chosen.
PRESETS = {
    "collegedag": {"region": U16, "year": 2016, "period": "2017-I",
                   "description": "de collegedag van 4 oktober 2016: U16 (indeling 2016), taakstelling 2017-I"},
    "vandaag": {"region": U16, "year": None, "period": None,
                "description": "de U16 in de indeling 2024-2026 (Vijfheerenlanden in plaats van Vianen), de nieuwste "
                               "bevolking en de nieuwste gepubliceerde taakstelling"},
}


def preset(name="collegedag"):
    """Return ``{"region", "year", "period", "description"}`` of a named preset.

    ``"vandaag"`` is resolved when called: the latest year with a population
    count for every municipality of its division, and the latest half year in
    the taakstelling table (shipped or refreshed), not a constant.
    """
    key = str(name).strip().lower()
    if key not in PRESETS:
        raise ValidationError(f"Unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    out = dict(PRESETS[key])
    if out["year"] is None:
        pop = load_table("population")
        years = sorted(pop.loc[pop["code"] != "NL01", "reference_date"].dt.year.unique())
        out["year"] = int(next(y for y in reversed(years) if set(municipalities(y)["code"]) <= set(
            pop.loc[pop["reference_date"] == _jan1(y), "code"])))
    if out["period"] is None:
        periods = load_table("taakstelling")["period"]
        key_of = lambda p: (int(p.split("-")[0]), len(p.split("-")[1]))  # noqa: E731  I < II
        out["period"] = max(periods, key=key_of)
    return out
