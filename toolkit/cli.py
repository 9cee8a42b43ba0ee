"""Command line: ``doorlopende-lijn``.

Subcommands register themselves in ``COMMANDS``; every user error
(:class:`~toolkit.ValidationError`) becomes one readable line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

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
