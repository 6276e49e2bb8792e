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
    "training.outbox_moved": STAFF,  # 301 to the kernel's mail.outbox (old bookmarks)
}


def values(session, users) -> dict:
    from tests.training.factories import make_session
    from training import services

    training_session = make_session(session, open_registration=False, trainer_ids=[users["it_staff"].id])
    services.invite(session, training_session, official_ids=[users["official"].official_id])
    token = services.create_token(session, users["official"])
    session.commit()
    return {"session_id": training_session.id, "token": token.token}
