"""Dutch labels for the scenario's codes, one table for every output (report, tables, dashboard, CLI)."""

from __future__ import annotations

#: The scopes of a matching, as a council reads them.
SCOPE_LABELS = {"solo": "elke gemeente alleen", "U10": "samen als U10", "U16": "samen als U16",
                "eigen selectie": "eigen selectie"}

#: Where the national half-year target came from (``Result.national["basis"]``).
BASIS_LABELS = {"gepubliceerd": "gepubliceerde taakstelling",
                "gepubliceerd x scenario": "gepubliceerde taakstelling, geschaald naar het instroomscenario",
                "doorgetrokken": "laatste gepubliceerde taakstelling doorgetrokken",
                "doorgetrokken x scenario": "laatste gepubliceerde taakstelling doorgetrokken, geschaald naar het "
                                            "instroomscenario",
                "keten": "keten: instroom x inwilligingspercentage + nareizigers",
                "keten x scenario": "keten: instroom x inwilligingspercentage + nareizigers, geschaald naar het "
                                    "instroomscenario",
                "combinatie": "gemiddelde van keten en doorgetrokken taakstelling",
                "combinatie x scenario": "gemiddelde van keten en doorgetrokken taakstelling, geschaald naar het "
                                         "instroomscenario",
                "opgegeven": "opgegeven"}


def scope_key(scope):
    """The key of a scope in tables: its name, or ``"eigen selectie"`` for a list of codes.

    >>> scope_key("U10"), scope_key(("GM0344", "GM0356"))
    ('U10', 'eigen selectie')
    """
    return scope if isinstance(scope, str) else "eigen selectie"


def scope_label(scope):
    """The Dutch label of a scope (a name, a list of codes, or a label already).

    >>> scope_label("solo"), scope_label(["GM0344"]), scope_label("GM0344")
    ('elke gemeente alleen', 'eigen selectie', 'GM0344')
    """
    key = scope_key(scope)
    return SCOPE_LABELS.get(key, key)
