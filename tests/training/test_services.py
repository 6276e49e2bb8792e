"""Places, waiting list, invitations, cancellations, conflicts, attendance and reminders (services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.errors import NotAllowed
from lms.mail.models import OutboxMessage
from lms.time import utcnow
from tests.factories import make_official, make_unit, make_user
from tests.training.factories import make_session
from training import services
from training.models import ParticipantState, SessionStatus


def outbox(session, kind=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list(session.scalars(stmt))


def test_self_registration_fills_places_then_waiting_list_in_order(session):
    training_session = make_session(session, capacity=2, open_registration=True)
    people = [make_official(session) for _ in range(4)]
    now = utcnow()
    reg = services.register_self
    states = [reg(session, training_session, o, now=now + timedelta(seconds=i)).state for i, o in enumerate(people)]
    assert states == [ParticipantState.REGISTERED] * 2 + [ParticipantState.WAITLISTED] * 2
    assert [p.official_id for p in services.waiting_list(session, training_session.id)] == [people[2].id, people[3].id]
    assert (
        services.waitlist_position(session, services.get_participant(session, training_session.id, people[3].id)) == 2
    )
    assert len(outbox(session, "registered")) == 2 and len(outbox(session, "waitlisted")) == 2


def test_registering_twice_is_idempotent(session):
    training_session = make_session(session, capacity=2, open_registration=True)
    o = make_official(session)
    services.register_self(session, training_session, o)
    services.register_self(session, training_session, o)
    assert services.seats_taken(session, training_session.id) == 1
    assert len(outbox(session, "registered")) == 1


def test_closed_session_refuses_self_registration(session):
    training_session = make_session(session, open_registration=False)
    with pytest.raises(services.TrainingError):
        services.register_self(session, training_session, make_official(session))


def test_withdrawal_promotes_first_waitlisted_and_tells_them(session):
    training_session = make_session(session, capacity=1, open_registration=True)
    a, b, c = (make_official(session) for _ in range(3))
    now = utcnow()
    pa = services.register_self(session, training_session, a, now=now)
    services.register_self(session, training_session, b, now=now + timedelta(seconds=1))
    services.register_self(session, training_session, c, now=now + timedelta(seconds=2))
    services.withdraw(session, pa)
    assert services.get_participant(session, training_session.id, b.id).state == ParticipantState.REGISTERED
    assert services.get_participant(session, training_session.id, c.id).state == ParticipantState.WAITLISTED
    assert services.waitlist_position(session, services.get_participant(session, training_session.id, c.id)) == 1
    promoted = outbox(session, "promoted")
    assert [m.to_email for m in promoted] == [b.email]
    assert promoted[0].ics and "METHOD:REQUEST" in promoted[0].ics
    assert services.seats_taken(session, training_session.id) == 1


def test_invitation_accept_decline_and_full_session(session):
    training_session = make_session(session, capacity=1)
    a, b = make_official(session), make_official(session)
    result = services.invite(session, training_session, official_ids=[a.id, b.id])
    assert len(result.invited) == 2
    assert [m.to_email for m in outbox(session, "invitation")] == [a.email, b.email]
    assert all("METHOD:REQUEST" in m.ics for m in outbox(session, "invitation"))
    pa, pb = result.invited
    assert services.respond(session, pa, accept=True).state == ParticipantState.ACCEPTED
    assert services.respond(session, pb, accept=True).state == ParticipantState.WAITLISTED
    services.respond(session, pa, accept=False)
    assert services.get_participant(session, training_session.id, a.id).state == ParticipantState.DECLINED
    assert services.get_participant(session, training_session.id, b.id).state == ParticipantState.ACCEPTED
    # inviting again does not duplicate rows or e-mails
    again = services.invite(session, training_session, official_ids=[a.id, b.id])
    assert again.invited == [] and again.already == 2
    assert len(outbox(session, "invitation")) == 2


def test_cancel_session_tells_everyone_in_the_same_transaction(session):
    training_session = make_session(session, capacity=1, open_registration=True)
    invited, seated, waiting, declined = (make_official(session) for _ in range(4))
    services.invite(session, training_session, official_ids=[invited.id, declined.id])
    services.respond(session, services.get_participant(session, training_session.id, declined.id), accept=False)
    services.register_self(session, training_session, seated)
    services.register_self(session, training_session, waiting)
    sequence = training_session.sequence
    told = services.cancel_training_session(session, training_session, None, reason="Trùng lịch họp HĐND")
    assert told == 3
    assert training_session.status == SessionStatus.CANCELLED and training_session.sequence == sequence + 1
    cancels = outbox(session, "cancelled")
    assert sorted(m.to_email for m in cancels) == sorted([invited.email, seated.email, waiting.email])
    assert all("METHOD:CANCEL" in m.ics and "Trùng lịch họp HĐND" in m.text_body for m in cancels)
    session.rollback()  # nothing was committed: the cancellation and its e-mails go together
    assert outbox(session, "cancelled") == []


def test_cancelled_session_refuses_registration(session):
    training_session = make_session(session, open_registration=True)
    services.cancel_training_session(session, training_session, None)
    with pytest.raises(services.TrainingError):
        services.register_self(session, training_session, make_official(session))


def test_edit_time_raises_sequence_and_sends_update(session):
    training_session = make_session(session, open_registration=True)
    o = make_official(session)
    services.register_self(session, training_session, o)
    data = services.TrainingSessionInput(
        title=training_session.title,
        topic=training_session.topic,
        kind=training_session.kind,
        starts_at=training_session.starts_at + timedelta(hours=1),
        ends_at=training_session.ends_at + timedelta(hours=1),
        place=training_session.place,
        capacity=training_session.capacity,
        open_registration=True,
    )
    services.update_training_session(session, training_session, data, None)
    assert training_session.sequence == 1
    (msg,) = outbox(session, "updated")
    assert "SEQUENCE:1" in msg.ics


def test_capacity_increase_promotes_waiting_list(session):
    training_session = make_session(session, capacity=1, open_registration=True)
    a, b = make_official(session), make_official(session)
    services.register_self(session, training_session, a)
    services.register_self(session, training_session, b)
    data = services.TrainingSessionInput(
        title=training_session.title,
        topic=training_session.topic,
        kind=training_session.kind,
        starts_at=training_session.starts_at,
        ends_at=training_session.ends_at,
        place=training_session.place,
        capacity=2,
        open_registration=True,
    )
    services.update_training_session(session, training_session, data, None)
    assert services.get_participant(session, training_session.id, b.id).state == ParticipantState.REGISTERED


def test_conflicts_official_trainer_and_capacity(session):
    trainer = make_user(session, Role.IT_STAFF)
    first = make_session(session, capacity=1, trainer_ids=[trainer.id])
    o1, o2 = make_official(session), make_official(session)
    services.invite(session, first, official_ids=[o1.id])
    other, warnings = services.create_training_session(
        session,
        services.TrainingSessionInput(
            title="Buổi trùng giờ",
            topic=first.topic,
            kind=first.kind,
            place="Phòng 1",
            capacity=1,
            starts_at=first.starts_at + timedelta(hours=1),
            ends_at=first.ends_at + timedelta(hours=1),
            trainer_ids=[trainer.id],
        ),
        None,
    )
    assert [w.kind for w in warnings] == ["trainer"]
    result = services.invite(session, other, official_ids=[o1.id, o2.id])
    kinds = [w.kind for w in result.warnings]
    assert kinds.count("official") == 1 and "capacity" in kinds and "trainer" in kinds
    assert any(o1.full_name in str(w) for w in result.warnings)
    # a session that does not overlap: no warning
    later = make_session(session, starts_in=timedelta(days=5), capacity=5)
    assert services.detect_conflicts(session, later, [o1.id]) == []


def test_unit_head_nominates_own_staff_only(session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    training_session = make_session(session, capacity=1, kind=services.SessionKind.ONSITE, target_unit_ids=[unit_x.id])
    mine, mine2, theirs = make_official(session, unit_x), make_official(session, unit_x), make_official(session, unit_y)
    with pytest.raises(NotAllowed):
        services.nominate(session, training_session, theirs, head)
    p = services.nominate(session, training_session, mine, head)
    assert p.state == ParticipantState.REGISTERED and p.nominated_by_id == head.id
    assert services.nominate(session, training_session, mine2, head).state == ParticipantState.WAITLISTED
    assert len(outbox(session, "nominated")) == 1 and len(outbox(session, "waitlisted")) == 1


def test_official_cannot_mark_attendance_trainer_can(session):
    trainer = make_user(session, Role.IT_STAFF)
    learner = make_user(session, Role.OFFICIAL)
    training_session = make_session(
        session, starts_in=timedelta(hours=-3), hours=2, trainer_ids=[trainer.id], open_registration=True
    )
    a, b = make_official(session), make_official(session)
    training_session.starts_at = utcnow() + timedelta(days=1)  # register while it is still ahead
    services.register_self(session, training_session, a)
    services.register_self(session, training_session, b)
    training_session.starts_at = utcnow() - timedelta(hours=3)
    session.flush()
    with pytest.raises(NotAllowed):
        services.mark_attendance(session, training_session, [a.id], learner)
    counts = services.mark_attendance(session, training_session, [a.id], trainer)
    assert counts == {"attended": 1, "absent": 1}


def test_attendees_get_final_quiz_link(session):
    from tests.competency.factories import make_course, make_final_quiz

    course = make_course(session)
    quiz = make_final_quiz(session, course)
    trainer = make_user(session, Role.IT_STAFF)
    training_session = make_session(session, course_id=course.id, open_registration=True, trainer_ids=[trainer.id])
    o = make_official(session)
    services.register_self(session, training_session, o)
    training_session.starts_at, training_session.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    session.flush()
    services.mark_attendance(session, training_session, [o.id], trainer)
    services.mark_attendance(session, training_session, [o.id], trainer)  # twice: one e-mail
    (msg,) = outbox(session, "quiz-link")
    assert f"/quizzes/{quiz.id}" in msg.text_body
    data = services.dashboard_data(session, o.id)
    assert [q.id for _p, q in data["quizzes"]] == [quiz.id]


def test_reminders_are_idempotent(session, runner):
    training_session = make_session(session, starts_in=timedelta(hours=20), open_registration=True)
    make_session(session, starts_in=timedelta(days=6), open_registration=True)
    o = make_official(session)
    services.register_self(session, training_session, o)
    session.commit()
    for _ in range(2):
        result = runner.invoke(args=["lms", "training", "remind"])
        assert result.exit_code == 0, result.output
    session.expire_all()
    assert [m.to_email for m in outbox(session, "reminder")] == [o.email]


def test_calendar_tokens_revoke_and_replace(session):
    user = make_user(session)
    first = services.create_token(session, user)
    assert services.user_for_token(session, first.token) == user
    second = services.create_token(session, user)
    assert services.user_for_token(session, first.token) is None
    assert services.user_for_token(session, second.token) == user
    services.revoke_tokens(session, user)
    assert services.user_for_token(session, second.token) is None
    assert services.user_for_token(session, "nope") is None
