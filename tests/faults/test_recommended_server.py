"""The recommended server command (``scripts/serve.sh``: granian; the README, ``scripts/start.sh``), checked on the
real server."""

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
    """``scripts/serve.sh`` holds the granian command line; start.sh and the README's production line
    start the app through it and write no server command of their own."""
    serve = (ROOT / "scripts/serve.sh").read_text()
    assert re.search(r'exec [^\n]*/\.venv/bin/granian" --interface wsgi .*--blocking-threads .*wsgi:app', serve, re.S)
    start = (ROOT / "scripts/start.sh").read_text()
    assert "bash scripts/serve.sh" in start
    assert ".venv/bin/granian" not in start and "gunicorn" not in start
    readme = (ROOT / "README.md").read_text()
    assert "HOST=127.0.0.1 PORT=8000 WORKERS=2 THREADS=4 bash scripts/serve.sh" in readme
    assert ".venv/bin/granian" not in readme
