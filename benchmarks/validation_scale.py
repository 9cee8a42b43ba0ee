"""Reading and validating analysts' files at scale: seconds and peak memory per file.

Run: ``.venv/bin/python benchmarks/validation_scale.py`` (``DL_BENCH_SMOKE=1`` for small
sizes). Prints figures; asserts nothing. Goal (issue 11): a 200 MB CSV is rejected or accepted
within 20 s and 1 GB; a small xlsx that unpacks to something huge is rejected at once.

Every file is generated in a temporary folder (synthetic caseload rows, seed-free patterns) and
read in a fresh Python process, so the peak resident memory (``ru_maxrss``) is that file's
alone; the baseline line is the same process importing the toolkit and reading nothing.
Cases:

- a 200 MB caseload CSV (about 5 million rows): rejected by the size limit before parsing;
- a caseload CSV at the row limit (200,000 rows): read and validated;
- the same validation with the limits lifted on 1 million rows (how validation scales);
- an xlsx of about 400 KB with 1 million rows: rejected from the sheet dimension;
- an xlsx whose shared strings unpack to 1.25 GB: rejected from the zip directory;
- an xlsx caseload of 20,000 rows: read by openpyxl and validated.
"""

from __future__ import annotations

import dataclasses
import io as _io
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"
HEAD = ("household_id,nationality_group,referent_age,referent_sex,partner_present,children_present,"
        "family_abroad,months_since_permit,final_size\n")
GROUPS = ("syrisch", "eritrees", "afghaans", "turks", "overig")


def caseload_csv(path, rows=None, megabytes=None):
    """Synthetic caseload rows until ``rows`` or ``megabytes`` is reached."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        i, size = 0, len(HEAD)
        limit = megabytes * 2**20 if megabytes else None
        while (rows is None or i < rows) and (limit is None or size < limit):
            block = "".join(
                f"h{j},{GROUPS[j % 5]},{18 + j % 60},{'mv'[j % 2]},{'ja' if j % 3 else 'nee'},{j % 4},{j % 3},{j % 40},\n"
                for j in range(i, i + (10_000 if rows is None else min(10_000, rows - i)))
            )
            f.write(block)
            size += len(block)
            i += block.count("\n")
    return i


def _xlsx_bytes(frame):
    import pandas as pd

    buf = _io.BytesIO()
    pd.DataFrame(frame).to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()


def replace_member(path, base, member, writer):
    src = zipfile.ZipFile(_io.BytesIO(base))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in dict.fromkeys(src.namelist() + [member]):
            if name == member:
                with dst.open(name, "w", force_zip64=True) as f:
                    writer(f)
            else:
                dst.writestr(name, src.read(name))


def many_rows_xlsx(path, rows):
    base = _xlsx_bytes({"household_id": ["h1"]})

    def write(f):
        f.write(f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:A{rows + 1}"/><sheetData>'.encode())
        for start in range(1, rows + 2, 50_000):
            f.write("".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>'
                            for r in range(start, min(start + 50_000, rows + 2))).encode())
        f.write(b"</sheetData></worksheet>")

    replace_member(path, base, "xl/worksheets/sheet1.xml", write)


def shared_strings_bomb(path, megabytes):
    base = _xlsx_bytes({"household_id": ["h1"]})
    big = (b"<si><t>" + b"A" * 4000 + b"</t></si>") * 256

    def write(f):
        f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for _ in range(megabytes * 2**20 // len(big) + 1):
            f.write(big)
        f.write(b"</sst>")

    replace_member(path, base, "xl/sharedStrings.xml", write)


def caseload_xlsx(path, rows):
    import pandas as pd

    frame = pd.read_csv(_io.StringIO(HEAD + "".join(
        f"h{j},{GROUPS[j % 5]},{18 + j % 60},{'mv'[j % 2]},{'ja' if j % 3 else 'nee'},{j % 4},{j % 3},{j % 40},\n"
        for j in range(rows))), dtype=str, keep_default_na=False)
    with pd.ExcelWriter(path, engine="openpyxl") as w:
        frame.to_excel(w, index=False)


# ---------------------------------------------------------------- the measured child


def child(path, mode):
    from toolkit import ValidationError, io, schemas

    t0 = time.perf_counter()
    outcome = ""
    try:
        if mode == "baseline":
            outcome = "imports only"
        elif mode == "lifted":
            schema = dataclasses.replace(schemas.CASELOAD, max_rows=10**8, max_bytes=10**11)
            df = io.read_table(path, schema)
            outcome = f"accepted, {len(df):,} rows"
        else:
            df = io.read_caseload(path)
            outcome = f"accepted, {len(df):,} rows"
    except ValidationError as exc:
        outcome = "rejected: " + " ".join(str(exc).split())[:110]
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f}\t{peak:.0f}\t{outcome}")


def measure(label, path, mode="read"):
    r = subprocess.run([sys.executable, __file__, "--child", str(path), mode], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{label:<46} FAILED: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
        return
    seconds, peak, outcome = r.stdout.strip().splitlines()[-1].split("\t")
    size = Path(path).stat().st_size / 2**20 if Path(path).exists() else 0
    print(f"{label:<46} {size:>8.1f} MB {float(seconds):>7.2f} s {float(peak):>7.0f} MB peak  {outcome}")


def main():
    load = os.getloadavg()
    print(f"validation_scale{' (smoke)' if SMOKE else ''}: machine load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"{'file':<46} {'size':>11} {'time':>9} {'memory':>12}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        measure("baseline (import toolkit, read nothing)", tmp / "none", "baseline")

        big = tmp / "caseload_big.csv"
        n = caseload_csv(big, megabytes=22 if SMOKE else 200)
        measure(f"caseload CSV, {n:,} rows (over the size limit)", big)
        big.unlink()

        at_limit = tmp / "caseload_limit.csv"
        n = caseload_csv(at_limit, rows=2_000 if SMOKE else 200_000)
        measure(f"caseload CSV, {n:,} rows (at the row limit)", at_limit)

        lifted = tmp / "caseload_lifted.csv"
        n = caseload_csv(lifted, rows=20_000 if SMOKE else 1_000_000)
        measure(f"caseload CSV, {n:,} rows, limits lifted", lifted, "lifted")
        lifted.unlink()

        rows_xlsx = tmp / "million_rows.xlsx"
        many_rows_xlsx(rows_xlsx, 250_000 if SMOKE else 1_000_000)
        measure("xlsx with 1 million rows" if not SMOKE else "xlsx with 250,000 rows", rows_xlsx)

        bomb = tmp / "shared_strings.xlsx"
        shared_strings_bomb(bomb, 120 if SMOKE else 1_280)
        measure("xlsx, shared strings unpack to 1.25 GB" if not SMOKE else "xlsx, shared strings unpack to 120 MB", bomb)

        xlsx = tmp / "caseload.xlsx"
        caseload_xlsx(xlsx, 500 if SMOKE else 20_000)
        measure(f"caseload xlsx, {500 if SMOKE else 20_000:,} rows", xlsx)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
