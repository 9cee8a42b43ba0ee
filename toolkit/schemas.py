"""Table layouts (schemas) of the shipped data and of user files.

Each schema documents its columns; ``SCHEMA.doc()`` shows them as a table.

Upper bounds
------------
Counts have a stated maximum, checked before any cast (a value above it is
rejected with the row and the value as written):

============================  ===========  =====================================
column                        maximum      why
============================  ===========  =====================================
household size (final_size)   20 persons   ``MAX_HOUSEHOLD``; far above the
                                           largest permit-holder households
children_present,             19           so that a household stays within
family_abroad                              ``MAX_HOUSEHOLD``
capacity, occupancy,          10,000       ``MAX_PLACES``; the largest Dutch
permit_holders (COA)                       location (Ter Apel) has about 2,000
dwellings (per municipality   1,000,000    ``MAX_DWELLINGS``; Amsterdam has
and size class)                            about 450,000 dwellings in all
floor_area_m2                 1,000,000    ``MAX_FLOOR_AREA_M2``
============================  ===========  =====================================

File limits
-----------
The user-file schemas carry ``max_bytes`` and ``max_rows``;
:func:`toolkit.io.read_table` checks them before parsing (for xlsx also the
unpacked size of the workbook and the rows of every sheet), so a huge or
"zip bomb" file is rejected in well under a second:

=================  ==========  ===========
file kind          max size    max rows
=================  ==========  ===========
HOUSING_STOCK      20 MB       100,000
COA_OCCUPANCY      20 MB       200,000
CASELOAD           20 MB       200,000
=================  ==========  ===========
"""

from ._validate import Column as C
from ._validate import Rule, Schema

MAX_HOUSEHOLD = 20
MAX_PLACES = 10_000
MAX_DWELLINGS = 1_000_000
MAX_FLOOR_AREA_M2 = 1_000_000
MB = 2**20

STATUS = ("gepubliceerd", "schatting", "voorbeeld", "synthetisch")
SIZE_CLASSES = ("1", "2", "3-4", "5+")
GRANULARITIES = ("maand", "kwartaal", "jaar")
SERIES = ("eerste_aanvragen", "nareizigers", "totaal")
QUALIFIERS = ("exact", "afgerond", "ongeveer", "minimaal", "voorlopig")

MUNICIPALITIES = Schema(
    "municipalities",
    (
        C("code", "code", description="CBS municipality code GMdddd"),
        C("name", description="municipality name"),
        C("province"),
        C("valid_from", "date", nullable=True, description="first day of existence (empty: before 2014)"),
        C("valid_to", "date", nullable=True, description="last day of existence (empty: still exists)"),
        C("lat", "float", nullable=True, min=50.7, max=53.6, description="representative point, WGS84"),
        C("lon", "float", nullable=True, min=3.3, max=7.3, description="representative point, WGS84"),
        C("area_km2", "float", nullable=True, min=0),
        C("point_status", nullable=True, allowed=STATUS),
    ),
    key=("code",),
)

POPULATION = Schema(
    "population",
    (
        C("code", "code", aliases=("gemeentecode", "gemeente_code", "statcode")),
        C("reference_date", "date", description="date the count refers to (1 January)", aliases=("peildatum", "datum")),
        C("population", "int", min=0, aliases=("inwoners", "bevolking")),
        C("source", aliases=("bron",)),
        C("status", allowed=STATUS),
        C("note", nullable=True, required=False, aliases=("toelichting", "opmerking")),
    ),
    key=("code", "reference_date"),
)

CODE_CHANGES = Schema(
    "code_changes",
    (
        C("date", "date", description="first day of the new division"),
        C("old_code", "code"),
        C("old_name"),
        C("new_code", "code"),
        C("new_name"),
        C("kind", allowed=("samenvoeging", "hernoeming", "opsplitsing")),
        C("source"),
        C("share", "float", required=False, nullable=True, min=0, max=1,
          description="part of the old municipality going to new_code (opsplitsing only; empty: all of it)"),
        C("status", required=False, nullable=True, allowed=STATUS),
        C("note", required=False, nullable=True),
    ),
    key=("date", "old_code", "new_code"),
)

REGIONS = Schema(
    "regions",
    (
        C("region"),
        C("composition", description="label of a dated composition, e.g. '2016'"),
        C("valid_from", "date", nullable=True),
        C("valid_to", "date", nullable=True),
        C("code", "code"),
        C("source"),
    ),
    key=("region", "composition", "code"),
)

INFLOW = Schema(
    "inflow",
    (
        C("period", description="'2018-01' (maand), '2018-Q1' (kwartaal) or '2018' (jaar)"),
        C("granularity", allowed=GRANULARITIES),
        C("series", allowed=SERIES),
        C("value", "int", min=0, description="persons"),
        C("qualifier", allowed=QUALIFIERS),
        C("source"),
        C("status", allowed=STATUS),
        C("note", nullable=True),
    ),
    key=("granularity", "period", "series"),
)

