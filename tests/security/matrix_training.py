"""Authorization matrix entries of the training blueprint."""

from __future__ import annotations

PUBLIC = "public"
ANY = "any"
STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED: dict[str, object] = {
    "training.index": ANY,
    "training.calendar": ANY,
    "training.new_session": STAFF,
    "training.session_detail": ANY,  # object rule: staff, trainers, participants, unit heads concerned, open
    "training.edit_session": STAFF,
    "training.copy_session": STAFF,
    "training.cancel_session": STAFF,
    "training.targeting": STAFF,
    "training.attendance": STAFF,  # route: login; object rule: trainers and IT staff (officials 403)
    "training.respond": {"official", "unit_head"},
    "training.register": {"official", "unit_head"},
    "training.withdraw": {"official", "unit_head"},
    "training.session_ics": ANY,
    "training.nominate": MANAGERS,
    "training.unit_sessions": MANAGERS,
    "training.feed_settings": ANY,
    "training.feed": PUBLIC,  # the secret token is the credential; wrong or revoked -> 404
    "training.outbox": STAFF,
    "training.outbox_retry": STAFF,
}


def values(session, users) -> dict:
    from sqlalchemy import select

    from lms.mail.models import OutboxMessage
    from lms.mail.outbox import queue_message
    from tests.training.factories import make_session
    from training import services

    training_session = make_session(session, open_registration=False, trainer_ids=[users["it_staff"].id])
    services.invite(session, training_session, official_ids=[users["official"].official_id])
    queue_message(session, to_email="x@example.gov.vn", subject="s", text_body="t", kind="t", dedupe_key="matrix")
    message_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "matrix"))
    token = services.create_token(session, users["official"])
    session.commit()
    return {"session_id": training_session.id, "message_id": message_id, "token": token.token}
