"""Doorlopende Lijn: decision support for housing and integrating permit holders.

Modules, one per concern:

- :mod:`toolkit.data`: loaders for the shipped reference data (``geodata/``)
- :mod:`toolkit.registry`: the dataset registry (source, licence, status)
- :mod:`toolkit.regions`: U10, U16 and any list of municipality codes, by year
- :mod:`toolkit.codes`: CBS code normalisation and harmonisation across divisions
- :mod:`toolkit.boundaries`: municipality polygons (user file, PDOK, schematic fallback)
- :mod:`toolkit.io`: analysts' CSV and Excel files, validated
"""

from . import codes as codes
from . import data as data
from . import regions as regions
from . import registry as registry
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
    "codes",
    "data",
    "regions",
    "registry",
]
