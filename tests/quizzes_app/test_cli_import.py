"""``flask lms import-questions FILE --topic TOPIC``: the import page's rules, from the shell."""

from pathlib import Path

from sqlalchemy import func, select

from quizzes.models import Question

BANK = Path(__file__).resolve().parents[2] / "quizzes" / "banks" / "email.gift"


def count(session):
    return session.scalar(select(func.count()).select_from(Question))


def test_imports_a_bank_and_prints_a_summary(runner, session):
    result = runner.invoke(args=["lms", "import-questions", str(BANK), "--topic", "email"])
    assert result.exit_code == 0, result.output
    assert "câu mới" in result.output and "email/" in result.output
    first = count(session)
    assert first >= 40
    again = runner.invoke(args=["lms", "import-questions", str(BANK), "--topic", "email"])
    assert again.exit_code == 0 and f"{first} câu không đổi" in again.output
    assert count(session) == first


def test_a_syntax_error_writes_nothing_and_names_the_line(runner, session, tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text("::A:: Câu đúng {=có ~không}\n\n::B:: Câu hỏng {=một ~hai\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email"])
    assert result.exit_code != 0
    assert "Dòng 3" in result.output
    assert count(session) == 0


def test_unsupported_types_need_confirmation(runner, session, tmp_path):
    path = tmp_path / "mixed.gift"
    path.write_text("::A:: Câu đúng {=có ~không}\n\n::E:: Viết một đoạn văn {}\n", encoding="utf-8")
    refused = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email"])
    assert refused.exit_code != 0 and "--skip-unsupported" in refused.output
    assert count(session) == 0
    accepted = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email", "--skip-unsupported"])
    assert accepted.exit_code == 0 and "1 câu bỏ qua" in accepted.output
    assert count(session) == 1


def test_wrong_file_type(runner, tmp_path):
    path = tmp_path / "questions.pdf"
    path.write_bytes(b"%PDF-1.4")
    result = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email"])
    assert result.exit_code != 0 and ".gift" in result.output


def test_what_moodle_forgives_is_imported_and_said(runner, session, tmp_path):
    path = tmp_path / "forgiven.gift"
    path.write_text("::A:: Tôi thích {~=đi bộ ~để đi bộ} vào buổi sáng.\n\n::A:: Thủ đô? {Hà Nội}\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email"])
    assert result.exit_code == 0, result.output
    assert "Dòng 1: lưu ý: Câu hỏi «A»: Phương án thứ 1 để trống" in result.output
    assert "Dòng 3: lưu ý: Câu hỏi «A»: «Hà Nội» đứng trước" in result.output
    assert count(session) == 2  # two questions of the same name


def test_a_csv_error_names_the_column_by_its_heading_as_the_page_does(runner, session, tmp_path):
    """The shell names the column as the import page does ("Đáp án đúng", the template's heading),
    not by its internal key ("correct")."""
    path = tmp_path / "cau-hoi.csv"
    path.write_text(
        "Loại,Danh mục,Câu hỏi,Phương án 1,Phương án 2,Đáp án đúng\n"
        "một lựa chọn,email/a,Câu một?,Có,Không,1\n"
        "một lựa chọn,email/a,Câu hai?,Có,Không,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["lms", "import-questions", str(path), "--topic", "email"])
    assert result.exit_code != 0
    assert "Dòng 3, cột «Đáp án đúng»: Chưa ghi đáp án đúng" in result.output, result.output
    assert "correct" not in result.output
    assert count(session) == 0
