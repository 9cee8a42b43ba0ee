"""CBS municipality codes: normalisation and harmonisation across divisions.

The code changes (``geodata/code_changes.csv``) cover every merger from the
2016 division to the 2024-2026 division. Three municipalities were split over
several successors (Littenseradiel 2018, Winsum 2019, Haaren 2021); their rows
carry an area share (``share``, status ``schatting``). :func:`code_map` maps
such a code to its main successor (largest share); :func:`harmonise` spreads
summed values over all successors by those shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._tables import load_table
from ._validate import normalise_code, normalise_codes

__all__ = ["normalise_code", "code_map", "harmonise"]


def _changes():
    return load_table("code_changes")


def _main_successors(changes):
    """One row per (date, old_code): the successor with the largest share."""
    share = changes["share"].fillna(1.0) if "share" in changes else pd.Series(1.0, index=changes.index)
    order = changes.assign(_share=share).sort_values(["date", "old_code", "_share"], ascending=[True, True, False])
    return order.drop_duplicates(["date", "old_code"]).drop(columns="_share")


def code_map(year):
    """Return ``{old_code: new_code}`` for every change effective by 1 January of ``year``.

    Chains are followed (A -> B -> C gives A -> C). A municipality split over
    several successors maps to the one that received the largest part.

    >>> code_map(2024)["GM0620"], code_map(2024)["GM0788"]
    ('GM1961', 'GM0865')
    """
    changes = _changes()
    changes = _main_successors(changes[changes["date"] <= pd.Timestamp(year=int(year), month=1, day=1)])
    mapping = dict(zip(changes["old_code"], changes["new_code"]))
    for old in list(mapping):
        seen = {old}
        while mapping[old] in mapping and mapping[old] not in seen:
            seen.add(mapping[old])
            mapping[old] = mapping[mapping[old]]
    return mapping


def harmonise(df, year, *, code_col="code", value_cols=None, by=None, agg="sum"):
    """Bring a table to the municipal division of 1 January ``year``.

    Rows whose code was merged away by then get the new code, and rows that
    now share a code (and the same values in the other non-value columns) are
    aggregated with ``agg``. With ``agg="sum"`` a municipality that was split
    is spread over its successors by the shipped area shares (an estimate:
    whole numbers stay whole and add up to the original value); with other
    aggregations it goes to its main successor. Splitting a merged municipality back into its
    parts (a 2024 table to the 2016 division) needs weights the toolkit does
    not have, so codes that only exist after ``year`` raise an error.

    Parameters
    ----------
    df : pandas.DataFrame
        Table with a column of CBS codes.
    year : int
        Target division.
    code_col : str
        Column with the codes.
    value_cols : list of str, optional
        Numeric columns to aggregate; default all numeric columns.
    by : list of str, optional
        Further key columns (e.g. a period) that rows must share to merge.
    agg : str
        Aggregation for ``value_cols`` (``"sum"`` for counts).

    Returns
    -------
    pandas.DataFrame
        A new frame; the input is not modified. A column ``harmonised_from``
        lists the original codes of merged rows.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"code": ["GM0620", "GM0545", "GM0344"], "n": [1, 2, 3]})
    >>> harmonise(t, 2019)[["code", "n"]].to_dict("list")
    {'code': ['GM0344', 'GM1961'], 'n': [3, 3]}
    """
    if code_col not in df.columns:
        raise ValidationError(
            f"harmonise: expected a column {code_col!r} with CBS codes, found columns {list(df.columns)}"
        )
    out = df.copy()
    codes, bad = normalise_codes(out[code_col], [f"row {pos}" for pos in range(len(out))])
    if bad:
        raise ValidationError(
            f"harmonise: column {code_col!r}: expected CBS municipality codes like 'GM0344', found {', '.join(bad)}"
        )
    out[code_col] = codes
    changes = _changes()
    later = changes[changes["date"] > pd.Timestamp(year=int(year), month=1, day=1)]
    # a successor that kept an existing code (Groningen took in Haren) existed already: only new codes are a problem
    mun = load_table("municipalities")
    born = set(mun.loc[mun["valid_from"] > pd.Timestamp(year=int(year), month=1, day=1), "code"])
    newer = sorted(set(out[code_col]) & set(later["new_code"]) & born)
    if newer:
        raise ValidationError(
            f"harmonise: codes {newer} only exist after 1-1-{year}; splitting a merged municipality "
            f"into its former parts is not supported. Harmonise to {int(later['date'].dt.year.min())} or later."
        )
    mapping = code_map(year)
    if value_cols is None:
        value_cols = [c for c in out.select_dtypes("number").columns if c != code_col]
    out["harmonised_from"] = out[code_col]
    if agg == "sum":
        out = _spread_splits(out, changes, year, code_col, value_cols)
    out[code_col] = out[code_col].map(lambda c: mapping.get(c, c))
    if "name" in out.columns:
        names = dict(zip(changes["new_code"], changes["new_name"]))
        out["name"] = [names.get(c, n) if c != f else n for c, n, f in zip(out[code_col], out["name"], out["harmonised_from"])]
    keys = [code_col, *(by or [])]
    other = [c for c in out.columns if c not in keys and c not in value_cols and c != "harmonised_from"]

    def _agree(s):
        vals = s.dropna().unique()
        return vals[0] if len(vals) == 1 else None

    grouped = out.groupby(keys, dropna=False, sort=True).agg(
        {
            # a merged total with a missing part stays missing instead of counting the part as 0
            **{c: ((lambda v: v.sum(min_count=len(v))) if agg == "sum" else agg) for c in value_cols},
            **{c: _agree for c in other},
            "harmonised_from": lambda s: ",".join(sorted(s)),
        }
    )
    return grouped.reset_index()[list(df.columns) + ["harmonised_from"]]


def _spread_splits(out, changes, year, code_col, value_cols):
    """Replace each row of a split municipality by one row per successor, values times the share."""
    d = pd.Timestamp(year=int(year), month=1, day=1)
    split = changes[(changes["kind"] == "opsplitsing") & (changes["date"] <= d)]
    split = split[split["old_code"].isin(set(out[code_col]))]
    if split.empty:
        return out
    pieces = [out[~out[code_col].isin(set(split["old_code"]))]]
    for old, parts in split.groupby("old_code"):
        rows = out[out[code_col] == old]
        shares = parts["share"].to_numpy(dtype=float)
        for _, row in rows.iterrows():
            spread = pd.DataFrame([row] * len(parts)).reset_index(drop=True)
            spread[code_col] = parts["new_code"].to_numpy()
            for col in value_cols:
                value = row[col]
                if pd.isna(value):
                    continue
                if pd.api.types.is_integer_dtype(out[col]):
                    spread[col] = _whole_parts(int(value), shares)
                else:
                    spread[col] = value * shares
            pieces.append(spread.astype(out.dtypes.to_dict()))
    return pd.concat(pieces, ignore_index=True)


def _whole_parts(total, shares):
    """Split a whole number by shares into whole numbers that add up to it (largest remainder)."""
    raw = np.asarray(shares, dtype=float) / np.sum(shares) * total
    parts = np.floor(raw).astype("int64")
    parts[np.argsort(-(raw - parts), kind="stable")[: total - int(parts.sum())]] += 1
    return parts