TAAKSTELLING = Schema(
    "taakstelling",
    (
        C("period", description="half year, e.g. '2019-I'"),
        C("target", "int", min=0, description="national target for the half year"),
        C("backlog_start", "int", nullable=True, min=0, description="backlog carried in"),
        C("target_incl_backlog", "int", nullable=True, min=0),
        C("housed", "int", nullable=True, min=0),
        C("balance_end", "int", nullable=True, description="lead (+) or backlog (-) at the end"),
        C("source"),
        C("first_announced", "int", nullable=True, min=0,
          description="target as first announced, when it was revised later"),
        C("first_announced_qualifier", nullable=True, allowed=QUALIFIERS),
        C("note", nullable=True),
    ),
    key=("period",),
)

RECEPTION_LOCATIONS = Schema(
    "reception_locations",
    (
        C("id"),
        C("name"),
        C("code", "code"),
        C("address", nullable=True),
        C("lat", "float", aliases=("latitude", "breedtegraad")),
        C("lon", "float", aliases=("lng", "longitude", "lengtegraad")),
        C("coord_status", allowed=STATUS),
        C("capacity", "int", min=0, max=MAX_PLACES, aliases=("capaciteit", "plaatsen")),
        C("occupancy", "int", nullable=True, min=0, max=MAX_PLACES, aliases=("bezetting",)),
        C("occupancy_date", "date", nullable=True),
        C("open_from", "date", nullable=True),
        C("open_to", "date", nullable=True),
        C("kind", allowed=("azc", "noodopvang", "pop", "gezinslocatie", "overig")),
        C("source"),
        C("status", allowed=STATUS),
        C("note", nullable=True),
    ),
    key=("id",),
)

STATE_BUILDINGS = Schema(
    "state_buildings",
    (
        C("id"),
        C("name"),
        C("code", "code"),
        C("address", nullable=True),
        C("lat", "float", aliases=("latitude",)),
        C("lon", "float", aliases=("lng", "longitude")),
        C("coord_status", allowed=STATUS),
        C("floor_area_m2", "float", nullable=True, min=0, max=MAX_FLOOR_AREA_M2, aliases=("vloeroppervlak", "bvo_m2")),
        C("available_from", "date", nullable=True),
        C("source"),
        C("status", allowed=STATUS),
        C("note", nullable=True),
    ),
    key=("id",),
)

HOUSING_STOCK = Schema(
    "housing_stock",
    (
        C("code", "code", aliases=("gemeentecode", "gemeente_code", "statcode")),
        C("size_class", allowed=SIZE_CLASSES, aliases=("grootteklasse", "klasse"),
          description="persons the dwelling suits: 1, 2, 3-4, 5+"),
        C("dwellings", "int", min=0, max=MAX_DWELLINGS, aliases=("woningen", "aantal")),
        C("reference_year", "int", required=False, nullable=True, min=1900, max=2100, aliases=("jaar",)),
        C("density_class", required=False, nullable=True),
        C("status", required=False, nullable=True, allowed=STATUS),
    ),
    key=("code", "size_class"),
    max_rows=100_000,
    max_bytes=20 * MB,
)

LETTINGS = Schema(
    "lettings",
    (
        C("area", description="CBS code, 'U16' or 'NL01'"),
        C("year", "int", min=1900),
        C("lettings", "int", nullable=True, min=0),
        C("stock", "int", nullable=True, min=0),
        C("lettings_permit_holders", "int", nullable=True, min=0),
        C("share_urgent", "float", nullable=True, min=0, max=1),
        C("source"),
        C("status", allowed=STATUS),
        C("note", nullable=True),
    ),
    key=("area", "year"),
)

BENEFIT_NORMS = Schema(
    "benefit_norms",
    (
        C("date", "date"),
        C("household_type", allowed=("alleenstaande", "alleenstaande_ouder", "gehuwden")),
        C("amount_eur_month", "float", min=0),
        C("basis"),
        C("source"),
        C("status", allowed=STATUS),
    ),
    key=("date", "household_type"),
)

# ---- national division tables (helper "national") -----------------------

MUNICIPAL_POINTS = Schema(
    "municipal_points",
    (
        C("division", allowed=("2016", "2024"), description="municipal division the polygon belongs to"),
        C("code", "code"),
        C("name"),
        C("lat", "float", min=50.7, max=53.6, description="representative point (inside the polygon), WGS84"),
        C("lon", "float", min=3.3, max=7.3),
        C("rd_x", "int", description="the same point in RD New (EPSG:28992), metres"),
        C("rd_y", "int"),
        C("area_km2", "float", min=0, description="land and water, from generalised polygons (1-3 % off)"),
        C("status", allowed=STATUS),
    ),
    key=("division", "code"),
)

