"""``lms.views.perform``: one commit per use case, the user's errors rolled back and shown, 403 for NotAllowed."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from lms.errors import NotAllowed, UserError
from lms.org.models import Unit
from lms.views import perform
from tests.factories import make_unit


def _codes(session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Unit.code)))


def test_success_commits_and_returns_the_value(app, session):
    with app.test_request_context():
        outcome = perform(lambda: make_unit(session, code="OK1").code)
    assert outcome.ok and outcome.value == "OK1" and outcome.error is None
    session.rollback()  # nothing left to roll back: it was committed
    assert "OK1" in _codes(session)


def test_user_error_rolls_back_and_is_flashed(app, session):
    def failing():
        make_unit(session, code="NO1")
        raise UserError("Sai rồi.", field="name")

    with app.test_request_context():
        outcome = perform(failing)
        assert get_flashed_messages(with_categories=True) == [("error", "Sai rồi.")]
    assert not outcome.ok and outcome.message == "Sai rồi." and outcome.error.field == "name"
    assert "NO1" not in _codes(session)


def test_user_error_left_for_the_page_goes_under_its_field(app, session):
    class Field:
        errors: list = []

    class Form:
        name = Field()

    def duplicate():
        raise UserError("Trùng tên.", field="name")

    with app.test_request_context():
        outcome = perform(duplicate, flash_error=False)
        assert get_flashed_messages() == []
    assert outcome.show_on(Form()) is None and Form.name.errors == ["Trùng tên."]
    assert perform(lambda: 1).show_on(Form()) is None  # nothing to show after a success


def test_not_allowed_rolls_back_and_answers_403(app, session):
    def forbidden():
        make_unit(session, code="NO2")
        raise NotAllowed("Không được.")

    with app.test_request_context(), pytest.raises(Forbidden):
        perform(forbidden)
    assert "NO2" not in _codes(session)
