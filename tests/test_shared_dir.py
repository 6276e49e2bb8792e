"""LMS_SHARED_DIR: the files every application server must see (certificates, question uploads,
units' and officials' uploads, course media) live under one folder on a shared volume."""

from __future__ import annotations

import io
from pathlib import Path

from lms.config import load_config


def test_shared_dir_places_every_shared_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_SHARED_DIR", str(tmp_path / "shared"))
    for key in ("CERT_STORAGE_DIR", "QUIZ_IMPORT_DIR", "ORG_IMPORT_DIR", "COURSE_MEDIA_DIR"):
        monkeypatch.delenv(key, raising=False)
    cfg = load_config(tmp_path / "instance", {"SECRET_KEY": "x" * 40})
    assert cfg["CERT_STORAGE_DIR"] == str(tmp_path / "shared" / "certificates")
    assert cfg["QUIZ_IMPORT_DIR"] == str(tmp_path / "shared" / "quiz-imports")
    assert cfg["COURSE_MEDIA_DIR"] == str(tmp_path / "shared" / "course_media")
    assert cfg["ORG_IMPORT_DIR"] == str(tmp_path / "shared" / "org-imports")
    monkeypatch.setenv("CERT_STORAGE_DIR", "/srv/pdf")  # one set on its own wins
    assert load_config(tmp_path / "instance", {"SECRET_KEY": "x" * 40})["CERT_STORAGE_DIR"] == "/srv/pdf"


def test_without_it_the_instance_folder_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SHARED_DIR", raising=False)
    monkeypatch.delenv("QUIZ_IMPORT_DIR", raising=False)
    cfg = load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert "QUIZ_IMPORT_DIR" not in cfg and "SHARED_DIR" not in cfg


def test_question_uploads_go_to_the_configured_folder(client, session, app, tmp_path):
    from lms.auth.models import Role
    from tests.factories import login_as, make_user

    folder = tmp_path / "shared-imports"
    app.config["QUIZ_IMPORT_DIR"] = str(folder)
    try:
        login_as(client, make_user(session, Role.IT_STAFF))
        session.commit()
        data = {"file": (io.BytesIO(b"::Q1:: 1+1? {=2 ~3}\n"), "q.gift"), "topic": "email"}
        r = client.post("/quizzes/bank/import", data=data, content_type="multipart/form-data")
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
    finally:
        app.config.pop("QUIZ_IMPORT_DIR")
    assert [p.suffix for p in Path(folder).iterdir()] == [".gift"]