PROVINCES = Schema(
    "provinces",
    (
        C("code", description="CBS province code PVdd"),
        C("name"),
    ),
    key=("code",),
)

# ---- user files ---------------------------------------------------------

COA_OCCUPANCY = Schema(
    "coa_occupancy",
    (
        C("location", aliases=("locatie", "naam", "name")),
        C("code", "code", aliases=("gemeentecode", "gemeente_code")),
        C("date", "date", aliases=("datum", "peildatum")),
        C("capacity", "int", min=0, max=MAX_PLACES, aliases=("capaciteit", "plaatsen")),
        C("occupancy", "int", min=0, max=MAX_PLACES, aliases=("bezetting", "bewoners")),
        C("permit_holders", "int", required=False, nullable=True, min=0, max=MAX_PLACES, aliases=("statushouders",)),
    ),
    key=("location", "date"),
    extra="drop",
    rules=(
        Rule(("occupancy", "capacity"), "occupancy at most capacity", lambda f: f["occupancy"] > f["capacity"]),
        Rule(("permit_holders", "occupancy"), "permit_holders at most occupancy",
             lambda f: f["permit_holders"].astype("Float64") > f["occupancy"]),
    ),
    max_rows=200_000,
    max_bytes=20 * MB,
)

CASELOAD = Schema(
    "caseload",
    (
        C("household_id", aliases=("huishouden_id", "id")),
        C("code", "code", required=False, nullable=True, aliases=("gemeentecode",)),
        C("nationality_group", aliases=("nationaliteit", "nationality")),
        C("referent_age", "int", min=0, max=120, aliases=("leeftijd",)),
        C("referent_sex", allowed=("m", "v", "x"), aliases=("geslacht",)),
        C("partner_present", "bool", aliases=("partner",)),
        C("children_present", "int", min=0, max=MAX_HOUSEHOLD - 1, aliases=("kinderen",)),
        C("family_abroad", "int", min=0, max=MAX_HOUSEHOLD - 1, aliases=("gezinsleden_buitenland",)),
        C("months_since_permit", "int", min=0, max=600, aliases=("maanden_sinds_vergunning",)),
        C("final_size", "int", required=False, nullable=True, min=1, max=MAX_HOUSEHOLD, aliases=("eindgrootte",)),
        # optional placement needs (toolkit.matching: preferences with PREFERENCE_WEIGHTS; accessible is hard)
        C("work_code", "code", required=False, nullable=True, aliases=("gemeente_werk",),
          description="municipality of a job offer or study place"),
        C("family_code", "code", required=False, nullable=True, aliases=("gemeente_familie",),
          description="municipality where family already lives"),
        C("needs_accessible", "bool", required=False, nullable=True, aliases=("toegankelijke_woning",),
          description="needs an accessible dwelling (a hard need)"),
        C("school_children", "int", required=False, nullable=True, min=0, max=MAX_HOUSEHOLD - 1,
          aliases=("schoolgaande_kinderen",), description="children of school age (now and expected)"),
    ),
    key=("household_id",),
    rules=(
        Rule(("school_children", "children_present", "family_abroad"),
             "school_children at most children_present + family_abroad",
             lambda f: f["school_children"].fillna(0) > f["children_present"] + f["family_abroad"]),
        Rule(("partner_present", "children_present"), f"a household of at most {MAX_HOUSEHOLD} persons "
             "(1 + partner_present + children_present)",
             lambda f: 1 + f["partner_present"].astype(bool).astype(int) + f["children_present"] > MAX_HOUSEHOLD),
        Rule(("partner_present", "children_present", "family_abroad"),
             f"a final household of at most {MAX_HOUSEHOLD} persons "
             "(1 + partner_present + children_present + family_abroad, when final_size is empty)",
             lambda f: (f["final_size"].isna() if "final_size" in f.columns else True)
             & (1 + f["partner_present"].astype(bool).astype(int) + f["children_present"] + f["family_abroad"]
                > MAX_HOUSEHOLD)),
    ),
    max_rows=200_000,
    max_bytes=20 * MB,
)

# ---- national series 2024-2026 (forecast helper) ------------------------

#: Qualifiers of the newer series; ``maximaal`` is "bijna" / "een krappe".
SERIES_QUALIFIERS = ("exact", "afgerond", "ongeveer", "minimaal", "maximaal", "voorlopig")

