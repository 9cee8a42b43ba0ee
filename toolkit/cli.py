"""Command line: ``doorlopende-lijn``.

Subcommands register themselves in ``COMMANDS``; every user error
(:class:`~toolkit.ValidationError`) becomes one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

from ._errors import ValidationError

COMMANDS = {}


def command(name, help):
    """Register ``func(args)`` as a subcommand; ``func.configure(parser)`` adds options."""

    def wrap(func):
        COMMANDS[name] = (func, help)
        return func

    return wrap


def _configure_info(p):
    p.add_argument("--regio", default="U16",
                   help="U10, U16, NL, a province (PV26), comma-separated CBS codes or a region file .csv/.xlsx (default U16)")
    p.add_argument("--jaar", type=int, default=2016, help="municipal division of this year (default 2016)")


@command("info", "summary of the shipped data: region, municipalities, series, sources")
def cmd_info(args):
    from .summary import data_summary

    print(data_summary(region=_parse_region(args.regio), year=args.jaar))
    return 0


cmd_info.configure = _configure_info


def _parse_region(text):
    if text.strip().lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):  # a region file: validated here, at the boundary
        from .io import read_region_file

        return read_region_file(text.strip())["code"].tolist()
    return [c.strip() for c in text.split(",")] if "," in text else text


def _configure_grenzen(p):
    _configure_info(p)
    p.add_argument("--bestand", default=None, help="own GeoJSON/GeoPackage/Shapefile instead of PDOK")
    p.add_argument("--offline", action="store_true", help="never download; use the cache or the schematic map")
    p.add_argument("--uit", default="out/grenzen.geojson", help="output GeoJSON (default out/grenzen.geojson)")


@command("grenzen", "municipal boundaries (own file, PDOK with cache, or a schematic map) as GeoJSON")
def cmd_grenzen(args):
    from pathlib import Path

    from ._files import atomic_path
    from .boundaries import load_boundaries

    gdf = load_boundaries(args.jaar, path=args.bestand, region=_parse_region(args.regio), offline=args.offline)
    with atomic_path(args.uit) as tmp:
        gdf.to_file(tmp, driver="GeoJSON")
    out = Path(args.uit)
    print(f"{len(gdf)} gemeenten -> {out} (bron: {gdf.attrs['source']}; status: {gdf.attrs['status']})")
    return 0


cmd_grenzen.configure = _configure_grenzen


def _configure_controleer(p):
    p.add_argument("soort", choices=["woningvoorraad", "coa", "caseload"], help="kind of file")
    p.add_argument("bestand", help="CSV or xlsx file")
    p.add_argument("--blad", default=None, help="Excel sheet name (default: the first sheet)")
    p.add_argument("--regio", default=None,
                   help="woningvoorraad: every municipality of this region (U10, U16, codes) must have rows")
    p.add_argument("--jaar", type=int, default=None,
                   help="woningvoorraad: municipal division of this year (default: the file's reference_year)")


@command("controleer", "check an analyst's CSV/xlsx file against its schema")
def cmd_controleer(args):
    from pathlib import Path

    from . import io

    if args.soort == "woningvoorraad":
        region = _parse_region(args.regio) if args.regio else None
        df = io.read_housing_stock(args.bestand, sheet=args.blad, region=region, year=args.jaar)
    elif args.regio or args.jaar:
        raise ValidationError(f"--regio/--jaar: only for woningvoorraad, not for {args.soort}")
    else:
        reader = {"coa": io.read_coa_occupancy, "caseload": io.read_caseload}[args.soort]
        df = reader(args.bestand, sheet=args.blad)
    print(f"{Path(args.bestand).name}: {len(df)} rijen in orde; kolommen {', '.join(df.columns)}")
    return 0


cmd_controleer.configure = _configure_controleer


def _configure_prognose(p):
    p.add_argument("--reeks", choices=["eerste_aanvragen", "nareizigers"], default="eerste_aanvragen")
    p.add_argument("--horizon", type=int, default=4, help="quarters ahead (default 4)")
    p.add_argument("--backtest", action="store_true", help="also print the backtest metrics per horizon")


@command("prognose", "quarterly inflow forecast with baselines (and backtest metrics)")
def cmd_prognose(args):
    import pandas as pd

    from . import forecast

    q = forecast.quarterly_series(args.reeks)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        fc = forecast.forecast(q, horizon=args.horizon)
        print(fc.drop(columns="period_start").round(0).to_string(index=False))
        if args.backtest:
            print()
            print(forecast.backtest_metrics(forecast.backtest(q)).round(2).to_string(index=False))
    return 0


cmd_prognose.configure = _configure_prognose


# ---- data: what is shipped, refreshing from CBS, importing own files (helper "national") ----


def _configure_data(p):
    sub = p.add_subparsers(dest="actie", metavar="ACTIE")
    ref = sub.add_parser("bijwerken", help="fetch population, corporation stock and regions from CBS StatLine",
                         description="Fetch population (03759NED), corporation dwellings (82900NED) and COROP/woningmarktregio "
                                     "(Gebieden in Nederland) into the user data folder; nothing changes when it fails.")
    ref.add_argument("--jaar", type=int, default=None, help="population on 1 January of this year (default: the latest CBS has)")
    ref.add_argument("--timeout", type=float, default=60, help="seconds per request (default 60)")
    imp = sub.add_parser("importeren", help="add an own CSV/xlsx as rows of a table (validated like the shipped one)")
    imp.add_argument("tabel", help="population, housing_stock, housing_stock_2024, regions or taakstelling")
    imp.add_argument("bestand", help="CSV or xlsx file")
    imp.add_argument("--blad", default=None, help="Excel sheet name (default: the first sheet)")


@command("data", "what data are shipped and refreshed; 'data bijwerken' fetches CBS tables, 'data importeren' adds a file")
def cmd_data(args):
    import pandas as pd

    from . import cbs

    if args.actie == "bijwerken":
        try:
            written = cbs.refresh(args.jaar, timeout=args.timeout, base_url=cbs.STATLINE_URL)
        except cbs.RefreshError as exc:
            raise ValidationError(f"bijwerken mislukt, er is niets gewijzigd: {exc}") from None
        for r in written.itertuples():
            print(f"{r.name}: {r.rows} rijen ({r.reference}) -> {r.file}")
        for note in written.attrs.get("notes", []):
            print(f"let op: {note}")
        return 0
    if args.actie == "importeren":
        written = cbs.import_file(args.tabel, args.bestand, sheet=args.blad)
        for r in written.itertuples():
            print(f"{r.name}: {r.rows} rijen -> {r.file}")
        return 0
    listing = cbs.data_listing()
    listing["source"] = [t if len(t) <= 70 else t[:67] + "..." for t in listing["source"]]
    shipped = listing[listing["origin"] == "meegeleverd"]
    refreshed = listing[listing["origin"] == "bijgewerkt"]
    with pd.option_context("display.width", 250, "display.max_columns", 10):
        print("Meegeleverd (in het pakket):")
        print(shipped[["name", "status", "reference", "rows", "source"]].to_string(index=False))
        print()
        if refreshed.empty:
            print(f"Bijgewerkt: niets in {listing.attrs['folder']} "
                  "(`doorlopende-lijn data bijwerken` haalt CBS-tabellen op; `data importeren` voegt een eigen bestand toe).")
        else:
            print(f"Bijgewerkt (in {listing.attrs['folder']}; deze rijen gaan voor de meegeleverde met dezelfde sleutel):")
            print(refreshed[["name", "status", "reference", "retrieved", "rows", "source"]].to_string(index=False))
    return 0


cmd_data.configure = _configure_data


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one readable line, without the source line."""
    print(f"waarschuwing: {message}", file=file or sys.stderr)


