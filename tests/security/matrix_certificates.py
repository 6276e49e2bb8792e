"""Authorization matrix entries of the certificates blueprint."""

from __future__ import annotations

STAFF = {"it_staff", "admin"}

EXPECTED = {
    "certificates.mine": "any",
    "certificates.pdf": "any",  # object rule: holder, head of the holder's unit, staff (test_cert_views)
    "certificates.badge": "any",
    "certificates.reminder_seen": "any",
    "certificates.manage": STAFF,
    "certificates.issue": STAFF,
    "certificates.detail": STAFF,
    "certificates.revoke": STAFF,
    "certificates.reissue": STAFF,
    "certificates.batch": STAFF,
    "certificates.export_zip": STAFF,
    "certificates.verify_lookup": "public",
    "certificates.verify": "public",
    "certificates.verify_json": "public",
    "certificates.verify_upload": "public",
}


def values(session, users) -> dict:
    """A certificate of ``users["official"]`` (so its holder and unit head pass the object rule)."""
    from certificates import services
    from tests.certificates_app.factories import make_certificate, make_course

    official = users["official"].official
    cert = make_certificate(session, official=official, course=make_course(session))
    services.queue_expiry_reminders(session, cert.expires_on, 0)
    session.commit()
    return {"cert_id": cert.id, "code": cert.verification_code}
