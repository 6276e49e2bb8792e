"""Re-certification (issue 16): passing the final quiz again while the certificate is about to expire
issues a new certificate whose validity runs on from the old expiry, and the "take the quiz again"
reminders stop (dashboard, "my certificates", the reminder e-mails)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from certificates import services
from certificates.mail import queue_reminder_mails
from certificates.models import Certificate, CertificateStatus
from courses.models import Course, Enrolment, Lesson
from courses.services import mark_lesson_done
from lms.auth.models import AuditLog, Role
from lms.mail.models import OutboxMessage
from lms.org.models import Official
from lms.time import VN_TZ, local_today, utcnow
from quizzes import services as quiz_services
from tests.certificates_app.factories import make_certificate
from tests.factories import login_as, make_course, make_official, make_user
from tests.quizzes_app.factories import make_attempt, make_quiz


def _certs(session, official):
    return session.scalars(
        select(Certificate).where(Certificate.official_id == official.id).order_by(Certificate.id)
    ).all()


def test_a_new_completion_in_the_window_renews_from_the_old_expiry(session):
    official, course = make_official(session), make_course(session, validity_months=12)
    old = make_certificate(session, official, course, issued_on=date(2025, 4, 1), source="attempt:1")
    assert old.expires_on == date(2026, 4, 1)
    new = make_certificate(session, official, course, issued_on=date(2026, 3, 5), source="attempt:2")
    assert new.id != old.id and new.serial != old.serial
    assert new.issued_on == date(2026, 3, 5)
    assert new.expires_on == date(2027, 4, 1)  # the old expiry + 12 months, not 5 March 2027
    assert old.status == CertificateStatus.VALID and old.state_on(date(2026, 3, 5)) == "valid"  # kept until it ends
    assert services.current_valid_certificate(session, official.id, course.id, date(2026, 3, 5)).id == new.id
    renew = session.scalars(select(AuditLog).where(AuditLog.action == "certificate.renew")).one()
    assert renew.data["renews"] == old.id and renew.data["until"] == "2026-04-01"
    # the same completion again, or yet another pass now that the new one lasts: nothing more
    assert make_certificate(session, official, course, issued_on=date(2026, 3, 6), source="attempt:2").id == new.id
    assert make_certificate(session, official, course, issued_on=date(2026, 3, 7), source="attempt:3").id == new.id
    assert len(_certs(session, official)) == 2


def test_far_from_expiry_a_new_pass_issues_nothing(session):
    official, course = make_official(session), make_course(session, validity_months=12)
    old = make_certificate(session, official, course, issued_on=date(2025, 4, 1), source="attempt:1")
    day = old.expires_on - timedelta(days=services.issuing.RENEWAL_WINDOW_DAYS + 1)
    assert make_certificate(session, official, course, issued_on=day, source="attempt:2").id == old.id
    day = old.expires_on - timedelta(days=services.issuing.RENEWAL_WINDOW_DAYS)
    assert make_certificate(session, official, course, issued_on=day, source="attempt:3").id != old.id


def test_a_queued_reminder_opens_the_window_earlier(session):
    official, course = make_official(session), make_course(session, validity_months=12)
    old = make_certificate(session, official, course, issued_on=date(2025, 4, 1), source="attempt:1")
    services.queue_expiry_reminders(session, date(2026, 1, 1), 90)  # ``remind --days 90``
    new = make_certificate(session, official, course, issued_on=date(2026, 1, 5), source="attempt:2")
    assert new.id != old.id and new.expires_on == date(2027, 4, 1)


def test_the_reminders_of_a_renewed_certificate_stop(session):
    official, course = make_official(session, email="a@example.gov.vn"), make_course(session, validity_months=12)
    other = make_official(session, email="b@example.gov.vn")
    old = make_certificate(session, official, course, issued_on=date(2025, 4, 1), source="attempt:1")
    make_certificate(session, other, course, issued_on=date(2025, 4, 1), source="attempt:9")
    assert len(services.queue_expiry_reminders(session, date(2026, 3, 2), 30)) == 2
    assert [r.certificate_id for r in services.pending_reminders(session, official.id)] == [old.id]
    make_certificate(session, official, course, issued_on=date(2026, 3, 5), source="attempt:2")
    assert services.pending_reminders(session, official.id) == []
    assert len(services.pending_reminders(session, other.id)) == 1  # the other holder is still reminded
    assert services.queue_expiry_reminders(session, date(2026, 3, 6), 30) == []
    assert queue_reminder_mails(session, datetime(2026, 3, 6, 1, tzinfo=UTC)) == 1  # the other holder's only
    recipients = session.scalars(select(OutboxMessage.to_email)).all()
    assert recipients == ["b@example.gov.vn"]


# -- through the quiz and the pages ---------------------------------------------------------------
@pytest.fixture
def holder(session):
    """An official who finished the course and passed its final quiz 11 months and 15 days ago: the
    certificate (12 months) expires in about two weeks and a reminder is queued."""
    user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, user.official_id)
    course = Course(slug="an-toan-thong-tin", topic="security", title="An toàn thông tin", published=True)
    course.validity_months = 12
    session.add(course)
    session.flush()
    lesson = Lesson(course_id=course.id, slug="bai-1", title="Bài 1", position=1, published=True)
    session.add(lesson)
    session.flush()
    quiz = make_quiz(session, course_id=course.id, is_final=True)
    back = utcnow() - timedelta(days=350)
    mark_lesson_done(session, official.id, lesson, back)
    first = _take(session, quiz, official, back, right=True)
    session.commit()
    old = services.current_valid_certificate(session, official.id, course.id, local_today())
    assert old is not None and old.source == f"attempt:{first.id}"
    assert 0 < (old.expires_on - local_today()).days <= 30
    services.queue_expiry_reminders(session, local_today(), 30)
    session.commit()
    return user, official, course, quiz, old


def _take(session, quiz, official, now, *, right: bool):
    attempt = make_attempt(session, quiz, official, now)
    for slot in attempt.slots:
        options = slot.question_version.config["options"]
        pick = next(o["id"] for o in options if (o["fraction"] >= 1) == right)
        quiz_services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": pick}, now)
    quiz_services.submit_attempt(session, attempt.id, now)
    session.commit()
    return attempt


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.text


def test_passing_the_quiz_again_renews_and_the_reminder_goes_away(app, session, holder):
    user, official, course, quiz, old = holder
    client = app.test_client()
    login_as(client, user)
    warning = f"“{course.title}” hết hạn ngày {old.expires_on.strftime('%d/%m/%Y')}"
    assert warning in _page(client, "/dashboard")
    assert "sẽ hết hạn ngày" in _page(client, "/certificates")
    assert "Chứng nhận sắp hết hạn: hãy ôn tập và làm lại bài kiểm tra" in _page(client, "/competency/me")

    failed = _take(session, quiz, official, utcnow(), right=False)  # a failed try renews nothing
    assert failed.passed is False
    assert len(_certs(session, official)) == 1
    assert warning in _page(client, "/dashboard")

    attempt = _take(session, quiz, official, utcnow(), right=True)
    certs = _certs(session, official)
    assert len(certs) == 2
    new = certs[-1]
    assert new.source == f"attempt:{attempt.id}" and new.issued_on == datetime.now(VN_TZ).date()
    assert new.expires_on == services.add_months(old.expires_on, 12)
    enrolment = session.scalars(select(Enrolment).where(Enrolment.official_id == official.id)).one()
    assert enrolment.completed_at is not None

    assert warning not in _page(client, "/dashboard")
    mine = _page(client, "/certificates")
    assert "sẽ hết hạn ngày" not in mine and f'id="cert-{new.id}"' in mine
    assert new.expires_on.strftime("%d/%m/%Y") in mine
    assert "Chứng nhận sắp hết hạn" not in _page(client, "/competency/me")
    result = _page(client, f"/quizzes/attempts/{attempt.id}")
    assert f'id="certificate-link" href="/certificates#cert-{new.id}"' in result
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "certificate.renew")) == 1


def test_an_expired_certificate_is_issued_again_by_passing_the_quiz(session, holder):
    """The course was completed long ago: passing the final quiz again after the certificate ran out
    issues a new one from the pass day (the enrolment's completion is not repeated)."""
    _user, official, course, quiz, old = holder
    later = datetime.combine(old.expires_on + timedelta(days=10), datetime.min.time(), tzinfo=VN_TZ)
    attempt = _take(session, quiz, official, later.astimezone(UTC) + timedelta(hours=2), right=True)
    certs = _certs(session, official)
    assert len(certs) == 2 and certs[-1].source == f"attempt:{attempt.id}"
    assert certs[-1].issued_on == old.expires_on + timedelta(days=10)
    assert certs[-1].expires_on == services.add_months(certs[-1].issued_on, 12)
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "certificate.renew")) == 0