GRANT_RATES = Schema(
    "grant_rates",
    (
        C("period", description="'2022' (jaar) or '2025-Q1' (kwartaal)"),
        C("granularity", allowed=("kwartaal", "jaar")),
        C("procedure", description="which decisions the rate covers"),
        C("grant_rate_pct", "float", min=0, max=100, description="share of decisions that grant a permit, in %"),
        C("qualifier", allowed=SERIES_QUALIFIERS),
        C("published_as", description="the figure as published, with its qualifier"),
        C("source"),
        C("published", "date", description="date of the publication cited (the figure may have been public earlier); "
                                            "the backtest uses a rate only from this date on"),
        C("note", nullable=True),
    ),
    key=("period", "procedure"),
)

RECEPTION_STOCKS = Schema(
    "reception_stocks",
    (
        C("indicator", allowed=(
            "statushouders_azc_wachtend_op_woning", "wachtend_op_eerste_asielbeslissing_ind",
            "nareizigers_wachtend_ind", "coa_personen_met_recht_op_opvang",
            "coa_benodigde_opvangplekken_prognose")),
        C("reference", description="reference date 'YYYY-MM-DD', or a year when no date was published"),
        C("value", "int", min=0),
        C("unit", allowed=("personen", "plekken")),
        C("qualifier", allowed=SERIES_QUALIFIERS),
        C("published_as"),
        C("source"),
        C("note", nullable=True),
    ),
    key=("indicator", "reference"),
)

MPP = Schema(
    "mpp",
    (
        C("publication", description="which MPP (Meerjaren Productie Prognose)"),
        C("year", "int", min=2000, description="the forecast year"),
        C("low", "int", min=0, description="lower end of the range (persons)"),
        C("high", "int", min=0, description="upper end (equal to low for a point forecast)"),
        C("definition", description="what the inflow covers"),
        C("source"),
        C("note", nullable=True),
    ),
    key=("publication", "year"),
)

SPREIDINGSWET = Schema(
    "spreidingswet",
    (
        C("level", allowed=("land", "provincie", "gemeente")),
        C("area"),
        C("code", nullable=True, description="CBS code GMdddd for a municipality (plain text: any of the 342)"),
        C("indicator", allowed=("opgave", "gevonden")),
        C("places", "int", min=0, description="reception places"),
        C("qualifier", allowed=SERIES_QUALIFIERS),
        C("published_as"),
        C("source"),
        C("note", nullable=True),
    ),
    key=("level", "area", "indicator"),
)

POLICY_CHANGES = Schema(
    "policy_changes",
    (
        C("date", description="date as found: 'YYYY-MM-DD', 'YYYY-MM' or a span like '2024-07 / 2025'"),
        C("topic"),
        C("event"),
        C("legal_status", description="status last found (February 2026): proposal, passed, in force"),
        C("source"),
    ),
    key=("date", "topic"),
)


# ---- user files for the national data layer (helper "national") ---------

REGION_FILE = Schema(
    "region_file",
    (
        C("code", "code", aliases=("gemeentecode", "gemeente_code", "gm_code", "statcode", "cbs_code")),
        C("region", required=False, nullable=True, aliases=("regio", "regionaam", "naam_regio"),
          description="the region's name (one value for the whole file)"),
    ),
    key=("code",),
    extra="drop",
)

CIRCULAIRE = Schema(
    "circulaire",
    (
        C("gemeente", aliases=("gemeentenaam", "naam", "name", "municipality")),
        C("code", "code", required=False, nullable=True, aliases=("gemeentecode", "gemeente_code", "cbs_code", "gm_code")),
        C("inwoners", "int", min=0, aliases=("inwonertal", "population", "bevolking")),
        C("taakstelling", "int", min=0, aliases=("target", "taakstelling_personen", "aantal")),
    ),
    key=("gemeente",),
    extra="drop",
    description="the ministry's half-yearly circulaire: one row per municipality",
)

VACANT_BUILDINGS = Schema(
    "vacant_buildings",
    (
        C("name", aliases=("naam", "gebouw", "object")),
        C("code", "code", aliases=("gemeentecode", "gemeente_code")),
        C("address", required=False, nullable=True, aliases=("adres",)),
        C("lat", "float", min=50.7, max=53.6, aliases=("latitude", "breedtegraad")),
        C("lon", "float", min=3.3, max=7.3, aliases=("lng", "longitude", "lengtegraad")),
        C("floor_area_m2", "float", required=False, nullable=True, min=0, aliases=("vloeroppervlak", "bvo_m2", "oppervlakte_m2")),
        C("available_from", "date", required=False, nullable=True, aliases=("beschikbaar_vanaf",)),
        C("owner", required=False, nullable=True, aliases=("eigenaar",)),
    ),
    key=("name", "code"),
    extra="drop",
    description="a list of vacant buildings the analyst brings (state, municipal or corporation property)",
)

