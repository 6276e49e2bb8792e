"""The recommended gunicorn configuration (``gunicorn.conf.py``), checked on the real server."""

from __future__ import annotations

import re

import requests

from tests.faults.server import ROOT


def test_responses_carry_no_server_header(servers):
    """gunicorn wrote ``Server: gunicorn`` into every response, error pages included."""
    server = servers(workers=1, threads=2)
    for path in ("/healthz", "/login", "/no/such/page", "/static/css/app.css"):
        r = requests.get(server.base + path, timeout=10)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert "Server" not in r.headers, (path, r.headers.get("Server"))
    r = requests.post(server.base + "/login", data={}, timeout=10)  # refused by CSRF: 400
    assert r.status_code == 400 and "Server" not in r.headers


def test_the_documented_commands_use_the_configuration():
    start = (ROOT / "scripts/start.sh").read_text()
    assert re.search(r"gunicorn --config gunicorn\.conf\.py .*wsgi:app", start, re.S)
    readme = (ROOT / "README.md").read_text()
    production = [line for line in readme.splitlines() if "gunicorn" in line and "wsgi:app" in line]
    assert production and all("--config gunicorn.conf.py" in line for line in production), production
