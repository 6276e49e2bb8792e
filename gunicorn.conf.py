"""gunicorn settings of the recommended configuration: ``gunicorn --config gunicorn.conf.py ... wsgi:app``
(``scripts/start.sh``, the README's production command, the benchmarks and the fault tests use it).

No ``Server`` header. gunicorn writes ``Server: gunicorn`` into every response and has no setting for
it; naming the server software helps only someone looking for servers to attack. This file runs in
the master before the workers are forked, so every worker sends responses without it
(``tests/faults/test_recommended_server.py`` checks the real server).
"""

from gunicorn.http import wsgi as _wsgi

_default_headers = _wsgi.Response.default_headers


def _without_server_header(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


_wsgi.Response.default_headers = _without_server_header
