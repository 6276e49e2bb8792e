"""Question uploads never confirmed are removed after ``QUIZ_IMPORT_MAX_AGE_HOURS`` (24 by default):
at every new upload and by ``flask lms purge-quiz-imports``; a confirmation after that asks to
upload again."""

from __future__ import annotations

import io
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.storage import DirectoryStore
from quizzes import services
from quizzes.models import Question
from tests.factories import login_as, make_user

GOOD = "$CATEGORY: email/an-toan\n::E-1:: Hộp thư công vụ dùng tên miền .gov.vn {T}\n"
HOUR = 3600


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    """An upload folder of this test's own: Flask's instance folder is the checkout's ``instance/``,
    shared by both xdist workers and by a development server, so it is never emptied here."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    path = Path(app.instance_path) / services.IMPORT_AREA
    path.mkdir(parents=True)
    return path


def test_the_upload_folder_is_not_the_checkouts_instance_folder(folder, tmp_path):
    assert folder.is_relative_to(tmp_path)


def _upload_file(folder, age_hours: float, ext: str = "gift"):
    path = folder / f"{secrets.token_hex(16)}.{ext}"
    path.write_text(GOOD, encoding="utf-8")
    then = time.time() - age_hours * HOUR
    os.utime(path, (then, then))
    return path


def _upload(client, text: str = GOOD):
    return client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(text.encode()), "cau-hoi.gift")},
        content_type="multipart/form-data",
    )


def _token(response) -> str:
    return response.get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]


def test_purge_removes_only_files_older_than_the_limit(folder):
    old = _upload_file(folder, 25)
    old_xlsx = _upload_file(folder, 72, "xlsx")
    young = _upload_file(folder, 23)
    stranger = folder / "ghi-chu.txt"  # not a name the import page gives: never touched
    stranger.write_text("x")
    os.utime(stranger, (time.time() - 100 * HOUR,) * 2)
    now = datetime.now(UTC)
    assert services.purge_import_uploads(DirectoryStore(folder), now, 24) == 2
    assert not old.exists() and not old_xlsx.exists()
    assert young.exists() and stranger.exists()
    assert services.purge_import_uploads(DirectoryStore(folder), now, 24) == 0
    assert services.purge_import_uploads(DirectoryStore(folder / "missing"), now, 24) == 0
    with pytest.raises(ValueError):
        services.purge_import_uploads(DirectoryStore(folder), now, 0)


def test_a_new_upload_purges_the_old_ones_and_keeps_the_young(client, session, folder, app, monkeypatch):
    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    old, young = _upload_file(folder, 30), _upload_file(folder, 20)
    r = _upload(client)
    assert r.status_code == 200
    assert not old.exists() and young.exists()
    assert (folder / _token(r)).exists()
    assert "được giữ trên máy chủ 24 giờ" in r.get_data(as_text=True)
    # the limit is configurable
    monkeypatch.setitem(app.config, "QUIZ_IMPORT_MAX_AGE_HOURS", "12")
    assert _upload(client).status_code == 200
    assert not young.exists()


def test_cli_prints_how_many_files_it_removed(runner, folder):
    for age in (25, 48):
        _upload_file(folder, age)
    two_hours = _upload_file(folder, 2)
    result = runner.invoke(args=["lms", "purge-quiz-imports"])
    assert result.exit_code == 0, result.output
    assert "Đã xóa 2 tệp" in result.output
    assert two_hours.exists()
    result = runner.invoke(args=["lms", "purge-quiz-imports", "--hours", "1"])
    assert result.exit_code == 0, result.output
    assert "Đã xóa 1 tệp" in result.output and not two_hours.exists()
    assert runner.invoke(args=["lms", "purge-quiz-imports", "--hours", "0"]).exit_code != 0


@pytest.mark.parametrize("how", ["purged", "expired"])
def test_confirming_an_expired_upload_asks_to_upload_again(client, session, folder, runner, how):
    """Purged by the command, or past the limit and not purged yet: the same message, nothing written."""
    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    token = _token(_upload(client))
    path = folder / token
    os.utime(path, (time.time() - 25 * HOUR,) * 2)
    if how == "purged":
        assert "Đã xóa 1 tệp" in runner.invoke(args=["lms", "purge-quiz-imports"]).output
    r = client.post("/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/quizzes/bank/import")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Hãy tải tệp lên lại" in page and "chỉ được giữ 24 giờ" in page
    assert not path.exists()
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_a_young_upload_is_still_confirmed(client, session, folder):
    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    token = _token(_upload(client))
    os.utime(folder / token, (time.time() - 23 * HOUR,) * 2)
    _upload_file(folder, 30)
    _upload(client)  # another upload purges, but not this one
    r = client.post("/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/quizzes/bank?topic=email")
    assert session.scalar(select(func.count()).select_from(Question)) == 1
    assert not (folder / token).exists()  # confirmed files are removed as before
