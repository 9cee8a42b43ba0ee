"""Command line: ``doorlopende-lijn``.

Subcommands register themselves in ``COMMANDS``; every user error
(:class:`~toolkit.ValidationError`) becomes one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from ._errors import ValidationError

COMMANDS = {}


def command(name, help):
    """Register ``func(args)`` as a subcommand; ``func.configure(parser)`` adds options."""

    def wrap(func):
        COMMANDS[name] = (func, help)
        return func

    return wrap


def _configure_info(p):
    p.add_argument("--regio", default="U16", help="U10, U16, alle, or comma-separated CBS codes (default U16)")
    p.add_argument("--jaar", type=int, default=2016, help="municipal division of this year (default 2016)")


@command("info", "summary of the shipped data: region, municipalities, series, sources")
def cmd_info(args):
    from .summary import data_summary

    print(data_summary(region=_parse_region(args.regio), year=args.jaar))
    return 0


cmd_info.configure = _configure_info


def _parse_region(text):
    return [c.strip() for c in text.split(",")] if "," in text else text


def _configure_grenzen(p):
    _configure_info(p)
    p.add_argument("--bestand", default=None, help="own GeoJSON/GeoPackage/Shapefile instead of PDOK")
    p.add_argument("--offline", action="store_true", help="never download; use the cache or the schematic map")
    p.add_argument("--uit", default="out/grenzen.geojson", help="output GeoJSON (default out/grenzen.geojson)")


@command("grenzen", "municipal boundaries (own file, PDOK with cache, or a schematic map) as GeoJSON")
def cmd_grenzen(args):
    from pathlib import Path

    from .boundaries import load_boundaries

    gdf = load_boundaries(args.jaar, path=args.bestand, region=_parse_region(args.regio), offline=args.offline)
    out = Path(args.uit)
    out.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(out, driver="GeoJSON")
    print(f"{len(gdf)} gemeenten -> {out} (bron: {gdf.attrs['source']}; status: {gdf.attrs['status']})")
    return 0


cmd_grenzen.configure = _configure_grenzen


def _configure_controleer(p):
    p.add_argument("soort", choices=["woningvoorraad", "coa", "caseload"], help="kind of file")
    p.add_argument("bestand", help="CSV or xlsx file")
    p.add_argument("--blad", default=None, help="Excel sheet name (default: the first sheet)")


@command("controleer", "check an analyst's CSV/xlsx file against its schema")
def cmd_controleer(args):
    from pathlib import Path

    from . import io

    reader = {"woningvoorraad": io.read_housing_stock, "coa": io.read_coa_occupancy, "caseload": io.read_caseload}[args.soort]
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


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one readable line, without the source line."""
    print(f"waarschuwing: {message}", file=file or sys.stderr)


def build_parser():
    parser = argparse.ArgumentParser(
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


def main(argv=None):
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return args.func(args) or 0
    except ValidationError as exc:
        msg = " ".join(str(exc).split())
        print(f"doorlopende-lijn {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"doorlopende-lijn {args.command}: error: file not found: {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