def _configure_demo(p):
    _configure_info(p)
    p.add_argument("--out", default="out", help="output folder (default out/)")
    p.add_argument("--datum", default=None, help="date printed on maps and report, e.g. 2016-10-04 (default today)")
    p.add_argument("--grenzen", default=None, help="GeoJSON/GeoPackage/Shapefile of CBS municipalities (real polygons)")
    p.add_argument("--periode", default=None,
                   help="half year of the national target (default: 2017-I for 2016, else the last published half year of --jaar)")
    p.add_argument("--trekkingen", type=int, default=None,
                   help="draws of households and supply for the range of what pooling gains (default 5)")
    _add_opvang(p)
    _add_preset(p)


def _add_opvang(p):
    p.add_argument("--opvang", default=None,
                   help="COA occupancy list CSV/xlsx for the reception layer (default: shipped locations)")


def _add_preset(p):
    """``--preset``: region, year and half year of a named preset, instead of --regio/--jaar/--periode."""
    p.add_argument("--preset", default=None,
                   help="collegedag (U16, division 2016, 2017-I) or vandaag (U16 in the 2024-2026 division, the latest "
                        "population and published target); instead of --regio/--jaar/--periode")
    p.set_defaults(regio=None, jaar=None, periode=None)  # filled in by _apply_preset


