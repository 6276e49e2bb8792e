"""Practice results in competency: the environment's weights, the upgrade that fills the records of
officials who practised before it, and the pages that show the practical component."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.config import ConfigError, load_config
from lms.topics import Topic
from tests.factories import login_as, make_official, make_unit, make_user
from tests.practice.factories import make_scenario, pass_exercise


def test_weights_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_COMPETENCY_WEIGHTS", "coverage=0.5, score=0.2, participation=0.1, practice=0.2")
    cfg = load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert cfg["COMPETENCY_WEIGHTS"] == {"coverage": 0.5, "score": 0.2, "participation": 0.1, "practice": 0.2}
    for bad, message in (("practice=lots", "not name=number"), ("practice=-1", "negative"), ("skill=1", "unknown")):
        monkeypatch.setenv("LMS_COMPETENCY_WEIGHTS", bad)
        with pytest.raises(ConfigError, match=message):
            load_config(tmp_path, {"SECRET_KEY": "x" * 40})


def test_upgrade_fills_the_practice_figures_of_officials_who_practised_before(app, session):
    from flask_migrate import downgrade, upgrade

    from competency.models import CompetencyRecord, CompetencySummary
    from lms.extensions import db
    from tests.competency.factories import make_course

    course = make_course(session, Topic.EMAIL)
    scenario = make_scenario(session, course)
    person = make_official(session)
    pass_exercise(session, person, scenario)
    session.commit()
    person_id = person.id
    session.remove()
    try:
        downgrade(revision="pr4ct1ce0001")
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("competency_record")}
        assert "practice_passed" not in columns
        with db.engine.begin() as conn:  # as before the upgrade: no record for the practice
            conn.exec_driver_sql("DELETE FROM competency_summary")
            conn.exec_driver_sql("DELETE FROM competency_record")
    finally:
        upgrade(revision="heads")
    record = session.scalars(select(CompetencyRecord).where(CompetencyRecord.official_id == person_id)).one()
    assert (record.topic, record.practice_passed, record.status) == (Topic.EMAIL, 1, "in_progress")
    assert session.get(CompetencySummary, person_id).practice_passed == 1


def test_official_and_unit_head_see_the_practical_component(client, session):
    from tests.competency.factories import make_course

    course = make_course(session, Topic.QLVB)
    scenarios = [make_scenario(session, course, app="qlvb") for _ in range(3)]
    unit = make_unit(session)
    learner = make_user(session, Role.OFFICIAL, unit=unit)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    pass_exercise(session, learner.official, scenarios[0])
    session.commit()
    login_as(client, learner)
    mine = client.get("/competency/me").text
    assert "Bài thực hành đã đạt" in mine and "1/3" in mine
    login_as(client, head)
    page = client.get(f"/competency/units/{unit.id}").text
    assert "Bài thực hành đã làm đạt" in page
