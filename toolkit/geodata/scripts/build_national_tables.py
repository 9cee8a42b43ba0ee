"""Type the national reference tables into ``geodata/`` (maintainers only).

The figures were read from public sources and compiled, with the address of
each source, into a reference folder (``gemeenten_2016.csv``,
``gemeenten_2024_2025.csv``, ``punten_2016.csv``, ``punten_2024.csv`` and its
``SOURCES.md``). This script copies them into the project's own layouts so
the typing is reproducible, and adds the merger dates read from the news
releases of CBS named in ``EVENTS``::

    python toolkit/geodata/scripts/build_national_tables.py REFERENCE_FOLDER SPLIT_SHARES.csv

``SPLIT_SHARES.csv`` is the output of ``derive_split_shares.py``. Rows already
in ``population.csv`` for other dates (1-1-2019, Staat van Utrecht) and the
U16 rows of 1-1-2016 are kept as they are (the script checks the values
agree). Run ``toolkit.registry.update_registry()`` afterwards.
"""

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parents[1]

# date of the change -> (successor codes, source read). The composition of each
# successor in gemeenten_2016.csv (derived by point in polygon) was checked
# against the municipalities these sources name.
EVENTS = {
    "2017-01-01": (["GM1948"], "CBS via rd.nl (12-2016): Meierijstad uit Schijndel, Sint-Oedenrode en Veghel"),
    "2018-01-01": (
        ["GM1949", "GM1950", "GM1952", "GM0080", "GM0299"],
        "vng.nl/nieuws/hoeveel-gemeenten-zijn-er-per-2018; CBS via binnenlandsbestuur.nl (28-12-2017)",
    ),
    "2019-01-01": (
        ["GM1954", "GM1959", "GM1960", "GM1961", "GM1963", "GM1966", "GM1969", "GM1970", "GM1978", "GM0014", "GM0394", "GM0575"],
        "CBS via blikopnieuws.nl/nieuws/269778 (12-2018); telegraaf.nl/nieuws/2418086",
    ),
    "2021-01-01": (["GM1979", "GM0865"], "CBS/ANP via nieuws.nl/algemeen/20201230"),
    "2022-01-01": (["GM1980", "GM1982", "GM1991", "GM0439"], "CBS via blikopnieuws.nl/nieuws/291735 (12-2021)"),
    "2022-03-24": (["GM0363"], "CBS via blikopnieuws.nl/nieuws/291735 en /296914 (Weesp bij Amsterdam op 24-3-2022)"),
    "2023-01-01": (["GM1992"], "CBS via blikopnieuws.nl/nieuws/296914 (12-2022)"),
}
SPLIT_NOTE = {
    "GM0140": "opgesplitst over Leeuwarden (noordoost), Súdwest-Fryslân (zuid) en Waadhoeke (noordwest) (vng.nl)",
    "GM0053": "opgesplitst: Het Hogeland; de dorpen Ezinge, Feerwerd en Garnwerd naar Westerkwartier (telegraaf.nl)",
    "GM0788": "opgesplitst: de dorpen Haaren, Biezenmortel, Esch en Helvoirt naar Boxtel, Oisterwijk, Tilburg en Vught (nieuws.nl)",
}
KWB_2016 = "CBS Kerncijfers wijken en buurten 2016 (83487NED) via ShaunVanBeurden/PosterHouse units.php"
KWB_2024 = "CBS Kerncijfers wijken en buurten 2024 (voorlopig), aantalInwoners, PDOK WFS wijkenbuurten 2024 via AnneVersion/geoinzicht-app"
STATLINE_2025 = "CBS StatLine 03759NED (BevolkingOp1Januari_1) via DennisHedegreen/netherlands-politics-data"


def _read(folder, name):
    return pd.read_csv(Path(folder) / name, dtype=str, keep_default_na=False)


