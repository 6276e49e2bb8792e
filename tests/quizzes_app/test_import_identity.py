"""Which bank question an imported question is: idnumber, else content, else a name unique on both
sides, else a new question. Names may repeat (Moodle allows it); re-imports stay idempotent."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org.models import Official
from lms.topics import Topic
from quizzes import gift, services
from quizzes.models import AttemptSlot, Question, QuestionCategory, QuestionVersion
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz

DOC_LAYOUT = (Path(__file__).resolve().parents[1] / "data" / "gift_doc_structure.gift").read_text(encoding="utf-8")


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _parse(text: str) -> list[gift.QuestionData]:
    result = gift.parse_gift(text)
    assert result.errors == [], result.errors
    return result.questions


def _import(session, text: str) -> services.ImportSummary:
    return services.import_questions(session, _parse(text), Topic.EMAIL, NOW)


def _counts(summary) -> tuple[int, int, int]:
    return summary.created, summary.updated, summary.unchanged


def vietnamese_export(texts: list[str]) -> str:
    """A Moodle export whose questions are all named after their category (as some teachers do)."""
    out = [
        "// question: 0  name: Switch category to $course$/top/Mặc định cho Tin học/Chương 1",
        "$CATEGORY: $course$/top/Mặc định cho Tin học/Chương 1",
        "",
    ]
    for number, text in enumerate(texts, start=1):
        out += [
            f"// question: {200 + number}  name: Chương 1",
            f"::Chương 1::[html]<p>{text}</p>{{",
            f"\t=<p>Đúng {number}</p>",
            f"\t~<p>Sai {number}</p>",
            "}",
            "",
        ]
    return "\n".join(out)


ELEVEN = [f"Câu hỏi số {n} về thư điện tử công vụ?" for n in range(1, 12)]


def test_moodle_documentation_layout_imports_every_question_and_reimports_unchanged(session):
    assert _counts(_import(session, DOC_LAYOUT)) == (43, 0, 0)
    assert _count(session, Question) == 43 and _count(session, QuestionVersion) == 43
    assert _counts(_import(session, DOC_LAYOUT)) == (0, 0, 43)
    assert _count(session, Question) == 43 and _count(session, QuestionVersion) == 43


def test_export_where_every_question_bears_its_category_name_imports_and_reimports(session):
    assert _counts(_import(session, vietnamese_export(ELEVEN))) == (11, 0, 0)
    assert session.scalar(select(func.count(func.distinct(Question.title)))) == 1
    assert _counts(_import(session, vietnamese_export(ELEVEN))) == (0, 0, 11)
    # one question edited in a file without idnumbers: nothing says which of the 11 it was
    edited = ELEVEN[:4] + ["Câu hỏi số 5, đã sửa?"] + ELEVEN[5:]
    plan = services.plan_import(session, _parse(vietnamese_export(edited)), Topic.EMAIL)
    assert (plan.created, plan.updated, plan.unchanged) == (1, 0, 10)
    assert [(item.data.line, item.same_title) for item in plan.new_beside_same_title] == [(29, 11)]
    assert _counts(_import(session, vietnamese_export(edited))) == (1, 0, 10)
    assert _count(session, Question) == 12, "the old question stays, with its version"


def test_exported_idnumbers_let_an_edited_export_add_versions_while_attempts_keep_theirs(session):
    _import(session, DOC_LAYOUT)
    category = session.scalar(select(QuestionCategory))
    official = session.get(Official, make_user(session, Role.OFFICIAL).official_id)
    attempt = make_attempt(session, make_quiz(session, {category.path: category}), official)
    session.flush()
    exported = services.export_questions(session, "email")
    assert len(re.findall(r"^// \[id:[0-9a-f]{16}\]", exported, flags=re.M)) == 43
    assert _counts(services.import_questions(session, _parse(exported), Topic.EMAIL, NOW)) == (0, 0, 43)

    # edit one of the eight questions named "Ai ký ban hành quyết định giao chỉ tiêu?" in the exported file
    target = session.scalars(
        select(Question).where(Question.title == "Ai ký ban hành quyết định giao chỉ tiêu?").order_by(Question.id)
    ).all()[3]
    old_version_id = target.current_version_id
    shown = session.scalar(select(AttemptSlot).where(AttemptSlot.question_version_id == old_version_id))
    assert shown is not None and shown.attempt_id == attempt.id  # the quiz drew every question
    edited = exported.replace(
        f"// [id:{target.idnumber}]\n::Ai ký ban hành quyết định giao chỉ tiêu?::[html]Ai ký",
        f"// [id:{target.idnumber}]\n::Người ký quyết định::[html]Theo quy chế, ai ký",
    )
    assert edited != exported
    assert _counts(services.import_questions(session, _parse(edited), Topic.EMAIL, NOW)) == (0, 1, 42)
    session.expire_all()
    target = session.get(Question, target.id)
    assert [v.number for v in target.versions] == [1, 2] and target.title == "Người ký quyết định"
    assert target.current_version.text.startswith("Theo quy chế, ai ký")
    assert session.get(AttemptSlot, shown.id).question_version_id == old_version_id
    assert _count(session, Question) == 43


def test_an_idnumber_given_by_the_file_is_kept_and_finds_its_question(session):
    _import(session, "// [id:EMAIL-07]\n::Tên cũ::Thư công vụ có được chuyển tiếp ra ngoài?{F}")
    question = session.scalar(select(Question))
    assert question.idnumber == "EMAIL-07"
    renamed = "// [id:EMAIL-07]\n::Tên mới::Thư công vụ có được tự động chuyển tiếp ra ngoài?{F}"
    assert _counts(_import(session, renamed)) == (0, 1, 0)
    session.refresh(question)
    assert question.title == "Tên mới" and len(question.versions) == 2
    # the same idnumber in another category is another question
    assert _counts(_import(session, "$CATEGORY: email/khac\n\n// [id:EMAIL-07]\n::Tên mới::Câu khác?{T}")) == (
        1,
        0,
        0,
    )
    with pytest.raises(services.QuestionImportError) as info:
        _import(session, "// [id:EMAIL-07]\n::Tên mới::Chọn một?{=a ~b}")
    assert [e.line for e in info.value.errors] == [2] and "mã [id:EMAIL-07] với loại khác" in info.value.errors[
        0
    ].message


def test_a_hand_written_file_with_unique_names_still_updates_its_questions_in_place(session):
    _import(session, "::A::Câu một?{T}\n\n::B::Câu hai?{T}")
    assert _counts(_import(session, "::A::Câu một, đã sửa?{T}\n\n::B::Câu hai?{T}")) == (0, 1, 1)
    a = session.scalar(select(Question).where(Question.title == "A"))
    assert _count(session, Question) == 2 and len(a.versions) == 2


def test_identical_questions_pair_off_one_to_one(session):
    assert _counts(_import(session, "Câu?{T}\n\nCâu?{T}")) == (2, 0, 0)
    assert _counts(_import(session, "Câu?{T}\n\nCâu?{T}")) == (0, 0, 2)
    assert _counts(_import(session, "Câu?{T}\n\nCâu?{T}\n\nCâu?{T}")) == (1, 0, 2)


def test_an_idnumber_twice_in_one_category_of_the_file_is_refused(session):
    with pytest.raises(services.QuestionImportError) as info:
        _import(session, "// [id:X]\nA{T}\n\n// [id:X]\nB{T}")
    assert [(e.line, "dòng 2" in e.message) for e in info.value.errors] == [(5, True)]
    assert _count(session, Question) == 0
    assert _counts(_import(session, "$CATEGORY: a\n\n// [id:X]\nA{T}\n\n$CATEGORY: b\n\n// [id:X]\nB{T}")) == (2, 0, 0)


def test_new_tags_alone_update_the_question_without_a_version(session):
    _import(session, "// [tag:IU06]\n::A::Câu?{T}")
    assert _counts(_import(session, "// [tag:IU07] [tag:hard]\n::A::Câu?{T}")) == (0, 1, 0)
    question = session.scalar(select(Question))
    assert (question.tags, question.difficulty, len(question.versions)) == (["IU07"], "hard", 1)


# --------------------------------------------------------------------------- the page


@pytest.fixture
def staff(client, session):
    user = make_user(session, Role.IT_STAFF)
    login_as(client, user)
    return user


def _upload(client, text: str):
    return client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(text.encode()), "cau-hoi.gift")},
        content_type="multipart/form-data",
    )


def test_preview_shows_what_was_forgiven_and_new_questions_beside_a_same_name(client, session, staff):
    _import(session, "::Thì::Câu cũ {=a ~b}\n\n::Thì::Câu cũ khác {=a ~b}")
    session.commit()
    r = _upload(client, "::Thì::Tôi thích {~=đi bộ ~để đi bộ} vào buổi sáng.")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    warnings = page.split('id="import-warnings"')[1].split("</table>")[0]
    assert "<td>1</td>" in warnings and "Phương án thứ 1 để trống" in warnings
    same = page.split('id="import-same-title"')[1].split("</table>")[0]
    assert "<td>Thì</td><td>2</td>" in same  # a name borne by two questions cannot say which one this is
    assert "Khi xác nhận: 1 câu hỏi mới" in page


def test_moodle_documentation_layout_through_the_page(client, session, staff):
    r = _upload(client, DOC_LAYOUT)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Xác nhận, ghi 43 câu hỏi" in page and 'id="import-errors"' not in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post("/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email"}).status_code
        == 302
    )
    assert _count(session, Question) == 43
