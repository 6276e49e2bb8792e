"""Question bank: import all-or-nothing with errors by line, versions, export, bank pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org.models import Official
from lms.topics import Topic
from quizzes import gift, services
from quizzes.models import AttemptSlot, Question, QuestionVersion
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz, question

GOOD = """$CATEGORY: email/an-toan
::E-1:: Thư lạ có tệp đính kèm .exe thì làm gì? {
=Không mở, báo bộ phận CNTT#Đúng
~Mở ra xem#Sai
}

::E-2:: Hộp thư công vụ dùng tên miền .gov.vn {T}

::E-3:: Viết một đoạn về an toàn thư {}
"""

BAD = """$CATEGORY: email/an-toan
::E-1:: Câu đúng {=A ~B}

::E-2:: Câu thiếu đáp án đúng {~A ~B}

::E-3:: Số sai {#abc}
"""


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def staff(client, session):
    user = make_user(session, Role.IT_STAFF)
    login_as(client, user)
    return user


def test_import_service_is_all_or_nothing(session):
    good = question("single", category="email/a")
    bad = question("single", category="email/a", config={"options": [{"id": "o1", "text": "A", "fraction": 0.0}]})
    bad.line = 12
    with pytest.raises(services.QuestionImportError) as info:
        services.import_questions(session, [good, bad], Topic.EMAIL, NOW)
    assert [e.line for e in info.value.errors] == [12, 12]
    assert _count(session, Question) == 0


def test_import_refuses_a_category_of_another_topic(session):
    with pytest.raises(services.QuestionImportError) as info:
        services.import_questions(session, [question(category="security/x")], Topic.EMAIL, NOW)
    assert "không thuộc chủ đề" in info.value.errors[0].message


def test_gift_upload_with_errors_lists_them_by_line_and_writes_nothing(client, session, staff):
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(BAD.encode()), "bad.gift")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400, "a refused import says so in its status, with the same report"
    assert 'id="import-errors"' in page and 'id="file"' in page  # the report and the upload form again
    assert "<td>4</td>" in page and "<td>6</td>" in page
    assert _count(session, Question) == 0


def test_gift_upload_preview_then_confirm_writes_everything(client, session, staff):
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(GOOD.encode()), "good.gift")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="import-preview"' in page and 'id="import-unsupported"' in page
    assert "<td>9</td>" in page  # the essay's line
    assert _count(session, Question) == 0  # nothing before the confirmation
    assert 'name="skip_unsupported"' in page  # the page's --skip-unsupported
    assert "Khi xác nhận: 2 câu hỏi mới, 0 câu đã có được cập nhật" in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    r = client.post("/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Bỏ qua..." in page and 'id="import-unsupported"' in page
    assert _count(session, Question) == 0, "the essay is not skipped unless the box is ticked"
    r = client.post(
        "/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email", "skip_unsupported": "y"}
    )
    assert r.status_code == 302
    assert _count(session, Question) == 2
    assert session.scalar(select(Question).where(Question.title == "E-2")).category.path == "email/an-toan"
    # importing the same file again changes nothing
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(GOOD.encode()), "good.gift")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert "Khi xác nhận: 0 câu hỏi mới, 0 câu đã có được cập nhật" in page and "2 câu đã có và không đổi." in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email", "skip_unsupported": "y"}
    )
    assert _count(session, Question) == 2 and _count(session, QuestionVersion) == 2


def test_import_refused_at_the_confirmation_is_a_400_with_the_report(client, session, staff):
    """The bank changed between the preview and the confirmation: nothing is written, the page says why."""
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(GOOD.encode()), "good.gift")},
        content_type="multipart/form-data",
    )
    token = r.get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]
    meanwhile = gift.parse_gift("$CATEGORY: email/an-toan\n::E-2:: Đã có, một lựa chọn {=A ~B}\n")
    services.import_questions(session, meanwhile.questions, Topic.EMAIL, NOW)
    session.commit()
    r = client.post(
        "/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email", "skip_unsupported": "y"}
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="import-errors"' in page and "E-2" in page and "loại khác" in page
    assert _count(session, Question) == 1, "all or nothing: E-1 was not written either"


def test_wrong_file_type_for_the_question_import_is_a_400(client, session, staff):
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(b"%PDF-1.7"), "cau-hoi.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "Chỉ nhận tệp" in r.get_data(as_text=True)
    assert client.get("/quizzes/bank/import").status_code == 200


def test_file_without_any_question_is_refused(client, session, staff):
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO("Chỉ là một dòng chữ\n".encode()), "cau-hoi.gift")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Không tìm thấy câu hỏi nào" in page
    assert 'id="import-preview"' not in page


def test_csv_upload_errors_name_row_and_column(client, session, staff):
    csv_text = (
        "type,category,title,question,option_1,option_2,correct\n"
        "single,email/a,A-1,Câu một?,Có,Không,1\n"
        "single,email/a,A-2,Câu hai?,Có,Không,\n"
        "banana,email/a,A-3,Câu ba?,Có,Không,1\n"
    )
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(csv_text.encode()), "cau-hoi.csv")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    # the column by its heading in the template ("Loại"), not its code ("type")
    assert "<td>3</td>" in page and "<td>4</td>" in page and "<td>Loại</td>" in page
    assert _count(session, Question) == 0


def test_non_utf8_file_is_refused_with_a_message(client, session, staff):
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO("::A:: Câu {T}".encode("cp1258")), "a.gift")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "UTF-8" in r.get_data(as_text=True)


def test_editing_creates_a_version_and_past_attempts_keep_theirs(client, session, staff):
    official = session.get(Official, make_user(session, Role.OFFICIAL).official_id)
    quiz = make_quiz(session)
    attempt = make_attempt(session, quiz, official)
    slot = attempt.slots[0]
    question_ = slot.question_version.question
    old_version_id = slot.question_version_id
    session.commit()
    edit_url = f"/quizzes/bank/questions/{question_.id}/edit"
    text = client.get(edit_url).get_data(as_text=True)
    assert "::" + question_.title + "::" in text.replace("&#39;", "'")
    new_gift = f"::{question_.title}:: Câu hỏi đã sửa? {{=Đúng ~Sai ~Không biết}}"
    r = client.post(edit_url, data={"gift_text": new_gift})
    assert r.status_code == 302
    session.expire_all()
    question_ = session.get(Question, question_.id)
    assert [v.number for v in question_.versions] == [1, 2]
    assert question_.current_version.text == "Câu hỏi đã sửa?"
    assert session.get(AttemptSlot, slot.id).question_version_id == old_version_id
    # the type cannot change; the form says why
    r = client.post(edit_url, data={"gift_text": f"::{question_.title}:: Đúng hay sai? {{T}}"})
    assert "Không đổi được loại câu hỏi" in r.get_data(as_text=True)
    # a new attempt (another quiz with the same bank) draws the new version
    services.submit_attempt(session, attempt.id, NOW)
    fresh = make_attempt(session, make_quiz(session, {question_.category.path: question_.category}), official)
    assert question_.current_version_id in {s.question_version_id for s in fresh.slots}


def test_export_round_trips(client, session, staff):
    make_bank(session, per_category={"email/a": 3, "email/b": 2}, qtypes=["single", "multi", "matching"])
    session.commit()
    r = client.get("/quizzes/bank/export.gift?topic=email")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    result = gift.parse_gift(r.get_data(as_text=True))
    assert result.ok and len(result.questions) == 5
    assert {q.category for q in result.questions} == {"email/a", "email/b"}


def test_bank_list_search_and_preview(client, session, staff):
    cats = make_bank(session, per_category={"email/a": 30})
    session.commit()
    page = client.get("/quizzes/bank?topic=email").get_data(as_text=True)
    assert "Trang 1 / 2" in page
    one = cats["email/a"].questions[0]
    page = client.get(f"/quizzes/bank?q={one.title}").get_data(as_text=True)
    assert one.title in page and "Tổng 1 mục" in page
    detail = client.get(f"/quizzes/bank/questions/{one.id}").get_data(as_text=True)
    assert 'id="question-preview"' in detail and 'id="right-answer"' in detail


def test_import_templates_download(client, staff):
    assert client.get("/quizzes/bank/import/template.csv").status_code == 200
    assert client.get("/quizzes/bank/import/template.xlsx").data[:2] == b"PK"


def test_the_bank_lists_questions_in_words_not_codes(client, session, staff):
    """Before: the difficulty 'medium', the category slug 'email/an-toan' and only the title
    'EMAIL-06-01' in the 'Tên' column."""
    data = question(
        title="EMAIL-06-01", category="email/an-toan", difficulty="medium", text="<p>Mật khẩu mạnh là gì?</p>"
    )
    services.import_questions(session, [data], Topic.EMAIL, NOW)
    session.commit()
    login_as(client, staff)
    html = client.get("/quizzes/bank").text
    row = html[html.index("EMAIL-06-01") :].split("</tr>")[0]
    assert "Mật khẩu mạnh là gì?" in row
    assert "Trung bình" in row and "medium" not in row
    assert "email/an-toan" not in row and f"{Topic.EMAIL.label} › An toan" in row
    q = session.scalar(select(Question).where(Question.title == "EMAIL-06-01"))
    detail = client.get(f"/quizzes/bank/questions/{q.id}").text
    assert "độ khó: Trung bình" in detail and "email/an-toan" not in detail
