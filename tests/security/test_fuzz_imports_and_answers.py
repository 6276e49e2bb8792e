"""Fuzzing with Hypothesis (modest ``max_examples``: the whole file runs in seconds).

* Importers (questions: GIFT, CSV, XLSX; units and officials: CSV, XLSX) get random and mutated files:
  they fail only with their documented error types, with a readable message, and all or nothing.
  The files go through the import commands (``flask lms import-questions / import-units /
  import-officials``), which own their transaction as a request does, and the row counts are read
  through a new database connection: what is committed, not what this test's session holds.
* The attempt endpoints get random forms (random keys and values, forged option ids): never a 500,
  nothing stored that is not one of the question's own options; forged ids score 0, and a right
  answer sent with forged ids beside it gets the marks the test computes from the question itself.
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
from quizzes import gift, tabular
from quizzes.models import AttemptSlot, Question, QuestionVersion
from tests.factories import login_as, make_unit, make_user
from tests.quizzes_app.factories import QTYPES, make_attempt, make_bank, make_quiz
from tests.security import sweep

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


def committed_counts(*models) -> tuple[int, ...]:
    """Row counts read through a new connection: what the database holds, whatever this test's
    session has pending (it is shared with the command under test)."""
    with db.engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(m)) for m in models)


def cli_import(runner, path, args: list[str], models) -> bool:
    """Run an import command on ``path``: it succeeds, or fails with a message and commits nothing."""
    before = committed_counts(*models)
    result = runner.invoke(args=["lms", *args[:1], str(path), *args[1:]])
    if result.exit_code == 0:
        return True
    assert isinstance(result.exception, SystemExit), f"{type(result.exception).__name__}: {result.exception}"
    assert "Error:" in result.output, result.output  # click's message for the refusal
    assert committed_counts(*models) == before, "a refused file wrote rows"
    return False


QUESTION_MODELS = (Question, QuestionVersion)


def _import_questions(runner, tmp_path, data: bytes, suffix: str) -> bool:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    return cli_import(runner, path, ["import-questions", "--topic", "email"], QUESTION_MODELS)


# --------------------------------------------------------------------------- question importers


@FUZZ
@given(edits=mutations, noise=st.text(max_size=200))
def test_gift_parser_and_import_never_crash(runner, tmp_path, edits, noise):
    text = _mutate(VALID_GIFT, edits) + noise
    result = gift.parse_gift(text)
    for error in result.errors:
        assert isinstance(error.line, int) and error.message
    _import_questions(runner, tmp_path, text.encode(), ".gift")


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
def test_question_csv_import_never_crashes(runner, tmp_path, rows, raw, use_raw):
    header = tabular.template_csv().splitlines()[0].split(",")
    data = raw if use_raw else _csv_bytes([header] + rows)
    try:
        records = tabular.read_csv(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert all(e.message for e in tabular.parse_rows(records).errors)
    _import_questions(runner, tmp_path, data, ".csv")


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
def test_question_xlsx_import_never_crashes(runner, tmp_path, rows, cut, flip):
    header = tabular.template_csv().splitlines()[0].split(",")
    data = _xlsx([header] + rows)
    if cut % 3 == 0:  # a damaged file
        pos = cut % len(data)
        data = data[:pos] + bytes([flip]) + data[pos + 1 :]
    try:
        records = tabular.read_xlsx(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert all(e.message for e in tabular.parse_rows(records).errors)
    _import_questions(runner, tmp_path, data, ".xlsx")


# --------------------------------------------------------------------------- units and officials


ORG_MODELS = (Unit, Official)


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
def test_org_import_is_all_or_nothing(runner, tmp_path, session, kind, ext, rows, raw, use_raw):
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
    path = tmp_path / f"fuzz.{ext}"
    path.write_bytes(data)
    cli_import(runner, path, [f"import-{kind}"], ORG_MODELS)


def test_org_import_view_failed_file_leaves_no_row(client, session):
    """The same through the page: one bad row among good ones, nothing is written."""
    unit = make_unit(session, code="U0001")
    login_as(client, make_user(session, Role.IT_STAFF))
    before = committed_counts(*ORG_MODELS)
    data = _csv_bytes(
        [["Họ và tên", "Mã đơn vị", "Mã cán bộ"], ["Lê Văn Một", unit.code, "A1"], ["Lê Văn Hai", "KHONG-CO", "A2"]]
    )
    preview, confirmed = sweep.import_through_the_page(client, "officials", data, "x.csv")
    assert preview.status_code == 400 and confirmed is None
    assert committed_counts(*ORG_MODELS) == before
    # and the good row alone is written: the check above can fail
    good = _csv_bytes([["Họ và tên", "Mã đơn vị", "Mã cán bộ"], ["Lê Văn Một", unit.code, "A1"]])
    preview, confirmed = sweep.import_through_the_page(client, "officials", good, "x.csv")
    assert preview.status_code == 200 and confirmed.status_code == 302
    assert committed_counts(*ORG_MODELS) == (before[0], before[1] + 1)


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


FORGED = ["o99", "o1' OR 1=1", "true1", "-1", "../o1", ""]


def _forged_form(n: int) -> dict:
    return {"slot": n, f"q{n}": FORGED, f"q{n}-s1": "c99", f"q{n}-i1": "99", f"q{n}-o99": "1", f"q{n}-x": "on"}


def _right_ids(qtype: str, config: dict):
    """The full-marks answer, read from the question's own config (not from the grading code)."""
    if qtype == "single":
        return [next(o["id"] for o in config["options"] if o["fraction"] == 1.0)]
    if qtype == "multi":
        return [o["id"] for o in config["options"] if o["fraction"] > 0]
    if qtype == "truefalse":
        return ["true" if config["correct"] else "false"]
    return None


