"""The reference tables as validated frames: shipped, plus what the analyst refreshed.

This is the lowest layer of the data side: :mod:`toolkit.codes`,
:mod:`toolkit.regions` and :mod:`toolkit.data` read tables through
:func:`load_table`, and this module imports none of them.

Shipped tables live in the package (``geodata/``, see :mod:`toolkit.registry`).
Tables refreshed from CBS (``doorlopende-lijn data bijwerken``, see
:mod:`toolkit.cbs`) live in the user data folder (:func:`user_data_dir`), each
with an entry in that folder's own ``registry.json`` (source, retrieved date,
status). A refreshed table adds rows to the shipped one; a row with the same
key replaces the shipped row. ``df.attrs["refreshed"]`` then names the
refreshed file and its retrieval date, so every output can say which data it
used.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import schemas
from ._errors import ValidationError
from ._validate import validate_frame
from .registry import dataset_info, get_path

#: Environment variable that moves the user data folder (tests, portable installs).
DATA_ENV = "DOORLOPENDE_LIJN_DATA"
#: Name of the registry file of refreshed tables in the user data folder.
USER_REGISTRY = "registry.json"

SCHEMAS = {
    "municipalities": schemas.MUNICIPALITIES,
    "population": schemas.POPULATION,
    "code_changes": schemas.CODE_CHANGES,
    "regions": schemas.REGIONS,
    "inflow": schemas.INFLOW,
    "taakstelling": schemas.TAAKSTELLING,
    "reception_locations": schemas.RECEPTION_LOCATIONS,
    "state_buildings": schemas.STATE_BUILDINGS,
    "housing_stock": schemas.HOUSING_STOCK,
    "lettings": schemas.LETTINGS,
    "benefit_norms": schemas.BENEFIT_NORMS,
    "municipal_points": schemas.MUNICIPAL_POINTS,
    "provinces": schemas.PROVINCES,
    "housing_stock_2024": schemas.HOUSING_STOCK,
}
# tables whose code column is not checked against the municipalities (they define them, or hold areas)
_NO_CODE_CHECK = ("municipalities", "lettings", "municipal_points", "provinces")


def user_data_dir():
    """The folder for refreshed tables.

    ``$DOORLOPENDE_LIJN_DATA`` if set, else the platform's user data folder
    (``platformdirs.user_data_dir("doorlopende-lijn")``, e.g.
    ``~/.local/share/doorlopende-lijn`` on Linux). Never inside the package.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("doorlopende-lijn", appauthor=False))


def refreshed_entries(folder=None):
    """The registry of refreshed tables in the user data folder: ``{name: entry}``.

    Empty when nothing was refreshed. A damaged registry is an error that
    names the file (delete it, or run ``doorlopende-lijn data bijwerken``).
    """
    path = Path(folder or user_data_dir()) / USER_REGISTRY
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path}: not a readable registry of refreshed tables ({exc}); delete it or refresh again") from None
    if not isinstance(entries, dict):
        raise ValidationError(f"{path}: expected a JSON object {{name: entry}}, found {type(entries).__name__}")
    return entries


def _read_csv(path, schema, known, label):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return validate_frame(raw, schema, source=label, row_base=2, known_codes=known)


@lru_cache(maxsize=None)
def _cached(name, folder):
    schema = SCHEMAS[name]
    refreshed = refreshed_entries(folder).get(name)
    known = None
    if name not in _NO_CODE_CHECK:
        known = set(_cached("municipalities", folder)["code"])
    path = get_path(name)
    df = _read_csv(path, schema, known, f"geodata/{path.name}")
    info = dataset_info(name)
    sources = list(info["source"])
    attrs = {"dataset": name, "status": info["status"], "refreshed": None}
    if refreshed is not None:
        user_file = Path(folder) / refreshed["file"]
        new = _read_csv(user_file, schema, known, str(user_file))
        key = list(schema.key)
        if key:
            df = df[~df.set_index(key).index.isin(new.set_index(key).index)]
        df = pd.concat([df, new], ignore_index=True)
        sources += list(refreshed.get("source", []))
        attrs["refreshed"] = {"file": str(user_file), "retrieved": refreshed.get("retrieved"), "status": refreshed.get("status")}
    attrs["source"] = "; ".join(sources)
    df.attrs.update(attrs)
    return df


def load_table(name):
    """Return a copy of a table by registry name (shipped rows plus refreshed rows)."""
    if name not in SCHEMAS:
        raise ValidationError(f"Dataset {name!r} has no table loader; it is read by its own module.")
    table = _cached(name, str(user_data_dir()))
    df = table.copy()
    df.attrs = dict(table.attrs)
    return df


#: Frames computed from the tables alone (e.g. a region's population), by key and user data folder.
_DERIVED = {}


def derived(key, compute):
    """``compute()``, kept by ``key`` and the user data folder until :func:`clear_cache` (the caller copies it)."""
    full = (key, str(user_data_dir()))
    if full not in _DERIVED:
        _DERIVED[full] = compute()
    return _DERIVED[full]


def clear_cache():
    """Forget loaded tables and what was computed from them (after a refresh, or when the user data folder moved)."""
    _cached.cache_clear()
    _DERIVED.clear()


def data_origin():
    """One Dutch line saying which data a run used: shipped only, or with refreshed tables (and when)."""
    folder = user_data_dir()
    entries = refreshed_entries(folder)
    if not entries:
        return "Gegevens: meegeleverd (toolkit/geodata); geen bijgewerkte tabellen."
    parts = ", ".join(f"{k} ({v.get('retrieved', '?')})" for k, v in sorted(entries.items()))
    return f"Gegevens: meegeleverd plus bijgewerkt in {folder}: {parts}."
