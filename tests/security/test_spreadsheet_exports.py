"""Formula injection through every spreadsheet the app serves (OWASP "CSV injection").

Officials, units and questions are given names and codes that a spreadsheet would run
(``=HYPERLINK(...)``, ``+1+1``, ``-2+3``, ``@SUM(...)``, tab or CR first). Every route marked as an
export (``lms.exports.spreadsheet_export``) is fetched in each format and CSV dialect it offers; no
cell of a CSV starts with ``= + - @``, tab or CR (a ``-`` only as a number), no cell of an XLSX is a
formula and text that looks like one carries Excel's quote prefix; each payload is found, neutralised,
in the exports that show it. A route that serves a spreadsheet without the mark fails the sweep
(every GET route of the URL map, as every role), so a new export cannot skip the writer.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from lms.exports import CSV_MIMETYPE, FORMULA_START, XLSX_MIMETYPE
from lms.extensions import db
from lms.org.models import Official, Unit
from lms.time import utcnow
from quizzes import services as quiz_services
from quizzes.models import Attempt, Question
from tests.factories import login_as
from tests.security import sweep

OFFICIAL_NAME = '=HYPERLINK("http://evil.example/?x","Bấm vào")'
OFFICIAL_CODE = "+1+1"
UNIT_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
UNIT_CODE = "-2+3"
QUESTION_TITLE = "\t=1+1"
PAYLOADS = (OFFICIAL_NAME, OFFICIAL_CODE, UNIT_NAME, UNIT_CODE, QUESTION_TITLE)

# which planted text each export shows; a new export must say it here (or be a fixed template)
SHOWS = {
    "competency.unit_staff_export": (OFFICIAL_NAME, OFFICIAL_CODE),
    "competency.ranking_export": (UNIT_NAME, UNIT_CODE),
    "quizzes.quiz_stats_export": (QUESTION_TITLE,),
    "adoption.report_xlsx": (),  # unit names only when a unit moved: checked for formulas, not for a payload
}
FIXED_TEMPLATES = {"adoption.import_template", "org.import_template", "quizzes.import_template"}
NUMBER = re.compile(r"^-\d+([.,]\d+)?$")
SPREADSHEET_TYPES = ("text/csv", XLSX_MIMETYPE, "application/vnd.ms-excel", "text/tab-separated-values")


@pytest.fixture
def world(app, session):
    users, values = sweep.build_world(session)
    official = session.get(Official, users["official"].official_id)
    official.family_name, official.middle_name, official.given_name = OFFICIAL_NAME, "", "An"
    official.code = OFFICIAL_CODE
    unit = session.get(Unit, values["unit_id"])
    unit.name, unit.code = UNIT_NAME, UNIT_CODE
    attempt = session.get(Attempt, values["attempt_id"])
    for question in session.scalars(select(Question)):
        question.title = QUESTION_TITLE
    quiz_services.submit_attempt(session, attempt.id, utcnow())  # graded: the statistics have rows
    session.commit()
    return users, values


def _urls(rule, values):
    """The rule's URL for every value of its ``any(...)`` arguments (formats, template kinds)."""
    choices = {n: sorted(c.items) for n, c in rule._converters.items() if isinstance(c, AnyConverter)}
    for combo in itertools.product(*choices.values()):
        yield dict(zip(choices, combo, strict=True)), sweep.url(rule, values, **dict(zip(choices, combo, strict=True)))


def _is_spreadsheet(response) -> bool:
    disposition = response.headers.get("Content-Disposition", "")
    return response.mimetype in SPREADSHEET_TYPES or bool(re.search(r'\.(csv|tsv|xlsx?)"?(;|$)', disposition))


def _csv_cells(response, delimiter: str) -> list[str]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))
    assert len({len(r) for r in rows[1:]} - {0}) <= 1 or len(rows) < 3, "every row has the header's columns"
    return [cell for row in rows for cell in row]


