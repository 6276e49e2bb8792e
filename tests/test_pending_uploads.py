"""Files between an import's preview and its confirmation (lms/uploads.py, the units' and officials'
import at ``/org/import``) live in the configured store, so that the preview may reach one application
server and the confirmation another.

On both stores (a folder, and moto's S3 server from tests/conftest.py): a kept file is read back and
removed on confirmation, tokens that are not ours never reach the store, a file older than the limit
is refused and removed (in a bucket by the object's last-modified time), an upload purges only the
expired uploads. Through two applications (two ``create_app`` on one database, each with its own
instance folder, sharing a folder or a bucket): the preview on one, the confirmation on the other.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from lms import create_app, uploads
from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Unit
from lms.storage import DirectoryStore, S3Options, S3Store, StorageError
from lms.time import utcnow
from lms.uploads import PendingUploads
from tests.factories import login_as, make_user

DAY = 24 * 3600
UNITS = "Mã đơn vị,Tên đơn vị,Loại\nX-1,Xã Một,xa\nX-2,Xã Hai,xa\n"


def _s3_settings(bucket) -> dict:
    return {
        "STORAGE_URL": f"s3://{bucket.name}/lms",
        "S3_ENDPOINT_URL": bucket.endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }


@pytest.fixture(params=["directory", "s3"])
def a_store(request, tmp_path):
    if request.param == "directory":
        return DirectoryStore(tmp_path / "org-imports")
    bucket = request.getfixturevalue("bucket")
    options = S3Options(endpoint_url=bucket.endpoint, region="us-east-1", access_key_id="t", secret_access_key="t")
    return S3Store(bucket.name, "lms/org-imports/", options)


def _keys(store) -> list[str]:
    return [key for key, _modified in store.listing()]


# -- the kept files, on a folder and on a bucket --------------------------------------------------------
def test_a_kept_file_is_read_back_then_discarded(a_store):
    pending = PendingUploads(a_store)
    token = pending.save(b"ma,ten\n", "Danh Sach.CSV")
    assert re.fullmatch(r"[0-9a-f]{32}\.csv", token) and _keys(a_store) == [token]
    assert pending.read(token) == b"ma,ten\n"
    assert pending.read(token) == b"ma,ten\n"  # a refused confirmation may be sent again
    pending.discard(token)
    pending.discard(token)  # already gone (confirmed on another server): no error
    assert pending.read(token) is None and _keys(a_store) == []
    with pytest.raises(ValueError):
        pending.save(b"x", "chuong-trinh.exe")
    assert _keys(a_store) == []


def test_tokens_that_are_not_ours_never_reach_the_store(a_store):
    pending = PendingUploads(a_store)
    a_store.write("ghi-chu.csv", b"not an upload")  # in the area, but not a name the page gives
    a_store.write("sub/" + "a" * 32 + ".csv", b"nor this")
    for token in ("ghi-chu.csv", "../secret_key", "../../lms/certificates/x.pdf", "A" * 32 + ".csv", "a" * 32 + ".pdf"):
        assert pending.read(token) is None
        pending.discard(token)
    assert pending.read("sub/" + "a" * 32 + ".csv") is None
    assert pending.read("0" * 32 + ".csv") is None  # well formed, never uploaded
    assert _keys(a_store) == ["ghi-chu.csv", "sub/" + "a" * 32 + ".csv"]  # nothing removed either


def test_a_file_older_than_the_limit_is_refused_and_removed(a_store):
    token = PendingUploads(a_store).save(b"ma,ten\n", "ds.csv")
    written = a_store.modified(token)  # the bucket's clock (whole seconds) or the file's time
    at_limit = PendingUploads(a_store, 24, clock=lambda: written + DAY)
    assert at_limit.read(token) == b"ma,ten\n"  # exactly 24 hours: still kept
    too_old = PendingUploads(a_store, 24, clock=lambda: written + DAY + 1)
    assert too_old.read(token) is None
    assert _keys(a_store) == []  # removed at once, not left for the next purge


def test_an_upload_purges_only_the_expired_uploads(a_store):
    old = PendingUploads(a_store).save(b"old", "cu.xlsx")
    a_store.write("ghi-chu.txt", b"not an upload")
    written = a_store.modified(old)
    assert PendingUploads(a_store, 24, clock=lambda: written + DAY).purge() == 0
    assert sorted(_keys(a_store)) == sorted([old, "ghi-chu.txt"])
    tomorrow = PendingUploads(a_store, 24, clock=lambda: written + DAY + 60)
    new = tomorrow.save(b"new", "moi.csv")  # the upload purges first
    assert sorted(_keys(a_store)) == sorted([new, "ghi-chu.txt"])
    assert PendingUploads(a_store).read(new) == b"new"


def test_a_purge_that_fails_does_not_cost_the_upload(tmp_path, caplog):
    class ListingRefused(DirectoryStore):
        def listing(self):
            raise StorageError("list_objects_v2: AccessDenied")

    store = ListingRefused(tmp_path / "org-imports")
    token = PendingUploads(store).save(b"ma,ten\n", "ds.csv")
    assert PendingUploads(store).read(token) == b"ma,ten\n"
    assert "Could not purge the old uploads" in caplog.text


def test_the_age_limit_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        PendingUploads(DirectoryStore(tmp_path), 0)


# -- two application servers, one store -------------------------------------------------------------------
@pytest.fixture(params=["shared folder", "bucket"])
def shared_store(request, tmp_path):
    """The settings every server gets, and a function listing the uploads waiting in the store."""
    if request.param == "shared folder":
        folder = tmp_path / "shared"
        return {"SHARED_DIR": str(folder)}, lambda: sorted(p.name for p in (folder / "org-imports").glob("*"))
    bucket = request.getfixturevalue("bucket")
    prefix = "lms/org-imports/"
    return _s3_settings(bucket), lambda: [key[len(prefix) :] for key in bucket.objects() if key.startswith(prefix)]


@pytest.fixture
def two_servers(app, shared_store, tmp_path):
    """Two applications on the test database, each with its own instance folder, sharing the store."""
    settings, _waiting = shared_store
    keys = ("TESTING", "LMS_ENV", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SERVER_NAME")
    same = {key: app.config[key] for key in keys}
    servers = [
        create_app(
            {
                **same,
                **settings,
                "INSTANCE_DIR": str(tmp_path / name),
                "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
            }
        )
        for name in ("server-a", "server-b")
    ]
    yield servers
    for server in servers:
        with server.app_context():
            db.session.remove()
            db.engine.dispose()
    for name in ("server-a", "server-b"):  # nothing was kept in an instance folder
        assert not (tmp_path / name / "org-imports").exists()


def _upload(client, text: str, name: str = "don-vi.csv"):
    return client.post(
        "/org/import",
        data={"kind": "units", "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def _confirm_fields(page: str) -> dict:
    form = re.search(r'<form method="post" class="prose" id="import-confirm">(.*?)</form>', page, re.S).group(1)
    return dict(re.findall(r'name="(token|kind|digest)"[^>]*value="([^"]*)"', form))


def _units(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Unit))


def _clients(servers, session):
    """One browser, two servers: the cookie signed by one is read by the other (same SECRET_KEY)."""
    a, b = servers[0].test_client(), servers[1].test_client()
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(a, staff)
    b.set_cookie("session", a.get_cookie("session").value, domain=a.get_cookie("session").domain)
    return a, b


def test_the_preview_on_one_server_is_confirmed_on_the_other(two_servers, shared_store, session):
    _settings, waiting = shared_store
    a, b = _clients(two_servers, session)
    r = _upload(a, UNITS)
    assert r.status_code == 200 and "2 mới" in r.get_data(as_text=True)
    fields = _confirm_fields(r.get_data(as_text=True))
    assert waiting() == [fields["token"]] and _units(session) == 0  # kept in the store, nothing written
    r = b.post("/org/import", data={**fields, "action": "confirm"})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    assert _units(session) == 2
    assert waiting() == []  # discarded on confirmation, by the other server
    r = a.post("/org/import", data={**fields, "action": "confirm"})  # the same confirmation, again
    assert r.status_code == 400 and "không còn" in r.get_data(as_text=True)
    assert _units(session) == 2


def test_an_upload_older_than_a_day_is_refused_on_the_other_server(two_servers, shared_store, session, monkeypatch):
    _settings, waiting = shared_store
    a, b = _clients(two_servers, session)
    fields = _confirm_fields(_upload(a, UNITS).get_data(as_text=True))
    later = utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(uploads, "utcnow", lambda: later)
    r = b.post("/org/import", data={**fields, "action": "confirm"})
    assert r.status_code == 400 and "không còn" in r.get_data(as_text=True)
    assert waiting() == [] and _units(session) == 0  # removed when found too old


def test_forged_tokens_are_refused_on_the_other_server(two_servers, shared_store, session):
    _settings, waiting = shared_store
    a, b = _clients(two_servers, session)
    fields = _confirm_fields(_upload(a, UNITS).get_data(as_text=True))
    for token in ("../../secret_key", "../certificates/x.pdf", "0" * 32 + ".csv", fields["token"] + "x"):
        r = b.post("/org/import", data={**fields, "token": token, "action": "confirm"})
        assert r.status_code == 400 and "không còn" in r.get_data(as_text=True)
    assert _units(session) == 0 and waiting() == [fields["token"]]  # the real upload still waits
    assert b.post("/org/import", data={**fields, "action": "confirm"}).status_code == 302
    assert _units(session) == 2


def test_without_a_setting_the_file_waits_in_the_instance_folder(app, client, session, tmp_path, monkeypatch):
    """One server, no storage setting: as before, ``<instance>/org-imports/``."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    for key in ("ORG_IMPORT_DIR", "STORAGE_URL", "SHARED_DIR"):
        assert not app.config.get(key)
    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    fields = _confirm_fields(_upload(client, UNITS).get_data(as_text=True))
    folder = Path(app.instance_path) / "org-imports"
    assert [p.name for p in folder.iterdir()] == [fields["token"]]
    assert client.post("/org/import", data={**fields, "action": "confirm"}).status_code == 302
    assert list(folder.iterdir()) == [] and _units(session) == 2
