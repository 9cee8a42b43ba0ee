"""CBS municipality codes: normalisation and harmonisation across divisions."""

from __future__ import annotations

import pandas as pd

from ._errors import ValidationError
from ._validate import normalise_code, normalise_codes

__all__ = ["normalise_code", "code_map", "harmonise"]


def code_map(year):
    """Return ``{old_code: new_code}`` for every change effective by 1 January of ``year``.

    Chains are followed (A -> B -> C gives A -> C).
    """
    from .data import load_code_changes

    changes = load_code_changes()
    changes = changes[changes["date"] <= pd.Timestamp(year=int(year), month=1, day=1)]
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
    aggregated with ``agg``. Splitting a merged municipality back into its
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
    from .data import load_code_changes

    changes = load_code_changes()
    later = changes[changes["date"] > pd.Timestamp(year=int(year), month=1, day=1)]
    newer = sorted(set(out[code_col]) & set(later["new_code"]))
    if newer:
        raise ValidationError(
            f"harmonise: codes {newer} only exist after 1-1-{year}; splitting a merged municipality "
            f"into its former parts is not supported. Harmonise to {int(later['date'].dt.year.min())} or later."
        )
    mapping = code_map(year)
    if value_cols is None:
        value_cols = [c for c in out.select_dtypes("number").columns if c != code_col]
    out["harmonised_from"] = out[code_col]
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