def _apply_preset(args, default_period):
    """Fill --regio/--jaar/--periode from --preset, else their defaults (U16, 2016, ``default_period(year)``)."""
    if args.preset:
        given = [f"--{k}" for k in ("regio", "jaar", "periode") if getattr(args, k) is not None]
        if given:
            raise ValidationError(f"--preset {args.preset}: sets the region, year and half year itself; leave out {', '.join(given)}")
        from .regions import preset

        chosen = preset(args.preset)
        args.regio, args.jaar, args.periode = chosen["region"], chosen["year"], chosen["period"]
    args.regio = "U16" if args.regio is None else args.regio
    args.jaar = 2016 if args.jaar is None else args.jaar
    if args.periode is None:
        args.periode = default_period(args.jaar)


def _last_published(year):
    """The last published half year of ``year`` (None: the forecast for the next one)."""
    from .data import load_taakstelling

    published = [p for p in load_taakstelling()["period"].astype(str) if p.startswith(f"{year}-")]
    return published[-1] if published else None


def _default_period(year):
    """2017-I for the collegedag year 2016; else the last published half year of ``year`` (None: the forecast)."""
    return "2017-I" if int(year) == 2016 else _last_published(year)


def _opvang(path, year):
    """Reception locations from a COA occupancy list (``--opvang``), or None for the shipped ones."""
    if not path:
        return None
    from . import io
    from .data import locations_from_occupancy

    return locations_from_occupancy(io.read_coa_occupancy(path), year)


@command("demo", "the default collegedag scenario end to end: maps, report and tables in --out")
def cmd_demo(args):
    import pandas as pd

    from .demo import DRAWS, run_demo
    from ._format import nl_number
    from .scenario import Settings

    date = None
    if args.datum:
        try:
            date = pd.Timestamp(args.datum)
        except ValueError:
            raise ValidationError(f"--datum: expected a date like 2016-10-04, found {args.datum!r}") from None
    _apply_preset(args, _default_period)
    region = _region_setting(_parse_region(args.regio))
    draws = DRAWS if args.trekkingen is None else args.trekkingen
    if draws < 1:
        raise ValidationError(f"--trekkingen: expected a whole number of at least 1, found {draws}")
    locations = _opvang(args.opvang, args.jaar)  # read and checked before anything is written
    res = run_demo(args.out, settings=Settings(region=region, year=args.jaar, scope=region, period=args.periode), date=date,
                   boundaries_path=args.grenzen, draws=draws, locations=locations)
    h = res["headline"]
    print()
    print(f"Geschreven in {args.out}/ ({len(res['files'])} bestanden):")
    for f in res["files"]:
        print(f"  {f}")
    print()
    print(f"Halfjaar {h['period']}: taakstelling regio {nl_number(h['region_persons'])} personen in "
          f"{nl_number(h['households'])} huishoudens; gehuisvest {nl_number(h['households_housed'])} "
          f"({nl_number(h['pct_target'] / 100, 1, percent=True)} van de taakstelling), wachtend "
          f"{nl_number(h['households_waiting'])}.")
    print(f"{res['pooling']['heading']}. {res['pooling']['conclusion']}")
    return 0


