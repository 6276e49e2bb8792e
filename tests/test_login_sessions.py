"""Login sessions: one per browser. Logout ends this browser's only; "log out everywhere" (and a
password change) ends them all (issue 12, point 8: logout ended every session of the account, so an
exam open on another device died with it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.auth import services
from lms.auth.models import AuditLog, LoginSession
from lms.time import utcnow
from tests.factories import PASSWORD, login_as, make_user


def sessions_of(session, user) -> int:
    session.rollback()  # see what the requests committed
    return session.scalar(select(func.count()).where(LoginSession.user_id == user.id))


def logged_in(client) -> bool:
    r = client.get("/dashboard")
    assert r.status_code in (200, 302), r.status_code
    return r.status_code == 200


def test_logout_ends_this_browser_only(app, session):
    user = make_user(session)
    office, home = app.test_client(), app.test_client()
    login_as(office, user)
    login_as(home, user)
    cookie = office.get_cookie("session").value
    assert office.post("/logout").headers["Location"].endswith("/login")
    assert not logged_in(office)
    office.set_cookie("session", cookie)
    assert not logged_in(office), "the cookie of the ended session is dead, even replayed"
    assert logged_in(home), "the other browser goes on"
    assert sessions_of(session, user) == 1


def test_logout_everywhere_ends_every_session(app, session):
    user, other = make_user(session), make_user(session)
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        login_as(client, user)
    bystander = app.test_client()
    login_as(bystander, other)
    page = clients[0].get("/password").text
    assert 'action="/logout/everywhere"' in page and "đang đăng nhập ở 3 nơi" in page
    r = clients[0].post("/logout/everywhere")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert "mọi thiết bị" in clients[0].get("/login").text  # the flash says what happened
    assert [logged_in(c) for c in clients] == [False, False, False]
    assert logged_in(bystander), "another account is not touched"
    assert sessions_of(session, user) == 0
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "logout.everywhere")).one()
    assert entry.actor_id == user.id and entry.data == {"sessions_ended": 3}


def test_logout_everywhere_is_allowed_before_the_first_password_change(app, session):
    user = make_user(session, must_change_password=True)
    client = app.test_client()
    login_as(client, user)
    assert client.post("/logout/everywhere").headers["Location"].endswith("/login")
    assert sessions_of(session, user) == 0


def test_password_change_logs_out_the_other_browsers_and_keeps_this_one(app, session):
    user = make_user(session)
    here, elsewhere = app.test_client(), app.test_client()
    login_as(here, user)
    login_as(elsewhere, user)
    old_cookie = here.get_cookie("session").value
    r = here.post("/password", data={"current": PASSWORD, "new": "Mat-khau-moi-2", "confirm": "Mat-khau-moi-2"})
    assert r.status_code == 302
    assert logged_in(here), "the browser that changed the password goes on"
    assert not logged_in(elsewhere)
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert not logged_in(replay), "this browser goes on with a new session; the old one ended"
    assert sessions_of(session, user) == 1


def test_each_form_login_starts_its_own_session(app, session):
    user = make_user(session, username="haimay")
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        r = client.post("/login", data={"login": "haimay", "password": PASSWORD})
        assert r.status_code == 302
    assert sessions_of(session, user) == 2
    first.post("/logout")
    assert not logged_in(first) and logged_in(second)


def test_sessions_older_than_the_limit_end_and_are_removed(app, session):
    user = make_user(session)
    client = app.test_client()
    login_as(client, user)
    old = session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    old.created_at = utcnow() - services.SESSION_MAX_AGE - timedelta(minutes=1)
    session.commit()
    assert not logged_in(client)
    services.start_session(session, make_user(session), utcnow())  # any login clears the old rows
    session.commit()
    assert sessions_of(session, user) == 0


def test_role_change_ends_the_sessions_of_that_account(app, session):
    from lms.auth.models import Role

    admin, user = make_user(session, Role.ADMIN), make_user(session)
    client = app.test_client()
    login_as(client, user)
    services.assign_role(session, admin, user, Role.IT_STAFF)
    session.commit()
    assert not logged_in(client)


def test_upgrade_keeps_browsers_logged_in_and_every_account_row(app, session):
    """Before the upgrade the cookie named the account's token: it stays valid as one login session
    (accounts that never logged in get none), and nothing hanging off the accounts is lost (on SQLite,
    rebuilding ``user_account`` to drop its column would delete the roles, ON DELETE CASCADE)."""
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from lms.auth.models import Role, RoleAssignment
    from lms.extensions import db

    user = make_user(session, Role.IT_STAFF)
    user.last_login_at = utcnow()
    never = make_user(session, Role.UNIT_HEAD)
    session.commit()
    user_id, never_id = user.id, never.id
    session.remove()
    config = current_app.extensions["migrate"].migrate.get_config()
    before = ScriptDirectory.from_config(config).get_revision("auths3ss0001").down_revision
    try:
        downgrade(revision=before)
        with db.engine.connect() as conn:
            old = text("SELECT session_token FROM user_account WHERE id = :id")
            token = conn.execute(old, {"id": user_id}).scalar()
    finally:
        upgrade(revision="heads")
    assert session.scalar(select(func.count()).select_from(RoleAssignment)) == 2
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user_id}:{token}"
        sess["_fresh"] = True
    assert logged_in(client)
    assert session.scalar(select(func.count()).where(LoginSession.user_id == never_id)) == 0
