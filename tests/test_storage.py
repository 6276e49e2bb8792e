"""The files every application server must see (lms/storage.py): a folder, or an S3-compatible bucket.

The bucket is moto's S3 server (tests/conftest.py), run in this process and spoken to over HTTP by
boto3, as the app would speak to MinIO or a cloud's object storage. Through the app: a certificate
issued by IT staff lands in the bucket and downloads from it, a question file waits there for its
confirmation, an imported course's image is served from it; nothing is written to the folders
meanwhile (the units' and officials' uploads: tests/test_pending_uploads.py).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.config import SHARED_FOLDERS, ConfigError, load_config
from lms.storage import DirectoryStore, S3Options, S3Store, StorageError, parse_storage_url, store_for
from tests.factories import login_as, make_user


def _options(endpoint: str) -> S3Options:
    return S3Options(endpoint_url=endpoint, region="us-east-1", access_key_id="test", secret_access_key="hidden-k3y")


@pytest.fixture
def app_on_s3(app, bucket, tmp_path):
    """The app's shared files in the bucket (prefix ``lms/``); the folders are set to empty places
    of this test, to show nothing goes there."""
    settings = {
        "STORAGE_URL": f"s3://{bucket.name}/lms",
        "S3_ENDPOINT_URL": bucket.endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
        **{key: str(tmp_path / name) for key, name in SHARED_FOLDERS},
        "PUBLIC_BASE_URL": None,
    }
    old = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield app
    app.config.update(old)
    assert not any(Path(tmp_path / name).exists() for _key, name in SHARED_FOLDERS)


# -- the two stores, one behaviour ---------------------------------------------------------------------
@pytest.fixture(params=["directory", "s3"])
def a_store(request, tmp_path):
    if request.param == "directory":
        return DirectoryStore(tmp_path / "files")
    bucket = request.getfixturevalue("bucket")
    return S3Store(bucket.name, "area/", _options(bucket.endpoint))


def test_a_store_writes_reads_lists_and_deletes(a_store):
    assert a_store.read("a.pdf") is None and a_store.modified("a.pdf") is None
    assert list(a_store.listing()) == []
    before = datetime.now(UTC).timestamp()
    a_store.write("a.pdf", b"%PDF-1")
    a_store.write("slug/b.svg", b"<svg/>")
    a_store.write("a.pdf", b"%PDF-2")  # replaced whole
    assert a_store.read("a.pdf") == b"%PDF-2" and a_store.read("slug/b.svg") == b"<svg/>"
    assert a_store.modified("a.pdf") >= before - 2  # S3 keeps whole seconds
    assert [key for key, _when in a_store.listing()] == ["a.pdf", "slug/b.svg"]
    a_store.delete("a.pdf")
    a_store.delete("a.pdf")  # already gone: no error (another server removed it)
    assert a_store.read("a.pdf") is None and [key for key, _when in a_store.listing()] == ["slug/b.svg"]
    for bad in ("../x.pdf", "/etc/passwd", "a//b", "", "a/./b"):
        with pytest.raises(ValueError):
            a_store.write(bad, b"x")


def test_the_store_is_a_value_the_render_pool_can_pickle(bucket):
    import pickle

    store = S3Store(bucket.name, "certificates/", _options(bucket.endpoint))
    store.write("x.pdf", b"%PDF")  # the client is made, and is not part of the value
    again = pickle.loads(pickle.dumps(store))
    assert again == store and again.read("x.pdf") == b"%PDF"
    assert "hidden-k3y" not in repr(store) and "hidden-k3y" not in str(store)  # never in a log line


def test_a_missing_bucket_is_an_error_not_a_missing_file(s3_server):
    store = S3Store("no-such-bucket", "", _options(s3_server))
    with pytest.raises(StorageError):
        store.write("a.pdf", b"x")


# -- the setting ---------------------------------------------------------------------------------------
def test_storage_url_names_a_bucket_or_a_folder(monkeypatch, tmp_path):
    for key in ("LMS_SHARED_DIR", "LMS_STORAGE_URL", *(key for key, _name in SHARED_FOLDERS)):
        monkeypatch.delenv(key, raising=False)
    base = {"SECRET_KEY": "x" * 40}
    monkeypatch.setenv("LMS_STORAGE_URL", "s3://province-lms/prod")
    monkeypatch.setenv("LMS_S3_ENDPOINT_URL", "https://minio.example.vn")
    cfg = load_config(tmp_path, base)
    assert cfg["STORAGE_URL"] == "s3://province-lms/prod" and "SHARED_DIR" not in cfg
    assert cfg["S3_ENDPOINT_URL"] == "https://minio.example.vn"
    store = store_for(cfg, "certificates", tmp_path / "unused")
    assert store == S3Store("province-lms", "prod/certificates/", S3Options(endpoint_url="https://minio.example.vn"))
    assert parse_storage_url("s3://b") == ("b", "")
    monkeypatch.setenv("LMS_STORAGE_URL", f"file://{tmp_path / 'shared'}")  # a folder: as LMS_SHARED_DIR
    cfg = load_config(tmp_path, base)
    assert cfg["CERT_STORAGE_DIR"] == str(tmp_path / "shared" / "certificates") and "STORAGE_URL" not in cfg
    folder = tmp_path / "shared" / "certificates"
    assert store_for(cfg, "certificates", cfg["CERT_STORAGE_DIR"]) == DirectoryStore(folder)
    for wrong in ("s3:/bucket", "s3://", "https://bucket.example/x"):
        monkeypatch.setenv("LMS_STORAGE_URL", wrong)
        with pytest.raises(ConfigError):
            load_config(tmp_path, base)
    monkeypatch.setenv("LMS_STORAGE_URL", "s3://province-lms")
    monkeypatch.setenv("LMS_SHARED_DIR", str(tmp_path / "shared"))
    with pytest.raises(ConfigError):  # a bucket and a folder: which one?
        load_config(tmp_path, base)


# -- through the app, on the bucket ---------------------------------------------------------------------
def test_a_certificate_issued_through_the_app_is_stored_in_the_bucket_and_downloads(client, session, app_on_s3, bucket):
    from certificates import services
    from tests.certificates_app.factories import make_course, pdf_text

    staff = make_user(session, Role.IT_STAFF)
    holder = make_user(session, Role.OFFICIAL)
    course = make_course(session)
    session.commit()
    login_as(client, staff)
    form = {"official_code": holder.official.code, "course_id": str(course.id), "score_percent": "90"}
    assert client.post("/certificates/manage/issue", data={**form, "issued_on": "2026-03-02"}).status_code == 302
    cert = services.certificates_of(session, holder.official_id)[0]
    key = f"lms/certificates/{services.storage_key(cert)}"
    assert bucket.objects() == [key]  # rendered after the issuing commit, straight into the bucket
    login_as(client, holder)
    r = client.get(f"/certificates/{cert.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data == bucket.get(key) and cert.serial in pdf_text(r.data)
    login_as(client, staff)  # the ZIP of the course reads the bucket too
    with client.get(f"/certificates/manage/export.zip?course={course.slug}") as z:
        assert z.status_code == 200 and bucket.get(key) in z.data


def test_a_pdf_missing_from_the_bucket_is_rendered_again_on_download(client, session, app_on_s3, bucket):
    from certificates import services
    from tests.certificates_app.factories import make_certificate

    holder = make_user(session, Role.OFFICIAL)
    cert = make_certificate(session, official=holder.official)
    key = f"lms/certificates/{services.storage_key(cert)}"
    assert bucket.objects() == [key]
    services.get_settings().store.delete(services.storage_key(cert))
    assert bucket.objects() == []
    login_as(client, holder)
    r = client.get(f"/certificates/{cert.id}/pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF") and bucket.objects() == [key]


def test_a_question_file_waits_in_the_bucket_until_confirmed(client, session, app_on_s3, bucket):
    from lms import storage
    from quizzes import services
    from quizzes.models import Question

    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    gift = "::S3-1:: Hộp thư công vụ dùng tên miền .gov.vn {T}\n"
    r = client.post(
        "/quizzes/bank/import",
        data={"topic": "email", "file": (io.BytesIO(gift.encode()), "cau-hoi.gift")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    token = r.get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]
    assert bucket.objects() == [f"lms/quiz-imports/{token}"]
    r = client.post("/quizzes/bank/import", data={"step": "confirm", "token": token, "topic": "email"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/quizzes/bank?topic=email")
    assert session.scalar(select(func.count()).select_from(Question)) == 1
    assert bucket.objects() == []  # confirmed: removed
    # an upload never confirmed is purged once older than the limit (the bucket's own clock)
    uploads = storage.store(services.IMPORT_AREA)
    uploads.write("0" * 32 + ".gift", gift.encode())
    later = datetime.now(UTC) + timedelta(hours=25)
    assert services.purge_import_uploads(uploads, datetime.now(UTC), 24) == 0
    assert services.purge_import_uploads(uploads, later, 24) == 1 and bucket.objects() == []


def test_an_imported_course_image_is_served_from_the_bucket(client, session, app_on_s3, bucket, runner, tmp_path):
    from tests.courses.factories import write_course

    write_course(tmp_path / "src", "anh-s3", lessons=1)
    result = runner.invoke(args=["lms", "import-course", str(tmp_path / "src" / "anh-s3")])
    assert result.exit_code == 0, result.output
    assert bucket.objects() == ["lms/course_media/anh-s3/hinh.svg"]
    login_as(client, make_user(session, Role.OFFICIAL))
    session.commit()
    r = client.get("/courses/anh-s3/img/hinh.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.data == (tmp_path / "src" / "anh-s3" / "img" / "hinh.svg").read_bytes()
    assert client.get("/courses/anh-s3/img/khac.svg").status_code == 404