cmd_demo.configure = _configure_demo


def _configure_kaart(p):
    _configure_info(p)
    p.add_argument("--out", default="out/raad", help="output folder (default out/raad)")
    p.add_argument("--datum", default=None, help="scenario date printed on the maps, e.g. 2016-10-04 (default none)")
    p.add_argument("--pdf", action="store_true", help="also write PDF images")
    p.add_argument("--grenzen", default=None, help="GeoJSON/GeoPackage/Shapefile of CBS municipalities (real polygons)")
    p.add_argument("--peildatum", default=None, help="show only reception locations open on this date")
    p.add_argument("--periode", default=None,
                   help="half year of the national target shown (default: the last published half year of --jaar)")
    p.add_argument("--schaal", default=None,
                   help="scope of the matching layer, e.g. solo, U16 or CBS codes (default: as the matching command)")
    _add_opvang(p)
    _add_preset(p)


@command("kaart", "council maps of a region: overview (targets and matching) and capacity, self-contained HTML and PNG")
def cmd_kaart(args):
    from ._files import staged_folder, terminate_cleanly
    from .boundaries import load_boundaries
    from .export import write_council_export
    from .scenario import Settings, run, scopes_for

    _apply_preset(args, _last_published)
    region = _region_setting(_parse_region(args.regio))
    scope = _region_setting(_parse_region(args.schaal) if args.schaal else scopes_for(region, args.jaar)[-1])
    locations = _opvang(args.opvang, args.jaar)
    result = run(Settings(region=region, year=args.jaar, period=args.periode, scopes=tuple(dict.fromkeys(("solo", scope))),
                          scope=scope))
    codes = list(result.targets["code"])
    polygons = load_boundaries(args.jaar, path=args.grenzen, region=codes, offline=True) if args.grenzen else None
    label = region if isinstance(region, str) else "-".join(region) if len(region) <= 4 else f"{len(region)} gemeenten"
    prefix = re.sub(r"[^a-z0-9]+", "-", str(label).lower()).strip("-") + f"_{args.jaar}_"
    with terminate_cleanly(), staged_folder(args.out) as stage:  # all files or none
        paths = write_council_export(result, stage, boundaries=polygons, date=args.datum, prefix=prefix, capacity=True,
                                     pdf=args.pdf, locations=locations, reference_date=args.peildatum)
        paths = [Path(args.out) / p.relative_to(stage) for p in paths]
    for p in paths:
        print(p)
    return 0


cmd_kaart.configure = _configure_kaart


def _configure_matching(p):
    p.add_argument("--periode", default=None,
                   help="half year of the national target (default: 2017-I for 2016, else the last published half year of --jaar)")
    p.add_argument("--jaar", type=int, default=None, help="municipal division and population year (default 2016)")
    p.add_argument("--regio", default=None, help="municipalities taking part (default U16)")
    p.add_argument("--schalen", default=None,
                   help="scopes to compare, separated by ';' (default: solo, and U10 and U16 when they lie in the region)")
    p.add_argument("--huishoudens", default=None, help="caseload CSV/xlsx, every household matched (default: synthetic)")
    p.add_argument("--woningvoorraad", default=None, help="housing stock CSV/xlsx (default: shipped estimate)")
    p.add_argument("--aandeel", type=float, default=None, help="share of lettings to permit holders (default 2022: 0.068)")
    p.add_argument("--delen", type=int, default=1,
                   help="max adults sharing a dwelling; 2 or more lets every single adult share (default 1: nobody shares)")
    p.add_argument("--reserve", type=float, default=0.0, help="share of dwellings kept free (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--uit", default=None, help="also write the comparison table to this CSV file")
    _add_preset(p)


def _region_setting(region):
    return region if isinstance(region, str) else tuple(region)


