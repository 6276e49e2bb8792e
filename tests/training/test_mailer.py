"""The outbox sender against a real SMTP server (aiosmtpd on 127.0.0.1): no mock of smtplib."""

from __future__ import annotations

import threading
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from lms.extensions import db
from lms.mail import sender
from lms.mail.models import OutboxMessage, OutboxState
from lms.mail.outbox import queue_message
from lms.time import local_today, utcnow
from tests.factories import make_official
from tests.training.factories import make_session
from training import services


def factory():
    return sessionmaker(bind=db.engine)


def states(session):
    session.expire_all()
    return [(m.state, m.attempts) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def _invite_one(session):
    training_session = make_session(session, title="Tập huấn thư điện tử công vụ")
    official = make_official(session, family_name="Đặng", middle_name="Thị", given_name="Ánh")
    services.invite(session, training_session, official_ids=[official.id])
    session.commit()
    return training_session, official


def test_invitation_delivered_with_vietnamese_subject_html_and_ics(session, smtp_server):
    training_session, official = _invite_one(session)
    report = sender.send_pending(factory(), utcnow(), smtp_server.config)
    assert report.sent == 1
    (msg,) = smtp_server.messages
    assert msg["To"] == official.email
    assert str(msg["Subject"]) == "Thư mời tập huấn: Tập huấn thư điện tử công vụ"
    assert "Kính gửi đồng chí Đặng Thị Ánh" in msg.get_body(("plain",)).get_content()
    assert "<p>" in msg.get_body(("html",)).get_content()
    (ics_part,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics_part.get_param("method") == "REQUEST"
    cal = Calendar.from_ical(ics_part.get_content())
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"training-session-{training_session.id}@lms.egov.local"
    assert states(session) == [(OutboxState.SENT, 1)]
    # a second run sends nothing again
    assert sender.send_pending(factory(), utcnow(), smtp_server.config).sent == 0
    assert len(smtp_server.messages) == 1


def test_temporary_refusal_is_retried_with_backoff(session, smtp_server):
    _invite_one(session)
    smtp_server.handler.refuse = ["451 4.3.0 try again later"]
    now = utcnow()
    report = sender.send_pending(factory(), now, smtp_server.config)
    assert report.retried == 1 and smtp_server.messages == []
    msg = session.scalars(select(OutboxMessage)).one()
    assert msg.state == OutboxState.PENDING and msg.attempts == 1 and "451" in msg.last_error
    assert msg.next_attempt_at == now + sender.backoff(1)
    # not due yet: nothing happens
    assert sender.send_pending(factory(), now + timedelta(seconds=30), smtp_server.config).sent == 0
    report = sender.send_pending(factory(), now + timedelta(minutes=1, seconds=1), smtp_server.config)
    assert report.sent == 1 and len(smtp_server.messages) == 1
    assert states(session) == [(OutboxState.SENT, 2)]


def test_backoff_doubles_and_gives_up_after_max_attempts(session, smtp_server):
    _invite_one(session)
    smtp_server.handler.refuse = ["451 busy"] * 10
    now = utcnow()
    delays = []
    for _ in range(3):
        sender.send_pending(factory(), now, smtp_server.config, max_attempts=3)
        session.expire_all()
        msg = session.scalars(select(OutboxMessage)).one()
        if msg.state == OutboxState.PENDING:
            delays.append(msg.next_attempt_at - now)
            now = msg.next_attempt_at
    assert delays == [timedelta(minutes=1), timedelta(minutes=2)]
    assert states(session) == [(OutboxState.FAILED, 3)]
    # IT staff: retry now
    smtp_server.handler.refuse = []
    assert sender.retry_now(session, msg.id, now)
    session.commit()
    assert sender.send_pending(factory(), now, smtp_server.config).sent == 1


def test_permanent_refusal_fails_at_once(session, smtp_server):
    _invite_one(session)
    smtp_server.handler.refuse = ["550 mailbox unavailable"]
    report = sender.send_pending(factory(), utcnow(), smtp_server.config)
    assert report.failed == 1
    assert states(session) == [(OutboxState.FAILED, 1)]


def test_smtp_down_messages_stay_pending_then_go_once(session, smtp_down):
    for i in range(3):
        queue_message(
            session,
            to_email=f"a{i}@example.gov.vn",
            subject="Thử",
            text_body="Nội dung",
            kind="test",
            dedupe_key=f"k{i}",
        )
    session.commit()
    now = utcnow()
    for minute in range(3):
        report = sender.send_pending(factory(), now + timedelta(minutes=minute), smtp_down.config)
        assert report.sent == 0 and report.smtp_error
    assert states(session) == [(OutboxState.PENDING, 0)] * 3
    smtp_down.start()
    assert sender.send_pending(factory(), now + timedelta(minutes=5), smtp_down.config).sent == 3
    assert sender.send_pending(factory(), now + timedelta(minutes=6), smtp_down.config).sent == 0
    assert sorted(m["To"] for m in smtp_down.messages) == [
        "a0@example.gov.vn",
        "a1@example.gov.vn",
        "a2@example.gov.vn",
    ]


def test_two_senders_never_send_a_message_twice(session, smtp_server):
    for i in range(30):
        queue_message(
            session,
            to_email=f"p{i}@example.gov.vn",
            subject=f"Thư {i}",
            text_body="x",
            kind="test",
            dedupe_key=f"two:{i}",
        )
    session.commit()
    now = utcnow()
    barrier = threading.Barrier(2)
    reports = []
    make_session = factory()  # bound to the engine here; the threads only open sessions

    def run():
        barrier.wait()
        reports.append(sender.send_pending(make_session, now, smtp_server.config))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in reports) == 30
    recipients = [m["To"] for m in smtp_server.messages]
    assert len(recipients) == 30 and len(set(recipients)) == 30


def test_stuck_sending_message_goes_back_to_pending(session, smtp_server):
    queue_message(session, to_email="x@example.gov.vn", subject="Kẹt", text_body="x", kind="test", dedupe_key="stuck")
    session.commit()
    msg = session.scalars(select(OutboxMessage)).one()
    then = utcnow() - timedelta(hours=1)
    msg.state, msg.claimed_at, msg.attempts = OutboxState.SENDING, then, 1
    session.commit()
    report = sender.send_pending(factory(), utcnow(), smtp_server.config)
    assert report.released == 1 and report.sent == 1
    assert len(smtp_server.messages) == 1


def test_same_dedupe_key_is_queued_once(session):
    assert queue_message(session, to_email="x@example.gov.vn", subject="a", text_body="b", kind="t", dedupe_key="same")
    assert not queue_message(
        session, to_email="x@example.gov.vn", subject="a", text_body="b", kind="t", dedupe_key="same"
    )
    assert not queue_message(session, to_email=None, subject="a", text_body="b", kind="t", dedupe_key="none")
    assert session.scalars(select(OutboxMessage)).all().__len__() == 1


def test_cancellation_email_carries_cancel_ics_with_higher_sequence(session, smtp_server):
    training_session, official = _invite_one(session)
    sender.send_pending(factory(), utcnow(), smtp_server.config)
    services.cancel_training_session(session, training_session, None, reason="Lý do")
    session.commit()
    sender.send_pending(factory(), utcnow(), smtp_server.config)
    invite, cancel = smtp_server.messages
    parts = [next(p for p in m.iter_attachments() if p.get_content_type() == "text/calendar") for m in (invite, cancel)]
    events = [Calendar.from_ical(p.get_content()).walk("VEVENT")[0] for p in parts]
    assert parts[1].get_param("method") == "CANCEL"
    assert str(events[0]["UID"]) == str(events[1]["UID"])
    assert int(events[1]["SEQUENCE"]) > int(events[0]["SEQUENCE"])
    assert str(events[1]["STATUS"]) == "CANCELLED"
    assert str(cancel["Subject"]).startswith("Hủy buổi tập huấn")


def test_mail_send_cli_delivers_certificate_reminders(app, session, smtp_server, runner, tmp_path):
    from certificates import services as cert_services
    from certificates.models import CertificateReminder
    from tests.competency.factories import certify, make_course

    app.config.update(CERT_RENDER_ON_ISSUE=False, CERT_STORAGE_DIR=str(tmp_path))
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_server.port), MAIL_FROM="taphuan@vinhphuc.gov.vn")
    try:
        official = make_official(session)
        course = make_course(session, validity_months=1, title="An toàn thông tin")
        cert = certify(session, official, course, issued_on=local_today() - timedelta(days=20))
        reminders = cert_services.queue_expiry_reminders(session, local_today(), days=30)
        assert [r.certificate_id for r in reminders] == [cert.id]
        session.commit()
        for _ in range(2):
            result = runner.invoke(args=["lms", "mail", "send"])
            assert result.exit_code == 0, result.output
        (msg,) = smtp_server.messages
        assert msg["To"] == official.email
        assert str(msg["Subject"]) == "Chứng nhận sắp hết hạn: An toàn thông tin"
        session.expire_all()
        assert session.scalars(select(CertificateReminder)).one().sent_at is not None
    finally:
        for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM", "CERT_RENDER_ON_ISSUE", "CERT_STORAGE_DIR"):
            app.config.pop(key, None)
