"""Each importer's error report reads in the reader's language: the row messages of the officials,
question and usage imports go through the catalog, so IT staff working in English read English
(before: the question importer's messages were Vietnamese in the English UI)."""

from __future__ import annotations

import io
import unicodedata

from adoption.models import System
from adoption.months import add_months, local_today, month_start
from lms.auth.models import Role
from tests.adoption_app.factories import small_province, usage_csv
from tests.factories import login_as, make_unit, make_user
from tests.test_imports import HEADER
from tests.test_number_format import visible_text

BAD_GIFT = """$CATEGORY: email/an-toan
::E-2:: Câu thiếu đáp án đúng {~A ~B}

::E-3:: Số sai {#abc}
"""
BAD_CSV = (
    "Loại,Câu hỏi,Phương án 1,Phương án 2,Đáp án đúng,Độ khó\nmột lựa chọn,Câu?,a,b,5,rất khó\nchọn,Câu 2?,a,b,1,\n"
)


def _report(response) -> str:
    """The error table's text."""
    html = unicodedata.normalize("NFC", response.get_data(as_text=True))
    return visible_text(html.split('id="import-errors"', 1)[1].split("</table>", 1)[0])


def _staff(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))


def test_the_officials_import_report_in_english(client, session):
    make_unit(session, code="STTTT")
    _staff(client, session)
    bad = HEADER + "VP-1,Nguyễn,Văn,An,,sai-email,,STTTT,,,,năm ngoái,có\n" + "VP-2,,,,,,,KHONGCO,,,,1980,có\n"
    r = client.post(
        "/org/import?lang=en",
        data={"kind": "officials", "file": (io.BytesIO(bad.encode()), "ds.csv")},
        content_type="multipart/form-data",
    )
    report = _report(r)
    assert r.status_code == 400
    assert "E-mail address “sai-email” is not valid." in report
    assert "There is no unit with the code “KHONGCO”" in report
    assert "không" not in report and "Thiếu" not in report


def test_the_question_import_report_in_english(client, session):
    _staff(client, session)
    r = client.post(
        "/quizzes/bank/import?lang=en",
        data={"topic": "email", "file": (io.BytesIO(BAD_GIFT.encode()), "bad.gift")},
        content_type="multipart/form-data",
    )
    report = _report(r)
    assert r.status_code == 400
    assert "Question «E-2»: The question has no right answer (an option with a positive weight)." in report
    assert "Invalid number in a numerical question: «abc»." in report
    r = client.post(
        "/quizzes/bank/import?lang=en",
        data={"topic": "email", "file": (io.BytesIO(BAD_CSV.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    report = _report(r)
    assert "Write the difficulty as «dễ», «trung bình» or «khó» (or easy, medium, hard)." in report
    assert "The question type «chọn» is not valid. Write one of:" in report
    assert "Câu hỏi" not in report and "không" not in report


def test_the_question_import_reads_the_template_words_in_vietnamese(client, session):
    _staff(client, session)
    good = "Loại,Câu hỏi,Phương án 1,Phương án 2,Đáp án đúng,Độ khó\nmột lựa chọn,Câu?,a,b,2,Trung bình\n"
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(good.encode()), "ok.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and 'id="import-errors"' not in r.get_data(as_text=True)


def test_the_usage_import_report_in_english(client, session):
    small_province(session)
    _staff(client, session)
    month = add_months(month_start(local_today()), -1).strftime("%Y-%m")
    data = usage_csv(System.EMAIL, [{"mailbox": "a1@thu.gov.vn", "last_login": "ngày mai"}])
    r = client.post(
        "/adoption/import?lang=en",
        data={"system": "email", "month": month, "file": (io.BytesIO(data), "thu.csv")},
        content_type="multipart/form-data",
    )
    report = _report(r)
    assert r.status_code == 400
    assert "The date “ngày mai” is not in day/month/year form." in report
    assert "không đúng dạng" not in report
