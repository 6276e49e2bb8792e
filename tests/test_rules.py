"""Access rules (``lms.auth.rules``): the check of one object and the query filter say the same.

For every rule that has both halves, the rows ``rule.scope(user, query)`` returns are exactly the
objects ``rule.allows(user, obj)`` accepts, for each kind of user.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from courses.models import CourseAssignment
from courses.permissions import can_see_assignment
from lms.auth.models import Role
from lms.auth.permissions import can_view_official, can_view_unit
from lms.auth.rules import PROVINCE_WIDE, Rule, head_of_unit, own
from lms.org.models import Official, Unit
from lms.time import local_today
from tests.courses.factories import make_course
from tests.factories import make_official, make_unit, make_user
from tests.training.factories import make_session
from training import services as training_services
from training.models import TrainingSession
from training.permissions import in_calendar


@pytest.fixture
def people(session):
    a, b = make_unit(session), make_unit(session)
    users = {
        "official": make_user(session, Role.OFFICIAL, a),
        "head_a": make_user(session, Role.UNIT_HEAD, a),
        "head_b": make_user(session, Role.UNIT_HEAD, b),
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
    }
    for unit in (a, b):
        make_official(session, unit)
    session.commit()
    return a, b, users


def _agree(session, rule, query, objects, user) -> None:
    scoped = set(session.scalars(rule.scope(user, query)))
    allowed = {obj for obj in objects if rule.allows(user, obj)}
    assert scoped == allowed


def test_officials_and_units_scope_like_they_check(session, people):
    _a, _b, users = people
    officials, units = session.scalars(select(Official)).all(), session.scalars(select(Unit)).all()
    for user in users.values():
        _agree(session, can_view_official, select(Official), officials, user)
        _agree(session, can_view_unit, select(Unit), units, user)
    assert [o.id for o in session.scalars(can_view_official.scope(users["official"], select(Official)))] == [
        users["official"].official_id
    ]


def test_assignments_scope_like_they_check(session, people):
    a, b, users = people
    course = make_course(session)
    for unit, actor in ((a, users["head_a"]), (b, users["head_b"]), (None, users["it_staff"])):
        from courses.services import assign_course

        assign_course(session, actor, course, local_today() + timedelta(days=10), unit_id=unit.id if unit else None)
    session.commit()
    assignments = session.scalars(select(CourseAssignment)).all()
    for user in users.values():
        _agree(session, can_see_assignment, select(CourseAssignment), assignments, user)
    assert len(session.scalars(can_see_assignment.scope(users["head_a"], select(CourseAssignment))).all()) == 1


def test_training_calendar_scope_like_it_checks(session, people):
    a, _b, users = people
    trained = make_session(session, trainer_ids=[users["head_b"].id])
    targeted = make_session(session, target_unit_ids=[a.id])
    invited = make_session(session)
    training_services.invite(session, invited, official_ids=[users["official"].official_id])
    declined = make_session(session)
    training_services.invite(session, declined, official_ids=[users["official"].official_id])
    training_services.respond(session, declined.participants[0], accept=False)
    session.commit()
    sessions = session.scalars(select(TrainingSession)).all()
    for user in users.values():
        _agree(session, in_calendar, select(TrainingSession), sessions, user)
    mine = set(session.scalars(in_calendar.scope(users["official"], select(TrainingSession))))
    assert mine == {invited}
    assert trained in session.scalars(in_calendar.scope(users["head_b"], select(TrainingSession))).all()
    assert targeted in session.scalars(in_calendar.scope(users["head_a"], select(TrainingSession))).all()


def test_composition_and_anonymous_users():
    anonymous = AnonymousUserMixin()
    everyone = Rule(lambda _user, _obj: True)
    assert not everyone(anonymous) and not PROVINCE_WIDE(anonymous)
    rule = own(lambda obj: obj["official_id"]) | head_of_unit(lambda obj: obj["unit_id"])

    class User:
        is_authenticated = True
        is_province_wide = False
        official_id = 7
        headed_unit_ids = {3}

    assert rule(User(), {"official_id": 7, "unit_id": 1})
    assert rule(User(), {"official_id": 8, "unit_id": 3})
    assert not rule(User(), {"official_id": 8, "unit_id": 4})
    assert not rule(User(), None)
    with pytest.raises(TypeError):
        rule.condition(User())  # no column given: a rule for objects only
