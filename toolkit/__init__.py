"""Doorlopende Lijn: decision support for housing and integrating permit holders.

Modules, one per concern:

- :mod:`toolkit.data`: loaders for the shipped reference data (``geodata/``)
- :mod:`toolkit.registry`: the dataset registry (source, licence, status)
- :mod:`toolkit.regions`: U10, U16 and any list of municipality codes, by year
- :mod:`toolkit.codes`: CBS code normalisation and harmonisation across divisions
- :mod:`toolkit.boundaries`: municipality polygons (user file, PDOK, schematic fallback)
- :mod:`toolkit.io`: analysts' CSV and Excel files, validated
- :mod:`toolkit.forecast`: national asylum inflow forecasts, baselines and backtests
- :mod:`toolkit.taakstelling`: municipal targets, backlog carried over, inflow to targets
- :mod:`toolkit.households`: caseloads, a synthetic caseload, the final household-size model
- :mod:`toolkit.demand`: dwelling demand by size class per municipality and half year
- :mod:`toolkit.matching`: households to municipalities by dwelling size, per scope
- :mod:`toolkit.benefits`: the kostendelersnorm and the cost of sharing a dwelling
- :mod:`toolkit.capacity`: under-used reception locations and vacant state buildings
- :mod:`toolkit.maps`: folium maps (overview, capacity, demand and matching layers)
- :mod:`toolkit.export`: self-contained, escaped, deterministic council exports and images
- :mod:`toolkit.integration`: integration from day 1, current route against a pilot
- :mod:`toolkit.scenario`: the collegedag scenario from settings to every figure
- :mod:`toolkit.dashboard`: the facilitator dashboard (ipywidgets, Voilà)
- :mod:`toolkit.report`: the self-contained HTML scenario report
- :mod:`toolkit.demo`: the main job behind ``make demo``
"""

import importlib

#: The modules above, imported on first use (``toolkit.maps``, ``from toolkit import maps``): a command
#: loads only what it needs (``doorlopende-lijn info`` no folium, scikit-learn or SciPy).
_MODULES = ("benefits", "boundaries", "capacity", "codes", "dashboard", "data", "demand", "demo", "export", "forecast",
            "households", "integration", "io", "maps", "matching", "regions", "registry", "report", "scenario",
            "taakstelling")
#: Names re-exported here, and the module each comes from (also imported on first use).
_NAMES = {"ValidationError": "_errors", "InfeasibleError": "_errors", "normalise_code": "_validate",
          "get_path": "registry", "list_datasets": "registry", "U10": "regions", "U16": "regions",
          "municipalities": "regions", "region_codes": "regions", "nl_number": "_format", "scope_label": "_labels"}


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES) | set(_NAMES))


__version__ = "0.1.0"

__all__ = [
    "ValidationError",
    "InfeasibleError",
    "normalise_code",
    "get_path",
    "list_datasets",
    "U10",
    "U16",
    "municipalities",
    "region_codes",
    "nl_number",
    "scope_label",
    "benefits",
    "boundaries",
    "capacity",
    "codes",
    "dashboard",
    "data",
    "demand",
    "demo",
    "export",
    "forecast",
    "households",
    "integration",
    "io",
    "maps",
    "matching",
    "regions",
    "registry",
    "report",
    "scenario",
    "taakstelling",
]
