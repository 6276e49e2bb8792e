"""The e-mail outbox page belongs to the kernel (``lms/mail``): its address is /admin/outbox (served
without training: tests/test_app_factory.py), and the old /training/outbox bookmark redirects there for good."""

from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import Role
from lms.mail.models import OutboxMessage
from lms.mail.outbox import queue_message
from tests.factories import login_as, make_user


def test_the_page_lists_failed_messages_and_sends_one_again(client, session):
    queue_message(session, to_email="x@example.gov.vn", subject="Lỗi", text_body="x", kind="t", dedupe_key="o1")
    msg = session.scalars(select(OutboxMessage)).one()
    msg.state, msg.last_error, msg.attempts = "failed", "SMTPDataError: 554 rejected", 6
    session.commit()
    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get("/admin/outbox").text
    assert "554 rejected" in page and f'action="/admin/outbox/{msg.id}/retry"' in page
    r = client.post(f"/admin/outbox/{msg.id}/retry")
    assert r.status_code == 302 and r.headers["Location"] == "/admin/outbox"
    session.expire_all()
    assert session.get(OutboxMessage, msg.id).state == "pending"
    assert client.post("/admin/outbox/999999/retry").status_code == 404


def test_the_old_address_redirects_permanently_with_its_filter(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.get("/training/outbox?state=failed&page=2")
    assert r.status_code == 301 and r.headers["Location"] == "/admin/outbox?state=failed&page=2"
    assert client.get("/training/outbox").headers["Location"] == "/admin/outbox"
    login_as(client, make_user(session, Role.OFFICIAL))
    assert client.get("/training/outbox").status_code == 403  # the redirect tells an official nothing


def test_the_training_page_links_the_new_address(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get("/training/").text
    assert 'href="/admin/outbox"' in page and 'href="/training/outbox"' not in page
