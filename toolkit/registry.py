"""The registry of shipped datasets in ``geodata/``.

Every shipped file has one entry in ``geodata/registry.json``: file, sha256,
source(s), year, licence, CRS where spatial, rows, columns and a status:

- ``gepubliceerd``: figures typed in from a published source;
- ``schatting``: an estimate; ``derivation`` says how it was made;
- ``voorbeeld``: an example for demonstration, not a real figure;
- ``synthetisch``: generated data; ``generator`` names the code.

A table that mixes statuses has ``status_column`` naming the column that holds
the status per row.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ._errors import ValidationError

#: The shipped tables, inside the package (a normal wheel carries them).
GEODATA = Path(str(resources.files("toolkit") / "geodata"))
REGISTRY_FILE = GEODATA / "registry.json"
STATUSES = ("gepubliceerd", "schatting", "voorbeeld", "synthetisch")
STATUS_LABELS = {
    "gepubliceerd": "gepubliceerd",
    "schatting": "schatting",
    "voorbeeld": "voorbeeld (fictief)",
    "synthetisch": "synthetisch",
}


#: Every licence in the registry in Dutch, for the council files (the registry keeps the English).
LICENCE_NL = {
    "CC BY 4.0, CBS": "CC BY 4.0, CBS",
    "CC BY 4.0, CBS / Kadaster": "CC BY 4.0, CBS / Kadaster",
    "CC BY 4.0, CBS / Kadaster (derived)": "CC BY 4.0, CBS / Kadaster (afgeleid)",
    "CC BY 4.0, CBS; IND figures cited": "CC BY 4.0, CBS; cijfers van de IND overgenomen",
    "CC BY 4.0, Doorlopende Lijn (derived)": "CC BY 4.0, Doorlopende Lijn (afgeleid)",
    "facts cited from the named sources": "feiten overgenomen uit de genoemde bronnen",
}


@lru_cache(maxsize=1)
def _load():
    with open(REGISTRY_FILE, encoding="utf-8") as f:
        return json.load(f)


def registry():
    """Return the registry as a dict ``{name: entry}`` (a copy)."""
    return json.loads(json.dumps(_load()))


def _key(name):
    return re.sub(r"[^a-z0-9]", "", Path(str(name)).stem.lower())


def resolve_name(name):
    """Return the registry name for a loose spelling (case, dashes, extension)."""
    entries = _load()
    if name in entries:
        return name
    lookup = {_key(k): k for k in entries}
    lookup.update({_key(v["file"]): k for k, v in entries.items()})
    if _key(name) in lookup:
        return lookup[_key(name)]
    close = difflib.get_close_matches(_key(name), list(lookup), n=1, cutoff=0.6)
    hint = f" Did you mean {lookup[close[0]]!r}?" if close else ""
    raise ValidationError(
        f"Unknown dataset {name!r}.{hint} Valid names are: {', '.join(sorted(entries))}."
    )


def get_path(name):
    """Return the path of a shipped dataset, tolerant of spelling.

    >>> get_path("Reception-Locations").name
    'reception_locations.csv'
    """
    return GEODATA / _load()[resolve_name(name)]["file"]


def dataset_info(name):
    """Return the registry entry of one dataset (a copy)."""
    return dict(registry()[resolve_name(name)])


def list_datasets():
    """Return one row per shipped dataset: name, file, status, year, source, rows."""
    rows = [
        {
            "name": k,
            "file": v["file"],
            "title": v["title"],
            "status": v["status"],
            "year": v.get("year"),
            "source": "; ".join(v["source"]),
            "rows": v["rows"],
        }
        for k, v in _load().items()
    ]
    return pd.DataFrame(rows)


def provenance(names):
    """Return title, source, licence and status of the named datasets.

    Maps, reports and the dashboard use this for their footers, so each
    figure shown carries its source and status label. ``bron``, ``licentie``
    and ``toelichting`` are the Dutch source, licence and note that council
    files show (``bron_nl``, :data:`LICENCE_NL`, ``toelichting_nl``);
    ``source``, ``licence`` and ``note`` are the registry's English.
    """
    rows = []
    for name in dict.fromkeys(names):
        info = dataset_info(name)
        rows.append(
            {
                "name": resolve_name(name),
                "title": info["title"],
                "source": "; ".join(info["source"]),
                "licence": info.get("licence", ""),
                "status": info["status"],
                "statuses": ", ".join(info.get("statuses", [info["status"]])),
                "note": info.get("derivation") or info.get("generator") or "",
                "bron": "; ".join(info["bron_nl"]),
                "licentie": LICENCE_NL.get(info.get("licence", ""), info.get("licence", "")),
                "toelichting": info["toelichting_nl"],
            }
        )
    return pd.DataFrame(rows)


def file_facts(path):
    """Compute sha256, row count and columns of a shipped file."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        return {"sha256": digest, "rows": len(df), "columns": list(df.columns)}
    if path.suffix in (".json", ".geojson"):
        data = json.loads(path.read_text(encoding="utf-8"))
        feats = data.get("features", data if isinstance(data, list) else [])
        cols = sorted({k for f in feats for k in f.get("properties", {})}) if feats else []
        return {"sha256": digest, "rows": len(feats), "columns": cols}
    raise ValueError(f"{path}: no row count rule for {path.suffix!r} files")


def update_registry():
    """Recompute sha256, rows and columns of every entry (maintainers only)."""
    entries = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    for entry in entries.values():
        entry.update(file_facts(GEODATA / entry["file"]))
    REGISTRY_FILE.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _load.cache_clear()
    return entries
