"""Request limits are counted in the database: every worker and every server sees the same count."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.extensions import db
from lms.ratelimit import Limit, RateLimitHit, hit


def test_limits_parse():
    assert Limit.parse("30 per minute") == Limit(30, 60)
    assert Limit.parse("100/hour") == Limit(100, 3600)
    assert Limit.parse("5 per 10 minutes") == Limit(5, 600)
    for bad in ("", "thirty per minute", "30 per fortnight", "30"):
        with pytest.raises(ValueError):
            Limit.parse(bad)


def test_windows_count_and_reset(session):
    limit = Limit(2, 60)
    assert [hit(session, "k", limit, now=600.0 + i) for i in range(3)] == [True, True, False]
    assert hit(session, "other", limit, now=601.0)  # another key has its own count
    assert hit(session, "k", limit, now=660.0)  # the next window starts again
    assert session.query(RateLimitHit).filter_by(key="k").count() == 2


def test_two_app_servers_share_the_certificate_check_limit(app, tmp_path):
    """Two applications on the same database (two servers): requests to either count together."""
    same = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING")}
    other = create_app({**same, "INSTANCE_DIR": str(tmp_path), "CERT_VERIFY_RATE_LIMIT": "3 per minute"})
    app.config["CERT_VERIFY_RATE_LIMIT"] = "3 per minute"
    url = "/verify/2222-2222-2222-2222-2222-2222-2222"
    try:
        clients = [app.test_client(), other.test_client()]
        codes = [clients[i % 2].get(url).status_code for i in range(5)]
    finally:
        app.config["CERT_VERIFY_RATE_LIMIT"] = None
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    assert codes == [404, 404, 404, 429, 429]
