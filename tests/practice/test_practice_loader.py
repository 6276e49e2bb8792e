"""Scenario files: validation errors name the file and the field; ``import-course`` loads the
practice folder with the course, updates in place and unpublishes what is gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from courses.loader import content_root, load_course_dir
from practice.loader import PracticeContentError, read_scenario
from practice.models import Scenario

VALID = """\
---
title: Gửi báo cáo
app: email
competency: [EMAIL-03]
setup:
  today: 2026-11-20
  me: {name: Nguyễn Văn An, address: an@sonv.vinhphuc.gov.vn}
  contacts:
    - {key: tong-hop, name: Phòng Tổng hợp, address: tonghop@vp.vinhphuc.gov.vn}
  files:
    - {key: bao-cao, name: bao-cao.docx}
  messages:
    - {key: yeu-cau, from: tong-hop, subject: Đề nghị gửi báo cáo, body: Gửi báo cáo nhé., at: "2026-11-19 09:00"}
checks:
  - check: sent
    to: [tong-hop]
    attachments: [bao-cao]
solution:
  - do: send
    to: tonghop@vpubnd.vinhphuc.gov.vn
    subject: Gửi báo cáo quý
    body: Gửi kèm báo cáo.
    files: [bao-cao]
---
Gửi báo cáo cho Phòng Tổng hợp.
"""
VALID = VALID.replace("tonghop@vpubnd.vinhphuc.gov.vn", "tonghop@vp.vinhphuc.gov.vn")


def _write(folder: Path, text: str, name: str = "01-gui-bao-cao.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_valid_example_loads(tmp_path):
    source = read_scenario(_write(tmp_path, VALID), {"EMAIL-03"})
    assert (source.slug, source.position, source.app) == ("gui-bao-cao", 1, "email")


BROKEN = [
    ("title: Gửi báo cáo", "title: Gửi báo cáo\nfoo: 1", "(header): unknown key 'foo'"),
    ("app: email", "app: chat", "app: 'chat' is not one of: qlvb, portal, email"),
    ("competency: [EMAIL-03]", "competency: [EMAIL-99]", "competency[0]: 'EMAIL-99' is not a code used by"),
    ("  today: 2026-11-20\n", "", "setup.today: is missing"),
    ('at: "2026-11-19 09:00"', 'at: "hôm qua"', "setup.messages[0].at: must be a date and time"),
    ("from: tong-hop", "from: sep", "setup.messages[0].from: no contact 'sep'"),
    ("  - check: sent", "  - check: sendt", "checks[0].check: 'sendt' is not one of"),
    ("    to: [tong-hop]", "    to: [sep]", "checks[0].to[0]: no contact 'sep'"),
    (
        "    to: [tong-hop]",
        "    to: [tong-hop]\n    hints: {typo: Xem lại}",
        "checks[0].hints: 'typo' is not a condition",
    ),
    ("    to: [tong-hop]", "    to: [tong-hop]\n    subjekt: x", "checks[0]: unknown key 'subjekt'"),
    ("  - do: send", "  - do: fly", "solution[0].do: 'fly' is not one of"),
    ("    to: tonghop@vp.vinhphuc.gov.vn", "    to: khong-phai-dia-chi", "solution[0]: the step fails (field 'to')"),
    ("    files: [bao-cao]", "    files: []", "checks[0]: the solution does not pass this check (missing_attachment)"),
    (
        "    attachments: [bao-cao]",
        "    attachments: []\n    strict: false\n    to: []\n    bcc: []",
        "checks[0]: needs 'to'",
    ),
    ("Gửi báo cáo cho Phòng Tổng hợp.", "", "the file has no task text"),
    ("title: Gửi báo cáo", "title: [Gửi", "invalid YAML header (header line"),
    ("  today: 2026-11-20", "  today: 2026-13-20", "invalid YAML header: month must be in 1..12"),
]


@pytest.mark.parametrize("old,new,message", BROKEN, ids=[b[2][:40] for b in BROKEN])
def test_errors_name_the_file_and_the_field(tmp_path, old, new, message):
    assert old in VALID
    path = _write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(PracticeContentError) as caught:
        read_scenario(path, {"EMAIL-03"})
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_scenario_already_done_at_the_start_is_refused(tmp_path):
    """Checks that the starting state passes would record a success for doing nothing."""
    text = VALID.replace(
        "    - {key: bao-cao, name: bao-cao.docx}", "    - {key: bao-cao, name: bao-cao.docx, classified: mat}"
    )
    text = text.replace(
        "  - check: sent\n    to: [tong-hop]\n    attachments: [bao-cao]", "  - check: no_classified_sent"
    )
    with pytest.raises(PracticeContentError, match="checks: the starting state already passes every check"):
        read_scenario(_write(tmp_path, text), {"EMAIL-03"})


def test_file_names_must_be_numbered_and_slugs_unique(tmp_path):
    with pytest.raises(PracticeContentError, match="must be named NN-<slug>.md"):
        read_scenario(_write(tmp_path, VALID, "gui bao cao.md"))
    from practice.loader import read_practice_dir

    folder = tmp_path / "practice"
    _write(folder, VALID, "01-gui.md")
    _write(folder, VALID, "02-gui.md")
    with pytest.raises(PracticeContentError, match="02-gui.md: the scenario slug 'gui' is also used by"):
        read_practice_dir(folder)


def _course_copy(tmp_path) -> Path:
    """A copy of the bundled e-mail course, to change its practice folder."""
    folder = tmp_path / "email"
    shutil.copytree(content_root() / "email", folder)
    return folder


def _scenarios(session, course_id):
    return {
        s.slug: s
        for s in session.scalars(select(Scenario).where(Scenario.course_id == course_id).order_by(Scenario.id))
    }


def test_loading_a_course_loads_its_practice_folder_and_reloading_updates_in_place(session, tmp_path):
    folder = _course_copy(tmp_path)
    course = load_course_dir(session, folder)
    first = _scenarios(session, course.id)
    assert len(first) == len(list((folder / "practice").glob("*.md"))) >= 4
    assert all(s.published and s.topic.value == "email" and s.course_title == course.title for s in first.values())
    assert "EMAIL-03" in first["gui-bao-cao-co-tep-dinh-kem"].competency
    ids = {slug: s.id for slug, s in first.items()}
    old_hash = first["gui-bao-cao-co-tep-dinh-kem"].spec_hash

    changed = folder / "practice" / "01-gui-bao-cao-co-tep-dinh-kem.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Phòng Tổng hợp của", "Phòng Tổng hợp thuộc"))
    (folder / "practice" / "06-sap-xep-thu-vao-thu-muc.md").unlink()
    load_course_dir(session, folder)
    again = _scenarios(session, course.id)
    assert {slug: s.id for slug, s in again.items()} == ids  # updated in place, nothing deleted
    assert again["gui-bao-cao-co-tep-dinh-kem"].spec_hash != old_hash
    assert not again["sap-xep-thu-vao-thu-muc"].published
    assert sum(s.published for s in again.values()) == len(ids) - 1


def test_a_broken_scenario_file_refuses_the_whole_import(app, session, tmp_path):
    folder = _course_copy(tmp_path)
    broken = folder / "practice" / "03-tra-loi-tu-dong-khi-nghi-phep.md"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace(
            "end: 2026-11-25\n    body_contains", "end: 25/13/2026\n    body_contains"
        )
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "import-course", str(folder)])
    assert result.exit_code != 0
    assert f"{broken}: checks[0].end: must be a date YYYY-MM-DD" in result.output
    session.rollback()
    from courses.models import Course

    assert session.scalar(select(Course).where(Course.slug == "email")) is None  # nothing written


def test_import_course_command_loads_the_practice_folder(app, session, tmp_path):
    folder = _course_copy(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "import-course", str(folder)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(Scenario).where(Scenario.slug == "gui-nhieu-co-quan-dung-bcc")) is not None


def test_import_course_check_validates_everything_and_writes_nothing(app, session, tmp_path, monkeypatch):
    media = tmp_path / "media"
    monkeypatch.setitem(app.config, "COURSE_MEDIA_DIR", str(media))
    folder = _course_copy(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "import-course", "--check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "email: " in result.output and "nothing was written" in result.output
    session.expire_all()
    from courses.models import Course

    assert session.scalar(select(Course).where(Course.slug == "email")) is None
    assert session.scalar(select(Scenario).where(Scenario.slug == "gui-nhieu-co-quan-dung-bcc")) is None
    assert not media.exists()  # the images went to a temporary folder
    broken = folder / "practice" / "07-gui-nhieu-co-quan-dung-bcc.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("app: email", "app: fax"), encoding="utf-8")
    result = runner.invoke(args=["lms", "import-course", "--check", str(folder)])
    assert result.exit_code != 0 and f"{broken}: app:" in result.output


def test_task_markdown_is_sanitized(tmp_path):
    text = VALID.replace(
        "Gửi báo cáo cho Phòng Tổng hợp.",
        "Gửi **báo cáo**. <script>alert(1)</script> [x](javascript:alert(1)) ![a](x.png)",
    )
    from practice.loader import render_task

    html = render_task(read_scenario(_write(tmp_path, text), {"EMAIL-03"}).task_md)
    assert "<strong>báo cáo</strong>" in html
    assert "&lt;script&gt;" in html and "<script" not in html  # raw HTML is shown as text
    assert "href" not in html and "<a " not in html and "<img" not in html  # no links, no images
