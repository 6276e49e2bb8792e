from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db


def test_migrations_match_the_models(app):
    """The schema built by the migrations equals the models: every schema change has a migration."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False, "render_as_batch": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_migrations_have_a_single_head(app):
    """Every new migration continues the current head: ``flask db upgrade`` never meets two branches."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_include_subunits_migration_keeps_assignments(app, session):
    """Downgrading below the column and upgrading again keeps the assignments, ticked off by default."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, select

    from courses.models import CourseAssignment
    from courses.services import assign_course
    from lms.auth.models import Role
    from lms.time import local_today
    from tests.courses.factories import make_course
    from tests.factories import make_official, make_unit, make_user

    unit = make_unit(session)
    unit_id = unit.id
    make_official(session, unit)
    course = make_course(session)
    assign_course(session, make_user(session, Role.IT_STAFF), course, local_today(), unit_id=unit.id)
    session.commit()
    session.remove()
    try:
        downgrade(revision="c0mpet000002")
        columns = {c["name"] for c in inspect(db.engine).get_columns("course_assignment")}
        assert "include_subunits" not in columns
    finally:
        upgrade(revision="heads")
    rows = session.execute(select(CourseAssignment.unit_id, CourseAssignment.include_subunits)).all()
    assert rows == [(unit_id, False)]


def test_summary_migration_fills_the_summaries_from_existing_records(app, session):
    """A province upgrading with records already there gets their summaries filled by the migration."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from competency.models import CompetencySummary
    from competency.records import rebuild_summaries
    from lms.topics import Topic
    from tests.competency.factories import certify, graded_attempt, topic_setup
    from tests.factories import make_official

    t = topic_setup(session)
    for n, person in enumerate(make_official(session) for _ in range(5)):
        graded_attempt(session, t[Topic.QLVB][1], person, 50 + 10 * n)
        if n % 2:
            certify(session, person, t[Topic.EMAIL][0])
    session.commit()

    def rows():
        stmt = select(CompetencySummary).order_by(CompetencySummary.official_id)
        columns = [c.name for c in CompetencySummary.__table__.columns]
        return [
            tuple(getattr(r, c) for c in columns)
            for r in session.scalars(stmt.execution_options(populate_existing=True))
        ]

    kept = rows()
    assert len(kept) == 5 and sum(1 for r in kept if r[columns_index("cert_until_email")]) == 2
    session.remove()
    try:
        downgrade(revision="m3rge0000002")
    finally:
        upgrade(revision="heads")
    assert rows() == kept
    rebuild_summaries(session.connection())
    assert rows() == kept


def columns_index(name: str) -> int:
    from competency.models import CompetencySummary

    return [c.name for c in CompetencySummary.__table__.columns].index(name)


def test_idnumber_migration_gives_the_existing_questions_distinct_idnumbers(app, session):
    """A bank from before idnumbers: each question gets its own generated idnumber, nothing else moves
    (on SQLite the table is rebuilt: its versions must not go with the old table)."""
    import re

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, select

    from lms.topics import Topic
    from quizzes import gift, services
    from quizzes.models import Question, QuestionVersion
    from tests.quizzes_app.factories import NOW

    parsed = gift.parse_gift("::A::Câu một?{T}\n\n::B::Câu hai?{F}\n\n$CATEGORY: email/khac\n\n::A::Câu ba?{T}")
    services.import_questions(session, parsed.questions, Topic.EMAIL, NOW)
    session.commit()

    def rows():
        query = select(Question.id, Question.category_id, Question.title, Question.current_version_id)
        versions = select(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.text)
        return session.execute(query.order_by(Question.id)).all(), session.execute(versions).all()

    kept = rows()
    session.remove()
    try:
        downgrade(revision="c0urses00002")
        assert "idnumber" not in {c["name"] for c in inspect(db.engine).get_columns("question")}
    finally:
        upgrade(revision="heads")
    assert rows() == kept
    idnumbers = session.scalars(select(Question.idnumber)).all()
    assert len(set(idnumbers)) == 3 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in idnumbers)
