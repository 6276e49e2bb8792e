"""Fuzzing with Hypothesis (modest ``max_examples``: the whole file runs in seconds).

* Importers (questions: GIFT, CSV, XLSX; units and officials: CSV, XLSX) get random and mutated files:
  they fail only with their documented error types, with a readable message, and all or nothing
  (the row counts are unchanged after a failed import).
* The attempt endpoints get random forms (random keys and values, forged option ids): never a 500,
  nothing stored that is not one of the question's own options, and the grade is the grade of the
  stored answers.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.extensions import db
from lms.org import imports as org_imports
from lms.org.models import Official, Unit
from lms.topics import Topic
from quizzes import gift, qtypes, tabular
from quizzes import services as quiz_services
from quizzes.models import AttemptSlot, Question, QuestionVersion
from tests.factories import login_as, make_unit, make_user
from tests.quizzes_app.factories import NOW, QTYPES, make_attempt, make_bank, make_quiz

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

VALID_GIFT = """// a valid file
$CATEGORY: email/chung
::Mật khẩu::Mật khẩu nào an toàn nhất? {
=Tq7#Lm!2xP9 #Đúng
~123456 #Quá dễ đoán
~matkhau
}
::Đúng sai::Thư công vụ được dùng cho việc riêng. {FALSE}
::Số::Bao nhiêu ký tự tối thiểu? {#8:0}
::Ghép::Ghép cặp {
=Ổ khóa -> Mật khẩu
=Thư -> Hộp thư
}
::Ngắn::Viết tắt của thư điện tử? {=email =e-mail}
"""
GIFT_PIECES = st.sampled_from(list("{}~=#:%->[]\\$/\n ") + ["TRUE", "FALSE", "::", "####", "[html]", "ă", "\u202e"])


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for pos, delete, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + insert + text[pos + delete :]
    return text


mutations = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 5), st.lists(GIFT_PIECES, max_size=4).map("".join)), max_size=6
)


def _question_count(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Question)),
        session.scalar(select(func.count()).select_from(QuestionVersion)),
    )


def _import_all_or_nothing(session, result) -> None:
    before = _question_count(session)
    try:
        quiz_services.import_questions(session, result.questions, Topic.EMAIL, NOW)
        session.flush()
    except quiz_services.QuestionImportError as exc:
        assert exc.errors and all(e.message for e in exc.errors)
        session.rollback()
        assert _question_count(session) == before
    else:
        session.rollback()  # keep the bank empty for the next example


# --------------------------------------------------------------------------- question importers


@FUZZ
@given(edits=mutations, noise=st.text(max_size=200))
def test_gift_parser_and_import_never_crash(session, edits, noise):
    text = _mutate(VALID_GIFT, edits) + noise
    result = gift.parse_gift(text)
    for error in result.errors:
        assert isinstance(error.line, int) and error.message
    if not result.errors:
        _import_all_or_nothing(session, result)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["single", "multi", "truefalse", "1", "1,3", "Đúng", "", "a -> b", "3,14:0,01", "-1", "1e309", "=1+1"]
    ),
)


@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=8), max_size=6), raw=st.binary(max_size=80), use_raw=st.booleans()
)
def test_question_csv_import_never_crashes(session, rows, raw, use_raw):
    header = tabular.template_csv().splitlines()[0].split(",")
    data = raw if use_raw else _csv_bytes([header] + rows)
    try:
        records = tabular.read_csv(data)
    except ValueError as exc:
        assert str(exc)
        return
    result = tabular.parse_rows(records)
    assert all(e.message for e in result.errors)
    if not result.errors:
        _import_all_or_nothing(session, result)


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_CELL = st.one_of(
    st.none(),
    st.integers(-10, 10),
    st.floats(allow_nan=True),
    st.booleans(),
    CELL.filter(lambda s: not any(ord(c) < 32 and c not in "\t\n\r" for c in s)),
)


@FUZZ
@given(rows=st.lists(st.lists(XLSX_CELL, max_size=8), max_size=5), cut=st.integers(0, 4000), flip=st.integers(0, 255))
def test_question_xlsx_import_never_crashes(session, rows, cut, flip):
    header = tabular.template_csv().splitlines()[0].split(",")
    data = _xlsx([header] + rows)
    if cut % 3 == 0:  # a damaged file
        pos = cut % len(data)
        data = data[:pos] + bytes([flip]) + data[pos + 1 :]
    try:
        records = tabular.read_xlsx(data)
    except ValueError as exc:
        assert str(exc)
        return
    result = tabular.parse_rows(records)
    if not result.errors:
        _import_all_or_nothing(session, result)


# --------------------------------------------------------------------------- units and officials


def _org_counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Unit)),
        session.scalar(select(func.count()).select_from(Official)),
    )


ORG_CELL = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        ["U0001", "xa", "huyen", "so_ban_nganh", "", "1980", "a@b.vn", "chuyen_vien", "Nguyễn Văn A", "U9999"]
    ),
)


@FUZZ
@given(
    kind=st.sampled_from(["units", "officials"]),
    ext=st.sampled_from(["csv", "xlsx", "txt", "exe"]),
    rows=st.lists(st.lists(ORG_CELL, max_size=7), max_size=5),
    raw=st.binary(max_size=60),
    use_raw=st.booleans(),
)
def test_org_import_is_all_or_nothing(session, kind, ext, rows, raw, use_raw):
    if session.scalar(select(func.count()).select_from(Unit)) == 0:
        make_unit(session, code="U0001")
        session.commit()
    header, _example = org_imports.template_rows(kind)
    if use_raw:
        data = raw
    elif ext == "xlsx":
        clean = [[c for c in r if not any(ord(ch) < 32 for ch in c)] for r in rows]
        data = _xlsx([header] + clean)
    else:
        data = _csv_bytes([header] + rows)
    before = _org_counts(session)
    try:
        table = org_imports.read_table(f"f.{ext}", data)
    except org_imports.ImportFileError as exc:
        assert str(exc)
        return
    run = org_imports.import_units if kind == "units" else org_imports.import_officials
    result = run(session, table)
    if result.ok:
        session.rollback()
    else:
        assert all(e.message for e in result.errors)
        session.rollback()
        assert _org_counts(session) == before


def test_org_import_view_failed_file_leaves_no_row(client, session):
    """The same through the page: one bad row among good ones, nothing is written."""
    unit = make_unit(session, code="U0001")
    login_as(client, make_user(session, Role.IT_STAFF))
    before = _org_counts(session)
    data = _csv_bytes(
        [["Họ và tên", "Mã đơn vị", "Mã cán bộ"], ["Lê Văn Một", unit.code, "A1"], ["Lê Văn Hai", "KHONG-CO", "A2"]]
    )
    r = client.post(
        "/org/import",
        data={"kind": "officials", "file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    db.session.expire_all()
    assert _org_counts(session) == before


# --------------------------------------------------------------------------- attempt endpoints


@pytest.fixture
def live_attempt(app, session):
    official = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(
        session, make_bank(session, per_category={"email/chung": len(QTYPES)}, qtypes=QTYPES), time_limit_minutes=None
    )
    attempt = make_attempt(session, quiz, official.official)
    session.commit()
    client = app.test_client()
    login_as(client, official)
    return client, attempt


def _option_ids(config) -> set:
    ids = set()
    for key in ("options", "choices", "subquestions", "items"):
        for item in config.get(key, []) or []:
            if isinstance(item, dict) and "id" in item:
                ids.add(item["id"])
    return ids


KEYS = st.one_of(
    st.sampled_from(
        ["slot", "go", "q1", "q2", "q3", "q1[]", "q2-s1", "q3-o1", "q4", "q5", "q6", "csrf_token", "q1-1", "q-1", "q99"]
    ),
    st.text(max_size=8),
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "o1",
            "o2",
            "o99",
            "s1",
            "c1",
            "c99",
            "i1",
            "true",
            "false",
            "1",
            "-1",
            "99",
            "1e400",
            "nan",
            "",
            "x" * 500,
            "summary",
            "timeout",
        ]
    ),
    st.text(max_size=30),
)


@FUZZ
@given(
    form=st.dictionaries(KEYS, st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=8),
    slot=st.integers(-2, 9),
    endpoint=st.sampled_from(["autosave", "page"]),
)
def test_random_answer_forms_never_500_and_store_only_real_options(live_attempt, session, form, slot, endpoint):
    client, attempt = live_attempt
    if endpoint == "autosave":
        data = {"slot": str(slot), **form} if "slot" not in form else form
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data=data)
        assert r.status_code in (200, 400, 404, 409), r.status_code
    else:
        data = {k: v for k, v in form.items() if not (k == "go" and v == "timeout")}
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/{max(slot, 0)}", data=data)
        assert r.status_code in (302, 400, 404), r.status_code
    db.session.expire_all()
    for s in session.scalars(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id)):
        if s.answer is None:
            continue
        qtype = s.question_version.question.qtype
        ids = _option_ids(s.question_version.config)
        if qtype == "single":
            assert s.answer in ids, (qtype, s.answer)
        elif qtype == "multi":
            assert set(s.answer) <= ids, (qtype, s.answer)
        elif qtype == "truefalse":
            assert s.answer in (True, False)
        elif qtype in ("matching", "ordering") and isinstance(s.answer, dict):
            assert set(s.answer) <= ids, (qtype, s.answer)


def test_forged_option_ids_never_give_marks(live_attempt, session):
    client, attempt = live_attempt
    for slot in attempt.slots:
        n = slot.slot_no
        forged = {"slot": n, f"q{n}": ["o99", "o1' OR 1=1", "true1"], f"q{n}-s1": "c99", f"q{n}-i1": "99"}
        client.post(f"/quizzes/attempts/{attempt.id}/autosave", data=forged)
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 302
    db.session.expire_all()
    graded = db.session.get(type(attempt), attempt.id)
    expected = sum(
        round(
            qtypes.grade_answer(s.question_version.question.qtype, s.question_version.config, s.answer).fraction
            * s.max_mark,
            7,
        )
        for s in graded.slots
    )
    assert graded.score == pytest.approx(expected)
    assert all(s.mark == 0 for s in graded.slots if s.answer is None)