def build(folder, split_file):
    g16 = _read(folder, "gemeenten_2016.csv")
    g24 = _read(folder, "gemeenten_2024_2025.csv")
    p16 = _read(folder, "punten_2016.csv").set_index("gm_code")
    p24 = _read(folder, "punten_2024.csv").set_index("gm_code")
    split = pd.read_csv(split_file, dtype={"share": float})
    date_of = {code: date for date, (codes, _) in EVENTS.items() for code in codes}
    source_of = {code: EVENTS[date][1] for code, date in date_of.items()}
    names24 = dict(zip(g24["gm_code"], g24["gemeente_naam"]))
    prov24 = dict(zip(g24["gm_code"], g24["provincie"]))

    # ---- code changes
    changes = []
    for r in g16.itertuples():
        if r.opvolger_2024_afgeleid == r.gm_code:
            continue
        main = r.opvolger_2024_afgeleid
        parts = split[split["old_code"] == r.gm_code]
        if parts.empty:
            parts = pd.DataFrame({"new_code": [main], "share": [float("nan")]})
        assert main in set(parts["new_code"]), r.gm_code
        for p in parts.itertuples():
            changes.append(
                {
                    "date": date_of[main],
                    "old_code": r.gm_code,
                    "old_name": r.gemeente_naam,
                    "new_code": p.new_code,
                    "new_name": names24[p.new_code],
                    "kind": "opsplitsing" if len(parts) > 1 else "samenvoeging",
                    "source": source_of[main],
                    "share": "" if pd.isna(p.share) else f"{p.share:.3f}",
                    "status": "schatting" if len(parts) > 1 else "gepubliceerd",
                    "note": (SPLIT_NOTE[r.gm_code] + "; aandeel = oppervlakteaandeel (schatting), hoofdopvolger "
                             "(grootste deel) " + names24[parts.sort_values("share").iloc[-1]["new_code"]]) if len(parts) > 1 else "",
                }
            )
    changes = pd.DataFrame(changes).sort_values(["date", "new_code", "old_code"])

    # ---- municipalities: one row per code, points of the division it first appears in
    last_day = {r.old_code: (pd.Timestamp(r.date) - pd.Timedelta(days=1)).strftime("%Y-%m-%d") for r in changes.itertuples()}
    rows = []
    for r in g16.itertuples():
        pt = p16.loc[r.gm_code]
        rows.append([r.gm_code, r.gemeente_naam, prov24.get(r.gm_code, r.provincie_2016_afgeleid), "",
                     last_day.get(r.gm_code, ""), pt.lat, pt.lon, pt.oppervlakte_km2, "schatting"])
    for code in sorted(set(g24["gm_code"]) - set(g16["gm_code"])):
        pt = p24.loc[code]
        rows.append([code, names24[code], prov24[code], date_of[code], "", pt.lat, pt.lon, pt.oppervlakte_km2, "schatting"])
    mun = pd.DataFrame(rows, columns=["code", "name", "province", "valid_from", "valid_to", "lat", "lon", "area_km2", "point_status"])
    old = pd.read_csv(HERE / "municipalities.csv", dtype=str, keep_default_na=False).set_index("code")
    for code, row in old.iterrows():  # the shipped U16 rows were typed from FACTS.md: they must agree
        new = mun.set_index("code").loc[code]
        assert new["name"] == row["name"] and new["province"] == row["province"], code
        if row["lat"]:
            assert abs(float(new["lat"]) - float(row["lat"])) < 1e-4 and abs(float(new["area_km2"]) - float(row["area_km2"])) < 0.05, code

    # ---- points of both divisions
    points = []
    for division, pts in (("2016", p16), ("2024", p24)):
        for code, pt in pts.iterrows():
            points.append([division, code, pt.gemeente_naam, pt.lat, pt.lon, pt.rd_x, pt.rd_y, pt.oppervlakte_km2, "schatting"])
    points = pd.DataFrame(points, columns=["division", "code", "name", "lat", "lon", "rd_x", "rd_y", "area_km2", "status"])

    # ---- provinces
    prov = g24[["provincie_code", "provincie"]].drop_duplicates().sort_values("provincie_code")
    prov = prov.rename(columns={"provincie_code": "code", "provincie": "name"})

    # ---- population
    pop = pd.read_csv(HERE / "population.csv", dtype=str, keep_default_na=False)
    kept = pop[pop["reference_date"].isin(["2019-01-01"]) | ((pop["reference_date"] == "2016-01-01"))]
    shipped16 = dict(zip(kept.loc[kept["reference_date"] == "2016-01-01", "code"], kept.loc[kept["reference_date"] == "2016-01-01", "population"]))
    new_rows = []
    for r in g16.itertuples():
        if r.gm_code in shipped16:
            assert shipped16[r.gm_code] == r.inwoners_2016_01_01, r.gm_code
            continue
        new_rows.append([r.gm_code, "2016-01-01", r.inwoners_2016_01_01, KWB_2016, "gepubliceerd",
                         "naam gekoppeld aan de CBS-indeling 2016; de 390 gemeenten tellen op tot CBS 37230ned (16.979.120)"])
    for r in g24.itertuples():
        new_rows.append([r.gm_code, "2024-01-01", r.inwoners_2024_01_01, KWB_2024, "gepubliceerd", "voorlopig cijfer (KWB 2024)"])
    for r in g24.itertuples():
        new_rows.append([r.gm_code, "2025-01-01", r.inwoners_2025_01_01, STATLINE_2025, "gepubliceerd", ""])
    new_rows.append(["NL01", "2024-01-01", "17942942", "CBS 37230ned (bevolking begin januari 2024, voorlopig; gelezen in de documentatie van cbsodataR)",
                     "gepubliceerd", "voorlopig; 4.742 minder dan het latere definitieve cijfer (niet nagelezen)"])
    new_rows.append(["NL01", "2025-01-01", "18044027", STATLINE_2025, "schatting",
                     "som van de 342 gemeenten in 03759NED (gelijk aan het manifest van de bronrepository); het landelijke cijfer zelf is niet nagelezen"])
    pop = pd.concat([kept, pd.DataFrame(new_rows, columns=pop.columns)], ignore_index=True)
    pop.loc[(pop["code"] == "GM1961") & (pop["reference_date"] == "2024-01-01"), "note"] = "voorlopig cijfer (KWB 2024); Staat van Utrecht (CBS) geeft 61.650"
    return {"code_changes": changes, "municipalities": mun, "municipal_points": points, "provinces": prov, "population": pop}


if __name__ == "__main__":
    for name, df in build(sys.argv[1], sys.argv[2]).items():
        df.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n")
