"""Time and memory an import file costs before it is refused (or read), at 10^4, 10^5 and 10^6 rows.

    .venv/bin/python benchmarks/import_limits.py [--sizes 10000,100000,1000000] [--keep DIR]

Builds, in a temporary folder, the files an outside test used against the importers:

* ``compact``: the official columns' header, then N rows of three short cells each (a code, a name,
  a unit code) as an XLSX whose worksheet XML repeats itself (N = 10^6 makes a ~1 MB upload), and
  the same rows as CSV;
* ``varied``: N rows of the 13 official columns with different values in each row (an HR file that
  is simply too long): XLSX (shared strings, as Excel writes them) and CSV;
* ``bomb``: one XLSX part that unpacks 1000:1 (200 MB of zeros in ~200 KB) beside a small sheet.

Each file goes to the officials reader (``lms.org.imports.read_table``, limit ``LMS_IMPORT_MAX_ROWS``
= 50,000 rows) and to the question reader (``quizzes.tabular.read_xlsx/read_csv``, 10,000 rows), each
measurement in a fresh Python process: the figure is the time from the bytes in memory to the answer
(the rows, or the refusal) and the peak resident memory (Linux ``VmHWM``, reset through
``/proc/self/clear_refs`` just before) over the resident memory then (the file's bytes and the imported
libraries are in that baseline). Files of N rows under the limit
are read whole: their time is the cost of an accepted file, not of a refusal.
Goal (issue 12): every refusal in under 2 s and under 100 MB over the baseline.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = [
    "Mã cán bộ",
    "Họ",
    "Tên đệm",
    "Tên",
    "Họ và tên",
    "Email",
    "Điện thoại",
    "Mã đơn vị",
    "Chức vụ",
    "Phân loại",
    "Cấp",
    "Năm sinh",
    "Đang công tác",
]

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
    '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
    'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>{extra}</Types>'
)
_SST_CT = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sharedStrings+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
    'name="Danh sach" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>'
)
_SST_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{_esc(text)}</t></is></c>'


def xlsx(rows, shared: list[str] | None = None, extra_parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook; ``rows`` yields each row's cells already as XML."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CT.format(extra=_SST_CT if shared is not None else ""))
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(extra=_SST_REL if shared else ""))
        if shared is not None:
            items = "".join(f"<si><t>{_esc(s)}</t></si>" for s in shared)
            archive.writestr("xl/sharedStrings.xml", f'<sst {_NS} uniqueCount="{len(shared)}">{items}</sst>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f"<worksheet {_NS}><sheetData>".encode())
            batch = []
            for cells in rows:
                batch.append(f"<row>{cells}</row>")
                if len(batch) == 10_000:
                    out.write("".join(batch).encode())
                    batch = []
            out.write("".join(batch).encode())
            out.write(b"</sheetData></worksheet>")
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return buf.getvalue()


def compact_xlsx(n: int) -> bytes:
    header = "".join(_inline(h) for h in HEADER)
    row = _inline("X") + _inline("Lê Văn An") + _inline("STTTT")
    return xlsx([header] + [row] * n)


def varied_rows(n: int):
    for i in range(n):
        yield [
            f"VP-{i:07d}",
            "Nguyễn",
            "Văn",
            f"An {i}",
            "",
            f"an{i}@vinhphuc.gov.vn",
            f"09{i:08d}",
            "STTTT",
            "Chuyên viên",
            "Công chức",
            "Cấp tỉnh",
            str(1960 + i % 40),
            "có",
        ]


def varied_xlsx(n: int) -> bytes:
    shared: list[str] = []
    index: dict[str, int] = {}

    def ref(text: str) -> str:
        if text not in index:
            index[text] = len(shared)
            shared.append(text)
        return f'<c t="s"><v>{index[text]}</v></c>'

    def rows():
        yield "".join(ref(h) for h in HEADER)
        for values in varied_rows(n):
            yield "".join(ref(v) for v in values)

    cells = list(rows())  # the shared strings table must be complete before it is written
    return xlsx(cells, shared=shared)


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def bomb_xlsx() -> bytes:
    header = "".join(_inline(h) for h in HEADER)
    return xlsx([header, _inline("X") + _inline("Lê Văn An")], extra_parts={"xl/media/zeros.bin": bytes(200 << 20)})


MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from lms.org import imports
from lms.spreadsheet import SpreadsheetError
from quizzes import tabular
import openpyxl  # noqa: F401  (imported before the baseline, as in a running worker)


def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


data = open(sys.argv[2], "rb").read()
ext = sys.argv[2].rsplit(".", 1)[-1]
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak resident size (VmHWM) starts again from now
base = status("VmRSS")
start = time.perf_counter()
try:
    if sys.argv[3] == "officials":
        rows = imports.read_table("f." + ext, data, max_rows=50_000)
    else:
        rows = tabular.read_xlsx(data) if ext == "xlsx" else tabular.read_csv(data)
    outcome = f"read {len(rows)} rows"
except (SpreadsheetError, ValueError) as exc:
    outcome = "refused: " + str(exc)[:60]
seconds = time.perf_counter() - start
extra = (status("VmHWM") - base) / 1024
print(json.dumps({"seconds": seconds, "extra_mb": extra, "outcome": outcome}))
"""


def measure(path: Path, reader: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT), str(path), reader],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--keep", help="write the files into this folder and keep them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.keep or tempfile.mkdtemp(prefix="import-limits-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in sizes:
        for shape, ext, build in (
            ("compact", "xlsx", lambda n=n: compact_xlsx(n)),
            ("compact", "csv", lambda n=n: csv_bytes([["X", "", "", "", "Lê Văn An", "", "", "STTTT"]] * n)),
            ("varied", "xlsx", lambda n=n: varied_xlsx(n)),
            ("varied", "csv", lambda n=n: csv_bytes(varied_rows(n))),
        ):
            path = folder / f"{shape}-{n}.{ext}"
            path.write_bytes(build())
            files.append((f"{shape} {n:>9,}", path))
    bomb = folder / "bomb.xlsx"
    bomb.write_bytes(bomb_xlsx())
    files.append(("bomb (200 MB of zeros)", bomb))
    print(f"{'file':<24} {'size':>9} {'reader':<10} {'seconds':>8} {'extra MB':>9}  outcome")
    try:
        for label, path in files:
            for reader in ("officials", "questions"):
                m = measure(path, reader)
                size = f"{path.stat().st_size / 1024:,.0f} KB"
                print(
                    f"{label + ' ' + path.suffix[1:]:<24} {size:>9} {reader:<10} {m['seconds']:>8.2f} "
                    f"{m['extra_mb']:>9.1f}  {m['outcome']}",
                    flush=True,
                )
    finally:
        if not args.keep:
            for _label, path in files:
                path.unlink(missing_ok=True)
            folder.rmdir()


if __name__ == "__main__":
    main()