def _xlsx_cells(response) -> list[str]:
    body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, f"{name} holds a formula"
    texts = []
    for ws in load_workbook(io.BytesIO(body)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    if cell.value.startswith((*FORMULA_START, "\n")):
                        assert cell.quotePrefix, f"{cell.coordinate} {cell.value!r} is text without the quote prefix"
                    texts.append("'" + cell.value if cell.quotePrefix else cell.value)
    return texts


def _exports(app):
    return [r for r in sweep.routes(app) if getattr(app.view_functions[r.endpoint], "spreadsheet_export", False)]


def test_every_export_route_neutralises_formulas(app, world):
    users, values = world
    exports = _exports(app)
    assert {r.endpoint for r in exports} == set(SHOWS) | FIXED_TEMPLATES, "say what each export shows (SHOWS)"
    client = app.test_client()
    db.session.rollback()
    login_as(client, users["admin"])
    seen, fetched = {}, 0
    for rule in exports:
        for args, url in _urls(rule, values):
            fmt = args.get("fmt") or args.get("ext")
            for dialect in ("", "vn") if fmt == "csv" else ("",):
                r = client.get(url, query_string={"dialect": dialect} if dialect else None)
                assert r.status_code == 200, (url, r.status_code)
                fetched += 1
                if fmt == "csv":
                    assert r.headers["Content-Type"] == CSV_MIMETYPE, "the charset said once"
                    cells = _csv_cells(r, ";" if dialect == "vn" else ",")
                else:
                    assert r.headers["Content-Type"] == XLSX_MIMETYPE
                    cells = _xlsx_cells(r)
                dangerous = [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.match(c)]
                assert dangerous == [], f"{url}?dialect={dialect}: {dangerous[:3]}"
                for payload in SHOWS.get(rule.endpoint, ()):
                    neutralised = "'" + payload.replace("\r", "\n") if fmt == "xlsx" else "'" + payload
                    assert any(neutralised in c for c in cells), f"{url} {dialect}: {payload!r} not shown"
                    seen[payload] = True
    assert fetched >= 14
    assert set(seen) == set(PAYLOADS), "every payload reached an export"


def test_no_route_serves_a_spreadsheet_outside_the_writer(app, world):
    """Every GET route, as every role, with real ids: a spreadsheet only comes from a marked export."""
    users, values = world
    marked = {r.endpoint for r in _exports(app)}
    found, failures = set(), []
    for rule in sweep.routes(app):
        if "GET" not in rule.methods:
            continue
        for role in sweep.allowed_roles(rule.endpoint):
            for _args, url in _urls(rule, values):
                client = app.test_client()
                db.session.rollback()
                login_as(client, users[role])
                r = client.get(url)
                r.get_data()
                r.close()
                if _is_spreadsheet(r):
                    found.add(rule.endpoint)
                    if rule.endpoint not in marked:
                        failures.append(f"{role} {url}: {r.mimetype}, not written by lms.exports")
    assert failures == [], "\n".join(failures)
    assert found == marked, "every marked export was reached by the sweep"


def test_xlsx_cells_are_typed_dates_and_numbers(app, world):
    users, values = world
    client = app.test_client()
    login_as(client, users["admin"])
    staff = load_workbook(io.BytesIO(client.get(f"/competency/units/{values['unit_id']}/staff.xlsx").data)).active
    header = [c.value for c in staff[2]]
    expiry_columns = [i for i, h in enumerate(header) if h and h.endswith("hết hạn")]
    dates = [row[i] for row in staff.iter_rows(min_row=3) for i in expiry_columns if row[i].value is not None]
    assert dates, "the official's certificate expiry is in the table"
    assert all(c.is_date and c.number_format == "dd/mm/yyyy" for c in dates), "expiry dates are date cells"
    ranking = load_workbook(io.BytesIO(client.get("/competency/ranking.xlsx").data)).active
    unit_row = next(row for row in ranking.iter_rows(min_row=3) if row[3].value == UNIT_NAME)
    numbers = [c for c in unit_row if isinstance(c.value, int | float)]
    assert len(numbers) >= 5 and all(c.data_type == "n" for c in numbers), "rank, officials, rates are numbers"
    vn = list(
        csv.reader(
            io.StringIO(client.get("/competency/ranking.csv?dialect=vn").get_data().decode("utf-8-sig")), delimiter=";"
        )
    )
    unit_line = next(line for line in vn if line[3] == "'" + UNIT_NAME)
    assert vn[0][0] == "Khối" and len(unit_line) == len(vn[0])
    fractions = [c.value for c in numbers if isinstance(c.value, float) and not c.value.is_integer()]
    if fractions:  # the same figures with a decimal comma
        assert any(re.fullmatch(r"-?\d+,\d+", cell) for cell in unit_line), unit_line