def test_forged_option_ids_never_give_marks(live_attempt, session):
    client, attempt = live_attempt
    for slot in attempt.slots:
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data=_forged_form(slot.slot_no))
        assert r.status_code in (200, 400), r.status_code
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 302
    db.session.expire_all()
    graded = db.session.get(type(attempt), attempt.id)
    assert graded.graded_at is not None
    for s in graded.slots:
        qtype = s.question_version.question.qtype
        assert s.mark == 0, (qtype, s.answer, s.mark)
        if qtype not in ("shortanswer", "numerical"):  # free text: "o99" is a (wrong) answer of its own
            assert s.answer is None, f"{qtype}: a forged id was stored: {s.answer!r}"
    assert graded.score == 0


def test_a_right_answer_with_forged_ids_beside_it_gets_exactly_its_marks(live_attempt, session):
    """Forged ids next to the right options neither add nor take away: the mark is the one computed
    here from the question's config (each choice type's right options give its full mark)."""
    client, attempt = live_attempt
    expected = 0.0
    for slot in attempt.slots:
        qtype, config = slot.question_version.question.qtype, slot.question_version.config
        right = _right_ids(qtype, config)
        if right is None:
            continue  # text, number, matching, ordering: left unanswered, 0
        n = slot.slot_no
        form = {**_forged_form(n), f"q{n}": right + FORGED}
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data=form)
        assert r.status_code == 200 and r.json["answered"], r.get_data(as_text=True)
        expected += slot.max_mark
    assert expected > 0
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 302
    db.session.expire_all()
    graded = db.session.get(type(attempt), attempt.id)
    for s in graded.slots:
        qtype, config = s.question_version.question.qtype, s.question_version.config
        right = _right_ids(qtype, config)
        if right is None:
            assert s.answer is None and s.mark == 0
        elif qtype == "truefalse":
            assert s.answer is config["correct"] and s.mark == s.max_mark
        elif qtype == "single":
            assert s.answer == right[0] and s.mark == s.max_mark
        else:
            assert sorted(s.answer) == sorted(right) and s.mark == s.max_mark
    assert graded.score == pytest.approx(expected)
