"""Accounts follow the officials (issue 14): created without a password, invited through the outbox,
activated by a one-time link or an activation slip, reset when forgotten, disabled when the official
leaves; the accounts page, its bulk actions and its figures."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.auth import accounts, tokens
from lms.auth.models import AccountToken, AuditLog, LoginSession, Role, RoleAssignment, TokenPurpose, User
from lms.auth.passwords import PasswordRefused, check_password_rule
from lms.mail.models import OutboxMessage
from lms.org.models import Category
from lms.org.services import save_official
from lms.time import utcnow
from tests.factories import login_as, make_official, make_unit, make_user

GOOD = "mua thu Tam Dao 1975"


def outbox(session, kind="account_invite") -> list:
    session.rollback()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def link_in(message) -> str:
    found = re.search(r"http://\S+/password/set/(\S+)", message.text_body)
    assert found, message.text_body
    return "/password/set/" + found.group(1)


def account(session, official) -> User | None:
    session.rollback()
    return session.scalar(select(User).where(User.official_id == official.id))


def provide(session, officials, **kw):
    report = accounts.provide_accounts(session, officials, utcnow(), **kw)
    session.commit()
    return report


# -- accounts follow the officials -----------------------------------------------------------------
def test_provide_accounts_creates_waiting_accounts_with_invitations(session):
    unit = make_unit(session)
    with_mail = make_official(session, unit, code="VP-0001", email="an.nguyen@phutho.gov.vn")
    no_mail = make_official(session, unit, code="VP-0002", email=None)
    gone = make_official(session, unit, code="VP-0003", active=False)
    report = provide(session, [with_mail, no_mail, gone])
    assert (report.created, report.invited) == (2, 1)
    a, b = account(session, with_mail), account(session, no_mail)
    assert account(session, gone) is None, "an official who left gets no account"
    assert (a.username, a.email, a.login_name) == ("vp-0001", "an.nguyen@phutho.gov.vn", "an.nguyen@phutho.gov.vn")
    assert (b.username, b.email, b.login_name) == ("vp-0002", None, "vp-0002")
    assert a.password_hash == "" and b.password_hash == "", "no password is hashed at import"
    assert (a.state, b.state) == ("invited", "waiting")
    [message] = outbox(session)
    assert message.to_email == "an.nguyen@phutho.gov.vn" and "72 giờ" in message.text_body
    token = session.scalars(select(AccountToken)).one()
    assert token.purpose == TokenPurpose.INVITE and token.user_id == a.id
    raw = link_in(message).rsplit("/", 1)[1]
    assert raw not in token.token_hash and token.token_hash == tokens.hash_token(raw), "only the hash is stored"
    assert abs((token.expires_at - token.created_at) - timedelta(hours=72)) < timedelta(seconds=1)
    assert provide(session, [with_mail, no_mail]).created == 0, "a second call creates nothing"
    assert len(outbox(session)) == 1


def test_an_unlinked_account_with_the_official_email_is_linked_not_duplicated(session):
    from lms.auth.services import create_user

    person = make_official(session, email="chi.tran@phutho.gov.vn")
    existing = create_user(session, "chitran", "Ca-phe-sua-da-2026", email="chi.tran@phutho.gov.vn")
    session.commit()
    report = provide(session, [person])
    assert (report.created, report.linked, report.invited) == (0, 1, 0)
    assert account(session, person).id == existing.id


def test_a_waiting_account_cannot_log_in_and_costs_one_dummy_check(client, session, monkeypatch):
    from lms.auth import services

    person = make_official(session, code="VP-0100")
    provide(session, [person], invite=False)
    checks = []
    real = services.verify_password
    monkeypatch.setattr(services, "verify_password", lambda h, p: checks.append(h) or real(h, p))
    r = client.post("/login", data={"login": "vp-0100", "password": "anything-at-all"})
    assert r.status_code == 401
    assert len(checks) == 1 and checks[0].startswith("scrypt:"), "checked against the dummy hash, like an unknown login"


def test_official_who_leaves_has_account_disabled_sessions_ended_and_head_role_ended(app, session):
    unit = make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    browser = app.test_client()
    login_as(browser, head)
    official = head.official
    official.active = False
    save_official(session, official)
    session.commit()
    user = account(session, official)
    assert (user.active, user.disabled_reason, user.state) == (False, "left", "disabled")
    assert session.scalar(select(func.count()).where(LoginSession.user_id == user.id)) == 0
    assert not user.headed_unit_ids, "the unit-head role ends with the official"
    assert browser.get("/dashboard").status_code == 302
    official.active = True
    save_official(session, official)
    session.commit()
    assert account(session, official).active, "reactivating the official brings the account back"


def test_a_manually_disabled_account_stays_off_when_the_official_is_saved(session):
    unit = make_unit(session)
    staff = make_user(session, Role.IT_STAFF)
    user = make_user(session, unit=unit)
    accounts.disable_account(session, staff, user, utcnow())
    session.commit()
    save_official(session, user.official)
    session.commit()
    assert account(session, user.official).active is False


def test_an_ended_unit_disables_the_accounts_of_its_remaining_staff(session):
    from datetime import date

    unit = make_unit(session)
    user = make_user(session, unit=unit)
    unit.valid_until = date(2025, 7, 1)
    save_official(session, user.official)
    session.commit()
    assert account(session, user.official).disabled_reason == "left"


def test_unit_head_flag_grants_moves_and_ends_the_role(session):
    a, b = make_unit(session), make_unit(session)
    staff = make_user(session, Role.IT_STAFF)
    person = make_official(session, a)
    provide(session, [person])
    assert accounts.set_unit_head(session, staff, person, True)
    session.commit()
    user = account(session, person)
    assert user.headed_unit_ids == {a.id}
    entry = session.scalars(
        select(AuditLog).where(AuditLog.action == "role.assign", AuditLog.target == f"user:{user.id}")
    ).one()
    assert entry.actor_id == staff.id and entry.data["unit"] == a.id
    person = session.get(type(person), person.id)
    person.unit_id = b.id
    save_official(session, person)
    assert accounts.follow_unit_moves(session, [(person, a.id)], staff) == 1
    session.commit()
    assert account(session, person).headed_unit_ids == {b.id}, "the role moves with the official"
    assert accounts.set_unit_head(session, staff, session.get(type(person), person.id), False)
    session.commit()
    assert account(session, person).headed_unit_ids == set()


# -- invitations -----------------------------------------------------------------------------------
def test_invitation_link_sets_a_password_once_and_logs_in(app, client, session):
    person = make_official(session, code="VP-0200", email="binh.le@phutho.gov.vn")
    provide(session, [person])
    link = link_in(outbox(session)[0])
    page = client.get(link)
    assert page.status_code == 200 and "vp-0200" in page.text.lower() and "ít nhất 8 ký tự" in page.text
    refused = client.post(link, data={"new": "matkhau123", "confirm": "matkhau123"})
    assert refused.status_code == 400 and "quá phổ biến" in refused.text
    r = client.post(link, data={"new": GOOD, "confirm": GOOD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200, "logged in"
    user = account(session, person)
    assert user.state == "active" and user.activated_at is not None and user.check_password(GOOD)
    assert app.test_client().get(link).status_code == 404, "single use"
    other = app.test_client()
    assert other.post("/login", data={"login": "binh.le@phutho.gov.vn", "password": GOOD}).status_code == 302
    assert app.test_client().post("/login", data={"login": "vp-0200", "password": GOOD}).status_code == 302


def test_reinvitation_voids_the_earlier_link_and_links_expire(app, session):
    person = make_official(session, email="cuong.pham@phutho.gov.vn")
    provide(session, [person])
    first = link_in(outbox(session)[0])
    user = account(session, person)
    tokens.invite_accounts(session, [user.id], utcnow())
    session.commit()
    second = link_in(outbox(session)[1])
    client = app.test_client()
    assert client.get(first).status_code == 404, "the earlier invitation is void"
    assert client.get(second).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=73), tick=False):
        assert client.get(second).status_code == 404, "expired after LMS_INVITE_HOURS"


def test_invite_skips_active_disabled_and_mailless_accounts(session):
    unit = make_unit(session)
    active = make_user(session, unit=unit)
    waiting = make_official(session, unit, email=None)
    provide(session, [waiting])
    report = tokens.invite_accounts(session, [active.id, account(session, waiting).id], utcnow())
    assert (report.invited, report.already_active, report.no_email) == (0, 1, 1)


# -- activation slips ------------------------------------------------------------------------------
def test_slip_code_and_year_of_birth_then_password(app, session):
    unit = make_unit(session)
    staff = make_user(session, Role.IT_STAFF)
    person = make_official(session, unit, code="XA-0007", email=None, birth_year=1968)
    nobirth = make_official(session, unit, email=None, birth_year=None)
    provide(session, [person, nobirth])
    batch = tokens.issue_slips(session, [account(session, person), account(session, nobirth)], utcnow(), staff)
    session.commit()
    assert [s.official.id for s in batch.slips] == [person.id]
    assert [o.id for o in batch.no_birth_year] == [nobirth.id], "no year of birth, no second factor: no slip"
    code = batch.slips[0].code
    assert len(code) == 8 and set(code) <= set(tokens.SLIP_ALPHABET)
    assert not set(code) & set("0O1IL2Z5S8B6GUVQ"), "no look-alike characters"
    client = app.test_client()
    wrong = client.post("/activate", data={"code": batch.slips[0].shown_code, "birth_year": "1969"})
    assert wrong.status_code == 401 and "không đúng" in wrong.text
    assert client.get("/activate/password").status_code == 302, "no password step without the year"
    r = client.post("/activate", data={"code": code.lower(), "birth_year": " 1968 "})
    assert r.status_code == 302 and r.headers["Location"].endswith("/activate/password")
    page = client.get("/activate/password")
    assert page.status_code == 200 and "xa-0007" in page.text
    r = client.post("/activate/password", data={"new": GOOD, "confirm": GOOD})
    assert r.status_code == 302 and client.get("/dashboard").status_code == 200
    assert account(session, person).check_password(GOOD)
    again = app.test_client().post("/activate", data={"code": code, "birth_year": "1968"})
    assert again.status_code == 401, "the code works once"
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "account.slips")).one()
    assert entry.actor_id == staff.id


def test_slip_guessing_is_throttled(app, session):
    person = make_official(session, email=None, birth_year=1970)
    provide(session, [person])
    [slip] = tokens.issue_slips(session, [account(session, person)], utcnow(), None).slips
    session.commit()
    client = app.test_client()
    for year in range(1971, 1976):
        assert client.post("/activate", data={"code": slip.code, "birth_year": str(year)}).status_code == 401
    r = client.post("/activate", data={"code": slip.code, "birth_year": "1970"})
    assert r.status_code == 429, "5 wrong years for this account: the right one waits too"


def test_slips_pdf_for_a_unit_lists_login_code_and_qr(app, client, session):
    unit = make_unit(session, name="Xã Đạo Trù")
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    people = [make_official(session, unit, email=None, birth_year=1960 + i) for i in range(3)]
    provide(session, people)
    login_as(client, head)
    r = client.post("/accounts/action", data={"unit": unit.id, "action": "slips", "scope": "all", "state": "pending"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Xã Đạo Trù" in text and "PHIẾU KÍCH HOẠT" in text
    codes = re.findall(r"(?<![A-Z0-9])([A-Z0-9]{4}-[A-Z0-9]{4})", text)
    assert len(codes) == 3
    for person in people:
        assert account(session, person).username in text
    assert "/Image" in str(reader.pages[0]["/Resources"]) or "/XObject" in str(reader.pages[0]["/Resources"])
    client2 = app.test_client()
    assert client2.post("/activate", data={"code": codes[0], "birth_year": "1960"}).status_code in (302, 401)
    valid = sum(
        app.test_client().post("/activate", data={"code": c, "birth_year": str(y)}).status_code == 302
        for c in codes
        for y in (1960, 1961, 1962)
    )
    assert valid == 3, "each printed code opens its own official's account with their year of birth"


# -- forgotten password ----------------------------------------------------------------------------
def test_forgotten_password_same_answer_known_or_not_and_link_works_one_hour(app, session):
    user = make_user(session, email="dung.vo@phutho.gov.vn")
    other_browser = app.test_client()
    login_as(other_browser, user)
    client = app.test_client()
    known = client.post("/password/forgot", data={"email": "Dung.Vo@phutho.gov.vn"})
    unknown = client.post("/password/forgot", data={"email": "nobody@phutho.gov.vn"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda t: re.sub(r'name="csrf_token"[^>]*', "", t)  # noqa: E731
    assert strip(known.text) == strip(unknown.text), "the page does not tell whether the address is known"
    [message] = outbox(session, "password_reset")
    assert message.to_email == "dung.vo@phutho.gov.vn"
    link = link_in(message)
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert app.test_client().get(link).status_code == 404, "one hour"
    r = client.post(link, data={"new": GOOD, "confirm": GOOD})
    assert r.status_code == 302
    assert other_browser.get("/dashboard").status_code == 302, "a reset ends the other sessions"
    assert client.get("/dashboard").status_code == 200
    assert app.test_client().get(link).status_code == 404


def test_forgotten_password_is_limited_per_address_and_per_client(app, session):
    make_user(session, email="em.ho@phutho.gov.vn")
    client = app.test_client()
    codes = [client.post("/password/forgot", data={"email": "em.ho@phutho.gov.vn"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(outbox(session, "password_reset")) == 3
    unknown = [client.post("/password/forgot", data={"email": "x@y.vn"}).status_code for _ in range(4)]
    assert unknown == [200, 200, 200, 429], "unknown addresses are limited the same way"
    many = [client.post("/password/forgot", data={"email": f"p{i}@y.vn"}).status_code for i in range(20)]
    assert many.count(429) == 6, "20 requests an hour per client (6 counted above; a refused one is not)"


# -- the password rule -----------------------------------------------------------------------------
@pytest.mark.parametrize("password", ["12345678", "password1", "Matkhau123", "iloveyou", "aaaaaaaaaa", "short"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(PasswordRefused):
        check_password_rule(password, avoid=("vp-0001",))


@pytest.mark.parametrize("password", ["mua thu Tam Dao", "con đường xưa em đi", "tuyetdep-sapa-88"])
def test_passphrases_without_puzzles_are_accepted(password):
    check_password_rule(password, password, avoid=("vp-0001", "an@x.vn"))


def test_the_login_is_refused_as_a_password():
    with pytest.raises(PasswordRefused):
        check_password_rule("nguyen.van.an@phutho.gov.vn", avoid=("vp-1", "nguyen.van.an@phutho.gov.vn"))
    with pytest.raises(PasswordRefused):
        check_password_rule("nguyen.van.an", avoid=("vp-1", "nguyen.van.an@phutho.gov.vn"))


# -- the accounts page -----------------------------------------------------------------------------
def _unit_with_states(session):
    unit = make_unit(session, name="Sở Nội vụ")
    staff = make_user(session, Role.IT_STAFF)
    active = make_user(session, unit=unit)
    active.last_login_at = utcnow() - timedelta(days=3)
    stale = make_user(session, unit=unit)
    stale.last_login_at = utcnow() - timedelta(days=40)
    invited = make_official(session, unit, category=Category.VIEN_CHUC)
    waiting = make_official(session, unit, email=None, category=Category.VIEN_CHUC)
    none = make_official(session, unit)
    session.commit()
    provide(session, [invited, waiting])
    off = make_user(session, unit=unit)
    accounts.disable_account(session, staff, off, utcnow())
    session.commit()
    return (
        unit,
        staff,
        {"active": active, "stale": stale, "invited": invited, "waiting": waiting, "none": none, "off": off},
    )


def test_accounts_page_shows_states_filters_and_figures(client, session):
    unit, staff, people = _unit_with_states(session)
    login_as(client, staff)
    page = client.get(f"/accounts?unit={unit.id}")
    assert page.status_code == 200
    for text in ("Đã kích hoạt", "Đã mời ngày", "Chờ kích hoạt", "Đã khóa", "Chưa có tài khoản"):
        assert text in page.text
    assert "6 cán bộ đang công tác, 5 có tài khoản, 3 đã kích hoạt, 1 đã dùng trong 30 ngày qua" in page.text
    waiting = client.get(f"/accounts?unit={unit.id}&state=waiting").text
    assert people["waiting"].full_name in waiting and people["invited"].full_name not in waiting
    unused = client.get(f"/accounts?unit={unit.id}&unused=1").text
    assert people["stale"].official.full_name in unused and people["active"].official.full_name not in unused
    vien_chuc = client.get(f"/accounts?unit={unit.id}&category=vien_chuc").text
    assert people["invited"].full_name in vien_chuc and people["none"].full_name not in vien_chuc
    report = client.get("/accounts")
    assert report.status_code == 200 and "Sở Nội vụ" in report.text and "Toàn tỉnh" in report.text


def test_activation_figures_by_unit_and_by_category(session):
    unit, _staff, _people = _unit_with_states(session)
    other = make_unit(session)
    make_user(session, unit=other).last_login_at = utcnow()
    session.commit()
    by_unit = {r.key.id if r.key else None: r for r in accounts.activation_figures(session, utcnow(), "unit")}
    row = by_unit[unit.id]
    assert (row.officials, row.accounts, row.activated, row.used) == (6, 5, 3, 1)
    assert (by_unit[other.id].activated, by_unit[other.id].used) == (1, 1)
    total = by_unit[None]
    assert (total.officials, total.activated, total.used) == (7, 4, 2)
    by_category = {r.key: r for r in accounts.activation_figures(session, utcnow(), "category")}
    assert (by_category[Category.VIEN_CHUC].officials, by_category[Category.VIEN_CHUC].accounts) == (2, 2)
    assert by_category[Category.VIEN_CHUC].activated == 0


def test_bulk_invite_everyone_not_yet_active_in_a_category(client, session):
    unit, staff, people = _unit_with_states(session)
    login_as(client, staff)
    before = len(outbox(session))
    r = client.post(
        "/accounts/action",
        data={"unit": unit.id, "action": "invite", "scope": "all", "state": "pending", "category": "vien_chuc"},
    )
    assert r.status_code == 302
    assert len(outbox(session)) == before + 1, "the one with an address (the other has none: a slip)"
    assert "1 người chưa có thư điện tử" in client.get(r.headers["Location"]).text


def test_unit_head_disables_and_enables_own_staff_only(client, session):
    unit, other = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    mine, theirs = make_user(session, unit=unit), make_user(session, unit=other)
    staff_browser = client.application.test_client()
    login_as(staff_browser, mine)
    login_as(client, head)
    r = client.post("/accounts/action", data={"unit": unit.id, "one": f"disable:{mine.id}"})
    assert r.status_code == 302
    session.rollback()
    assert session.get(User, mine.id).active is False
    assert staff_browser.get("/dashboard").status_code == 302, "every session of the account ends"
    assert client.post("/accounts/action", data={"unit": other.id, "one": f"disable:{theirs.id}"}).status_code == 403
    client.post("/accounts/action", data={"unit": unit.id, "one": f"disable:{theirs.id}"})  # not in this unit
    session.rollback()
    assert session.get(User, theirs.id).active is True
    client.post("/accounts/action", data={"unit": unit.id, "one": f"disable:{head.id}"})
    session.rollback()
    assert session.get(User, head.id).active is True, "nobody locks themself out"
    client.post("/accounts/action", data={"unit": unit.id, "one": f"enable:{mine.id}"})
    session.rollback()
    assert session.get(User, mine.id).active is True
    assert client.get(f"/accounts?unit={other.id}").status_code == 403


def test_official_form_creates_the_account_and_unit_head_role(client, session):
    unit = make_unit(session)
    staff = make_user(session, Role.IT_STAFF)
    login_as(client, staff)
    r = client.post(
        "/org/officials/new",
        data={
            "full_name": "Hoàng Thị Giang",
            "code": "SNV-0042",
            "email": "giang.hoang@phutho.gov.vn",
            "unit_id": unit.id,
            "position": "leader",
            "category": "cong_chuc",
            "level": "tinh",
            "birth_year": "1972",
            "active": "y",
            "unit_head": "y",
        },
    )
    assert r.status_code == 302, r.text
    session.rollback()
    user = session.scalar(select(User).where(User.username == "snv-0042"))
    assert user is not None and user.state == "invited" and user.headed_unit_ids == {unit.id}
    assert session.scalar(select(func.count()).select_from(RoleAssignment).where(RoleAssignment.user_id == user.id))
    assert [m.to_email for m in outbox(session)] == ["giang.hoang@phutho.gov.vn"]


# -- the import file -------------------------------------------------------------------------------
def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_import_creates_accounts_grants_head_role_and_moves_it(session):
    from lms.org import imports

    a, b = make_unit(session, code="SNV"), make_unit(session, code="STP")
    staff = make_user(session, Role.IT_STAFF)
    head = "Mã cán bộ,Họ và tên,Email,Mã đơn vị,Năm sinh,Thủ trưởng đơn vị"
    first = imports.read_table(
        "ds.csv",
        _csv(
            head,
            "NV-1,Nguyễn Văn An,an@snv.gov.vn,SNV,1970,có",
            "NV-2,Trần Thị Bình,,SNV,1980,",
            "NV-3,Lê Chi,,SNV,,chưa rõ",
        ),
    )
    refused = imports.import_officials(session, first, dry_run=True)
    assert [e.column for e in refused.errors] == ["Thủ trưởng đơn vị"], "neither có nor không (x counts as có, a tick)"
    table = imports.read_table(
        "ds.csv", _csv(head, "NV-1,Nguyễn Văn An,an@snv.gov.vn,SNV,1970,có", "NV-2,Trần Thị Bình,,SNV,1980,")
    )
    preview = imports.import_officials(session, table, dry_run=True)
    assert (preview.new_accounts, preview.invitations) == (2, 1)
    session.rollback()
    result = imports.import_officials(session, table, actor=staff, ip="10.0.0.9")
    assert result.written
    session.commit()
    an = session.scalar(select(User).where(User.username == "nv-1"))
    binh = session.scalar(select(User).where(User.username == "nv-2"))
    assert an.headed_unit_ids == {a.id} and binh.headed_unit_ids == set()
    assert (an.state, binh.state) == ("invited", "waiting")
    assert [m.to_email for m in outbox(session)] == ["an@snv.gov.vn"]
    entry = session.scalars(
        select(AuditLog).where(AuditLog.action == "role.assign", AuditLog.target == f"user:{an.id}")
    ).one()
    assert entry.actor_id == staff.id and entry.ip == "10.0.0.9"
    # the next file moves An to STP (the role follows) and makes Bình head of SNV
    moved = imports.read_table(
        "ds.csv", _csv(head, "NV-1,Nguyễn Văn An,an@snv.gov.vn,STP,1970,", "NV-2,Trần Thị Bình,,SNV,1980,có")
    )
    preview = imports.import_officials(session, moved, dry_run=True)
    changes = {p.label: {c.column: (c.before, c.after) for c in p.changes} for p in preview.plans}
    assert changes["NV-2 Trần Thị Bình"]["Thủ trưởng đơn vị"] == ("không", "có")
    assert preview.new_accounts == 0
    session.rollback()
    assert imports.import_officials(session, moved, actor=staff).written
    session.commit()
    session.expire_all()
    assert session.get(User, an.id).headed_unit_ids == {b.id}, "the role moved with the official"
    assert session.get(User, binh.id).headed_unit_ids == {a.id}
    assert len(outbox(session)) == 1, "no second invitation"
    gone = imports.read_table(
        "ds.csv", _csv(head + ",Đang công tác", "NV-1,Nguyễn Văn An,an@snv.gov.vn,STP,1970,,không")
    )
    assert imports.import_officials(session, gone, actor=staff).written
    session.commit()
    session.expire_all()
    user = session.get(User, an.id)
    assert (user.active, user.disabled_reason, user.headed_unit_ids) == (False, "left", set())


def test_cli_provides_missing_accounts_and_daily_sync_disables_staff_of_an_ended_unit(runner, session):
    from datetime import date

    unit = make_unit(session)
    people = [make_official(session, unit) for _ in range(3)]
    session.commit()
    result = runner.invoke(args=["lms", "accounts", "provide", "--no-invite"])
    assert result.exit_code == 0 and "created=3" in result.output and "invited=0" in result.output
    assert outbox(session) == []
    unit = session.get(type(unit), unit.id)
    unit.valid_until = date(2020, 1, 1)  # the unit ended (a units file said so) and nobody moved its staff
    session.commit()
    result = runner.invoke(args=["lms", "accounts", "sync"])
    assert result.exit_code == 0 and "changed=3" in result.output
    assert {account(session, p).state for p in people} == {"disabled"}


def test_sso_only_province_queues_no_invitation_and_offers_no_local_password(app, client, session):
    person = make_official(session, email="sso.only@phutho.gov.vn")
    app.config["LOCAL_PASSWORDS"] = False
    try:
        report = provide(session, [person])
        assert (report.created, report.invited) == (1, 0), "officials log in through the directory"
        assert outbox(session) == []
        for url in ("/password/forgot", "/activate", "/password/set/whatever"):
            r = client.get(url)
            assert r.status_code == 404 and "tài khoản thư công vụ của tỉnh" in r.text
    finally:
        app.config["LOCAL_PASSWORDS"] = True
