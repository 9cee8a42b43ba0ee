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

from . import benefits as benefits
from . import boundaries as boundaries
from . import capacity as capacity
from . import codes as codes
from . import dashboard as dashboard
from . import data as data
from . import demand as demand
from . import demo as demo
from . import export as export
from . import forecast as forecast
from . import households as households
from . import integration as integration
from . import io as io
from . import maps as maps
from . import matching as matching
from . import regions as regions
from . import registry as registry
from . import report as report
from . import scenario as scenario
from . import taakstelling as taakstelling
from ._errors import InfeasibleError, ValidationError
from ._validate import normalise_code
from .registry import get_path, list_datasets
from .regions import U10, U16, municipalities, region_codes

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
