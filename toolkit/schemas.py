"""Table layouts (schemas) of the shipped data and of user files.

Each schema documents its columns; ``SCHEMA.doc()`` shows them as a table.
"""

from ._validate import Column as C
from ._validate import Schema

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
        C("code", "code"),
        C("reference_date", "date", description="date the count refers to (1 January)"),
        C("population", "int", min=0, aliases=("inwoners", "bevolking")),
        C("source"),
        C("status", allowed=STATUS),
        C("note", nullable=True),
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
        C("kind", allowed=("samenvoeging", "hernoeming")),
        C("source"),
    ),
    key=("date", "old_code"),
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
        C("capacity", "int", min=0, aliases=("capaciteit", "plaatsen")),
        C("occupancy", "int", nullable=True, min=0, aliases=("bezetting",)),
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
        C("floor_area_m2", "float", nullable=True, min=0, aliases=("vloeroppervlak", "bvo_m2")),
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
        C("dwellings", "int", min=0, aliases=("woningen", "aantal")),
        C("reference_year", "int", required=False, nullable=True, min=1900, aliases=("jaar",)),
        C("density_class", required=False, nullable=True),
        C("status", required=False, nullable=True, allowed=STATUS),
    ),
    key=("code", "size_class"),
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

# ---- user files ---------------------------------------------------------

COA_OCCUPANCY = Schema(
    "coa_occupancy",
    (
        C("location", aliases=("locatie", "naam", "name")),
        C("code", "code", aliases=("gemeentecode", "gemeente_code")),
        C("date", "date", aliases=("datum", "peildatum")),
        C("capacity", "int", min=0, aliases=("capaciteit", "plaatsen")),
        C("occupancy", "int", min=0, aliases=("bezetting", "bewoners")),
        C("permit_holders", "int", required=False, nullable=True, min=0, aliases=("statushouders",)),
    ),
    key=("location", "date"),
    extra="drop",
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
        C("children_present", "int", min=0, aliases=("kinderen",)),
        C("family_abroad", "int", min=0, aliases=("gezinsleden_buitenland",)),
        C("months_since_permit", "int", min=0, aliases=("maanden_sinds_vergunning",)),
        C("final_size", "int", required=False, nullable=True, min=1, aliases=("eindgrootte",)),
    ),
    key=("household_id",),
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