def _matching_settings(args):
    """The :class:`~toolkit.scenario.Settings` of a ``matching`` command line (user files read and validated here)."""
    from . import io
    from .scenario import Settings, scopes_for

    if args.delen < 1:
        raise ValidationError(f"--delen: expected a whole number of at least 1, found {args.delen}")
    _apply_preset(args, _default_period)
    region = _region_setting(_parse_region(args.regio))
    scopes = None
    if args.schalen:
        scopes = tuple(_region_setting(_parse_region(s.strip())) for s in args.schalen.split(";") if s.strip())
    last = scopes[-1] if scopes else scopes_for(region, args.jaar)[-1]
    sharing = {"share_singles_sharing": 1.0, "max_adults_sharing": args.delen} if args.delen >= 2 else {}
    return Settings(region=region, year=args.jaar, period=args.periode, scopes=scopes, scope=_region_setting(last),
                    reserve=args.reserve, share_permit_holders=args.aandeel, seed=args.seed,
                    caseload=io.read_caseload(args.huishoudens) if args.huishoudens else None,
                    housing_stock=(io.read_housing_stock(args.woningvoorraad, region=region, year=args.jaar)
                                   if args.woningvoorraad else None),
                    **sharing)


@command("matching", "match households to municipalities by dwelling size: solo vs U10 vs U16")
def cmd_matching(args):
    import pandas as pd

    from ._files import atomic_write
    from .scenario import run

    result = run(_matching_settings(args))
    table = result.comparison
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.round(1).to_string(index=False))
    if args.uit:
        print(f"tabel -> {atomic_write(args.uit, table.to_csv(index=False))}")
    supply, hh = result.supply.attrs, result.households.attrs
    print(f"woningaanbod: {supply['status']} ({supply['derivation']}); huishoudens: {hh.get('status') or 'eigen bestand'}")
    return 0


cmd_matching.configure = _configure_matching


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (exit status 2), like every other user error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser():
    parser = _Parser(
        prog="doorlopende-lijn",
        description="Doorlopende Lijn: housing and integrating permit holders, from AZC to a home in the region.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, help) in COMMANDS.items():
        p = sub.add_parser(name, help=help, description=help)
        if hasattr(func, "configure"):
            func.configure(p)
        p.set_defaults(func=func)
    return parser


DATE_OPTIONS = ("datum", "peildatum")
"""Options holding a date: read day-first (04-10-2016 is 4 October) or ISO, checked in :func:`main`."""


def _os_message(exc):
    """An OSError as a plain line: the file, what went wrong, and what to do."""
    import errno

    where = exc.filename or "a file"
    if exc.filename2:
        where = f"{exc.filename} -> {exc.filename2}"
    if exc.errno == errno.ENOSPC:
        return f"{where}: the disk is full (no space left on device); free space or choose another output folder (--out)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: permission denied; choose a folder you can write to (--out) or check the file's permissions"
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return f"{where}: a file is in the way where a folder is needed; choose another output path"
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {where}"
    if isinstance(exc, IsADirectoryError):
        return f"{where}: is a folder, expected a file"
    return f"{where}: {exc.strerror or exc}"


def main(argv=None):
    """Entry point of the console script.

    Every user error is one line on stderr and exit status 2: a
    :class:`~toolkit.ValidationError` (bad file, row, column or option), an
    invalid date in ``--datum``/``--peildatum``, a file that cannot be read or
    written (permission denied, disk full). Ctrl-C prints one line and exits
    with status 130. No traceback in any of these cases.
    """
    from ._validate import parse_date

    prog = "doorlopende-lijn"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        prog = f"doorlopende-lijn {args.command}"
        for name in DATE_OPTIONS:
            value = getattr(args, name, None)
            if value:
                setattr(args, name, parse_date(value, f"--{name}").date().isoformat())
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            status = args.func(args) or 0
        if status == 0 and args.command != "data":
            from ._tables import data_origin

            print(data_origin())
        return status
    except ValidationError as exc:
        msg = " ".join(str(exc).split())
        print(f"{prog}: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: {' '.join(_os_message(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted (Ctrl-C); stopped before finishing", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
