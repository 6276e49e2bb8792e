"""Static files carry a content hash and are kept a year by browsers; HTML is gzip-compressed."""

from __future__ import annotations

import gzip
import re

from flask import url_for

from lms import assets
from lms.auth.models import Role
from tests.factories import login_as, make_user


def test_static_urls_carry_the_content_hash_and_get_a_long_cache(app, client):
    with app.test_request_context():
        css = url_for("static", filename="css/app.css")
        script = url_for("quizzes.static", filename="attempt.js")
    digest = assets.file_digest(app.static_folder + "/css/app.css")
    assert re.fullmatch(r"[0-9a-f]{12}", digest) and css.endswith(f"/static/css/app.css?v={digest}")
    assert re.search(r"/quizzes/static/attempt\.js\?v=[0-9a-f]{12}$", script)
    for url in (css, script):
        with client.get(url) as r:
            assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # no hash, or another file's: revalidated as before, never kept a year
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(url) as r:
            assert "immutable" not in r.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_hash(tmp_path):
    path = tmp_path / "x.js"
    path.write_text("var a = 1;")
    first = assets.file_digest(str(path))
    path.write_text("var a = 22;")
    assert assets.file_digest(str(path)) not in (None, first)
    assert assets.file_digest(str(tmp_path / "missing.js")) is None


def test_pages_link_versioned_assets(client, session):
    user = make_user(session, Role.OFFICIAL)
    session.commit()
    login_as(client, user)
    html = client.get("/dashboard").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/[^"]*static/[^"]+)"', html)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links


def test_html_is_gzipped_when_asked_and_long_enough(app, client, session):
    user = make_user(session, Role.OFFICIAL)
    session.commit()
    login_as(client, user)
    plain = client.get("/dashboard")
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/dashboard", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    # the CSRF token carries the second it was signed: two requests a second apart differ only there
    token = re.compile(rb'name="csrf_token" value="[^"]*"')
    assert token.sub(b"", gzip.decompress(packed.get_data())) == token.sub(b"", plain.get_data())
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    # JSON and short answers stay as they are; 0 turns compression off
    assert "Content-Encoding" not in client.get("/healthz", headers={"Accept-Encoding": "gzip"}).headers
    app.config["GZIP_MIN_BYTES"] = 0
    try:
        assert "Content-Encoding" not in client.get("/dashboard", headers={"Accept-Encoding": "gzip"}).headers
    finally:
        app.config["GZIP_MIN_BYTES"] = assets.DEFAULT_GZIP_MIN_BYTES
