"""The recommended server command (granian, README and ``scripts/start.sh``), checked on the real server."""

from __future__ import annotations

import re

import requests

from lms import SERVER_HEADER
from tests.faults.server import ROOT


def test_responses_do_not_name_the_server_software(servers):
    """gunicorn wrote ``Server: gunicorn`` into every response; granian writes ``server: granian`` unless
    the answer has its own: every answer of the app, error pages included, says only ``lms``."""
    server = servers(workers=1, threads=2)
    for path in ("/healthz", "/login", "/no/such/page", "/static/css/app.css"):
        r = requests.get(server.base + path, timeout=10)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert r.headers.get("Server") == SERVER_HEADER, (path, r.headers.get("Server"))
    r = requests.post(server.base + "/login", data={}, timeout=10)  # refused by CSRF: 400
    assert r.status_code == 400 and r.headers.get("Server") == SERVER_HEADER


def test_the_documented_commands_serve_with_granian():
    start = (ROOT / "scripts/start.sh").read_text()
    assert re.search(r"\.venv/bin/granian --interface wsgi .*--blocking-threads .*wsgi:app", start, re.S)
    assert "gunicorn" not in start
    readme = (ROOT / "README.md").read_text()
    production = [line for line in readme.splitlines() if "granian" in line and "wsgi:app" in line]
    assert production and all("--interface wsgi" in line for line in production), production
