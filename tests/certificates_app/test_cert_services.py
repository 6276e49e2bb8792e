"""Issuing, idempotence, concurrency, expiry, revocation, re-issue, reminders, storage."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from certificates import services
from certificates.codes import is_valid_serial, parse_serial
from certificates.models import Certificate, CertificateReminder, CertificateStatus
from certificates.services import storage
from lms.auth.models import AuditLog, Role
from lms.events import certificate_changed, course_completed
from lms.extensions import db
from tests.certificates_app.factories import make_certificate, make_course
from tests.factories import make_official, make_user


def _complete(session, official, course, source="attempt:1", score=90.0, at=None):
    course_completed.send(
        session,
        official_id=official.id,
        course_id=course.id,
        score_percent=score,
        completed_at=at or datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        source=source,
    )


def _count(session, **where):
    query = select(func.count(Certificate.id))
    for key, value in where.items():
        query = query.where(getattr(Certificate, key) == value)
    return session.scalar(query)


def test_completion_event_issues_once_even_when_fired_twice(session):
    official, course = make_official(session), make_course(session, validity_months=24)
    _complete(session, official, course)
    _complete(session, official, course)
    session.commit()
    certs = session.scalars(select(Certificate)).all()
    assert len(certs) == 1
    cert = certs[0]
    assert cert.source == "attempt:1" and cert.revision == 1 and cert.status == CertificateStatus.VALID
    assert cert.issued_on == date(2026, 3, 5) and cert.expires_on == date(2028, 3, 5)
    assert cert.score_percent == Decimal("90.00")
    assert is_valid_serial(cert.serial) and cert.serial.startswith("VP-2026-")
    assert cert.holder_name == official.full_name and cert.unit_name == official.unit.name
    assert cert.issuer_name == "SỞ KHOA HỌC VÀ CÔNG NGHỆ" and cert.place == "Phú Thọ"  # the defaults: today's issuer
    assert cert.pdf_sha256 and len(cert.pdf_sha256) == 64  # rendered once at issue
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "certificate.issue")) == 1


def test_issue_day_is_the_vietnam_calendar_day(session):
    official, course = make_official(session), make_course(session)
    _complete(session, official, course, at=datetime(2026, 3, 4, 18, 30, tzinfo=UTC))  # 01:30 on 5/3 in Hanoi
    assert session.scalars(select(Certificate)).one().issued_on == date(2026, 3, 5)


def test_completion_without_score_issues_nothing(session):
    official, course = make_official(session), make_course(session)
    _complete(session, official, course, score=None)
    assert _count(session) == 0


def test_certificate_changed_is_sent(session):
    got = []

    def receiver(sender, certificate, **kw):
        got.append(certificate.serial)

    certificate_changed.connect(receiver)
    try:
        make_certificate(session)
    finally:
        certificate_changed.disconnect(receiver)
    assert len(got) == 1


def _run_threads(app, n, target):
    errors, barrier = [], threading.Barrier(n)

    def run(i):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                target(i)
                db.session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_two_threads_sending_the_same_completion_issue_once(app, session):
    official, course = make_official(session), make_course(session)
    session.commit()
    ids = (official.id, course.id)

    def target(_i):
        from courses.models import Course
        from lms.org.models import Official

        _complete(db.session, db.session.get(Official, ids[0]), db.session.get(Course, ids[1]), source="attempt:77")

    errors = _run_threads(app, 2, target)
    assert errors == []
    session.expire_all()
    assert _count(session, official_id=official.id, source="attempt:77") == 1


def test_serials_are_unique_under_concurrency(app, session):
    app.config["CERT_RENDER_ON_ISSUE"] = False
    try:
        course = make_course(session)
        officials = [make_official(session) for _ in range(8)]
        session.commit()
        oids, cid = [o.id for o in officials], course.id

        def target(i):
            from courses.models import Course
            from lms.org.models import Official

            for k in range(5):
                official = db.session.get(Official, oids[i])
                # five different completions of five different courses would be more realistic; distinct
                # sources + an expired-by-then rule are not needed: use one course per (thread, k)
                c = db.session.get(Course, cid)
                services.issue_certificate(
                    db.session, official, c, 80, f"attempt:{i}-{k}", date(2020 + k, 1, 1 + i), actor=None
                )
                db.session.commit()

        # each official re-certifies every year (validity 24 months would block): make it 6 months
        course.validity_months = 6
        session.commit()
        errors = _run_threads(app, 8, target)
        assert errors == []
        session.expire_all()
        serials = session.scalars(select(Certificate.serial)).all()
        assert len(serials) == 40 and len(set(serials)) == 40
        by_year: dict[int, list[int]] = {}
        for s in serials:
            p = parse_serial(s)
            by_year.setdefault(p.year, []).append(p.seq)
        assert {y: sorted(v) for y, v in by_year.items()} == {y: list(range(1, 9)) for y in range(2020, 2025)}
    finally:
        app.config["CERT_RENDER_ON_ISSUE"] = True


def test_still_valid_certificate_is_not_duplicated_but_expired_one_is_renewed(session):
    official, course = make_official(session), make_course(session, validity_months=12)
    first = make_certificate(session, official, course, issued_on=date(2024, 1, 10), source="attempt:1")
    again = make_certificate(session, official, course, issued_on=date(2024, 6, 1), source="attempt:2")
    assert again.id == first.id  # still valid: no duplicate
    renewed = make_certificate(session, official, course, issued_on=date(2025, 2, 1), source="attempt:3")
    assert renewed.id != first.id and renewed.serial != first.serial
    assert first.state_on(date(2025, 2, 1)) == "expired" and renewed.state_on(date(2025, 2, 1)) == "valid"
    assert _count(session, official_id=official.id) == 2  # history kept


def test_course_without_validity_never_expires(session):
    cert = make_certificate(session, course=make_course(session, validity_months=None))
    assert cert.expires_on is None and cert.state_on(date(2099, 1, 1)) == "valid"


def test_add_months_clamps_to_month_end():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert services.add_months(date(2026, 11, 15), 24) == date(2028, 11, 15)


def test_revoke_needs_a_reason_and_is_audited(session):
    staff = make_user(session, Role.IT_STAFF)
    cert = make_certificate(session)
    with pytest.raises(services.CertificateError):
        services.revoke_certificate(session, staff, cert, "   ")
    services.revoke_certificate(session, staff, cert, "Gian lận khi làm bài")
    assert cert.status == CertificateStatus.REVOKED and cert.revoked_by_id == staff.id and cert.revoked_at
    assert cert.state_on(date(2026, 1, 1)) == "revoked"
    with pytest.raises(services.CertificateError):
        services.revoke_certificate(session, staff, cert, "again")
    assert session.scalar(select(AuditLog.data).where(AuditLog.action == "certificate.revoke")) == {
        "reason": "Gian lận khi làm bài"
    }


def test_reissue_keeps_the_serial_and_supersedes(session, tmp_path):
    staff = make_user(session, Role.IT_STAFF)
    cert = make_certificate(session)
    old_code, old_sha = cert.verification_code, cert.pdf_sha256
    new = services.reissue_certificate(session, staff, cert, "Sai chính tả họ tên", {"holder_name": "Nguyễn Văn Đúng"})
    assert new.pdf_sha256 is None  # rendered after the commit, outside the issuing transaction
    session.commit()
    assert new.serial == cert.serial and new.revision == 2 and new.sequence_number == cert.sequence_number
    assert new.verification_code != old_code and new.holder_name == "Nguyễn Văn Đúng"
    assert cert.status == CertificateStatus.SUPERSEDED and cert.superseded_by_id == new.id
    assert new.pdf_sha256 and new.pdf_sha256 != old_sha
    assert services.current_revision(session, cert).id == new.id
    with pytest.raises(services.CertificateError):
        services.reissue_certificate(session, staff, cert, "twice")  # only the current revision
    third = services.reissue_certificate(session, staff, new, "Sửa điểm", {"score_percent": "95.5"})
    assert third.revision == 3 and third.score_percent == Decimal("95.50")
    assert services.current_revision(session, cert).id == third.id
    # the completion stays idempotent: the same source issues nothing new
    again = services.issue_certificate(session, cert.official, cert.course, 80, cert.source, cert.issued_on)
    assert again.id == third.id


def test_batch_revoke_with_progress_skips_invalid(session):
    staff = make_user(session, Role.IT_STAFF)
    certs = [make_certificate(session) for _ in range(3)]
    services.revoke_certificate(session, staff, certs[0], "x")
    ticks = []
    result = services.batch_action(
        session, staff, "revoke", [c.id for c in certs] + [999999], "Đợt rà soát", ticks.append
    )
    assert [c.id for c in result.done] == [certs[1].id, certs[2].id]
    assert [i for i, _ in result.skipped] == [certs[0].id, 999999]
    assert len(ticks) == 4
    result = services.batch_action(session, staff, "reissue", [certs[1].id], "x")
    assert result.skipped and not result.done  # revoked: cannot re-issue


def test_batch_reissue(session):
    staff = make_user(session, Role.IT_STAFF)
    certs = [make_certificate(session) for _ in range(2)]
    result = services.batch_action(session, staff, "reissue", [c.id for c in certs], "Đổi tên cơ quan")
    assert [c.revision for c in result.done] == [2, 2]
    assert all(c.status == CertificateStatus.SUPERSEDED for c in certs)


def test_manual_issue_refuses_a_duplicate(session):
    staff = make_user(session, Role.IT_STAFF)
    official, course = make_official(session), make_course(session)
    cert = services.issue_manual(session, staff, official, course, 77, date(2026, 3, 1), note="Kiểm tra trên lớp")
    assert cert.source.startswith(f"manual:{staff.id}:")
    with pytest.raises(services.CertificateError):
        services.issue_manual(session, staff, official, course, 80, date(2026, 3, 2))


def test_reminders_are_idempotent_and_skip_renewed(session):
    course = make_course(session, validity_months=12)
    a, b = make_official(session), make_official(session)
    expiring = make_certificate(session, a, course, issued_on=date(2025, 3, 20))
    make_certificate(session, b, course, issued_on=date(2025, 3, 20))
    make_certificate(session, b, course, issued_on=date(2026, 3, 21), source="renewed")  # b renewed already
    make_certificate(session, issued_on=date(2025, 8, 1))  # far from expiry
    created = services.queue_expiry_reminders(session, date(2026, 3, 1), 30)
    again = services.queue_expiry_reminders(session, date(2026, 3, 2), 30)
    assert [r.certificate_id for r in created] == [expiring.id]
    assert again == []
    assert created[0].kind == "expiring-30d" and created[0].due_on == date(2026, 3, 20)
    assert [r.id for r in services.pending_reminders(session, a.id)] == [created[0].id]
    services.mark_reminder_seen(session, created[0])
    assert services.pending_reminders(session, a.id) == []
    assert session.scalar(select(func.count(CertificateReminder.id))) == 1


def test_lookup_by_code_and_by_serial_and_name(session):
    cert = make_certificate(
        session, official=make_official(session, family_name="Đặng", middle_name="Thị Ánh", given_name="Tuyết")
    )
    code = cert.verification_code
    assert services.find_by_code(session, code.lower().replace("-", "")) is cert
    assert services.find_by_code(session, " " + code.lower() + " ") is cert
    assert services.find_by_code(session, "not-a-code") is None
    assert services.find_by_code(session, "2" * 28) is None
    assert services.find_by_serial_and_name(session, cert.serial.lower(), "dang thi anh tuyet") is cert
    assert services.find_by_serial_and_name(session, cert.serial, "Người Khác") is None
    wrong_check = cert.serial[:-1] + ("0" if cert.serial[-1] != "0" else "1")
    assert services.find_by_serial_and_name(session, wrong_check, "Đặng Thị Ánh Tuyết") is None


def test_pdf_is_stored_once_and_rerendered_on_template_change(session, monkeypatch, _certificate_storage):
    cert = make_certificate(session)
    path = _certificate_storage / f"{cert.code_compact}-r1.pdf"
    assert services.storage_key(cert) == path.name
    assert path.read_bytes().startswith(b"%PDF")
    mtime = path.stat().st_mtime_ns
    assert services.ensure_pdf(session, cert) == path.read_bytes() and path.stat().st_mtime_ns == mtime  # not again
    path.unlink()
    assert services.stored_pdf(cert) is None
    services.ensure_pdf(session, cert)
    assert path.is_file() and services.stored_pdf(cert) == path.read_bytes()
    monkeypatch.setattr(storage, "TEMPLATE_VERSION", "next")  # what needs_render compares with
    first_sha = cert.pdf_sha256
    services.ensure_pdf(session, cert)
    assert cert.pdf_template_version == "next"
    # byte-identical output keeps the hash; a changed one keeps the old hash verifiable
    assert cert.pdf_sha256 == first_sha or first_sha in cert.pdf_previous_sha256


def test_render_missing_in_a_process_pool(app, session, _certificate_storage):
    app.config["CERT_RENDER_ON_ISSUE"] = False
    try:
        certs = [make_certificate(session) for _ in range(5)]
        session.commit()
    finally:
        app.config["CERT_RENDER_ON_ISSUE"] = True
    assert all(c.pdf_sha256 is None for c in certs)
    ids = (c.id for c in certs)  # a generator: consumed in chunks
    ticks = []
    stats = services.render_missing(services_session_factory(), ids, workers=2, chunk_size=2, progress=ticks.append)
    assert (stats.rendered, stats.up_to_date, stats.failed) == (5, 0, [])
    assert len(ticks) == 5
    session.expire_all()
    for cert in certs:
        assert cert.pdf_sha256 and (_certificate_storage / services.storage_key(cert)).is_file()
    stats = services.render_missing(services_session_factory(), [c.id for c in certs], workers=1)
    assert (stats.rendered, stats.up_to_date) == (0, 5)


def services_session_factory():
    from sqlalchemy.orm import Session

    return lambda: Session(db.engine, expire_on_commit=False)
