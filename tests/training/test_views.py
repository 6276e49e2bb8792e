"""Pages: creating sessions, targeting with the lagging API, nominations, attendance, dashboard, outbox."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from lms.auth.models import Role
from lms.mail.models import OutboxMessage
from lms.mail.outbox import queue_message
from lms.time import to_local, utcnow
from lms.topics import Topic
from tests.factories import login_as, make_official, make_unit, make_user
from tests.training.factories import make_session
from training import services
from training.models import Participant, ParticipantState, SessionKind, TrainingSession


def _local(dt):
    return to_local(dt).strftime("%Y-%m-%dT%H:%M")


def test_it_staff_create_session_in_local_time(client, session):
    staff = make_user(session, Role.IT_STAFF)
    login_as(client, staff)
    assert client.get("/training/new").status_code == 200
    r = client.post(
        "/training/new",
        data={
            "title": "Tập huấn  thư điện tử",
            "topic": "email",
            "kind": "classroom",
            "course_id": "",
            "starts_at": "2030-03-02T08:00",
            "ends_at": "2030-03-02T11:30",
            "place": "Hội trường",
            "capacity": "20",
            "trainer_ids": [str(staff.id)],
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    training_session = session.scalars(select(TrainingSession)).one()
    assert training_session.title == "Tập huấn thư điện tử"
    assert training_session.starts_at.isoformat() == "2030-03-02T01:00:00+00:00"  # 08:00 in Vietnam
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "08:00" in html and "11:30" in html


def test_create_refuses_end_before_start(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post(
        "/training/new",
        data={
            "title": "Sai giờ",
            "topic": "email",
            "kind": "classroom",
            "starts_at": "2030-03-02T08:00",
            "ends_at": "2030-03-02T07:00",
            "place": "P1",
        },
    )
    assert r.status_code == 200 and "Giờ kết thúc phải sau giờ bắt đầu." in r.get_data(as_text=True)
    assert session.scalars(select(TrainingSession)).all() == []


def test_copy_and_cancel_pages(client, session):
    staff = make_user(session, Role.IT_STAFF)
    training_session = make_session(session, open_registration=True)
    o = make_official(session)
    services.register_self(session, training_session, o)
    session.commit()
    login_as(client, staff)
    assert client.get(f"/training/{training_session.id}/copy").status_code == 200
    r = client.post(
        f"/training/{training_session.id}/copy",
        data={
            "title": training_session.title,
            "topic": "email",
            "kind": "classroom",
            "place": training_session.place,
            "capacity": "10",
            "starts_at": _local(training_session.starts_at + timedelta(days=7)),
            "ends_at": _local(training_session.ends_at + timedelta(days=7)),
        },
    )
    assert r.status_code == 302
    assert len(session.scalars(select(TrainingSession)).all()) == 2
    r = client.post(f"/training/{training_session.id}/cancel", data={"reason": "Mưa bão"}, follow_redirects=True)
    assert "Đã hủy buổi tập huấn và báo cho 1 người." in r.get_data(as_text=True)
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cancelled")).one().to_email == o.email


def test_targeting_proposes_lagging_units_and_officials_sorted_by_need(client, session):
    from tests.competency.factories import graded_attempt, make_course, make_final_quiz

    staff = make_user(session, Role.IT_STAFF)
    weak = make_unit(session, name="Xã Yếu")
    never, failing = make_official(session, weak, given_name="Chưa"), make_official(session, weak, given_name="Trượt")
    quiz = make_final_quiz(session, make_course(session, Topic.EMAIL))
    graded_attempt(session, quiz, failing, 40.0)
    training_session = make_session(session, topic=Topic.EMAIL, kind=SessionKind.ONSITE, target_unit_ids=[weak.id])
    session.commit()
    proposal = services.propose_targets(session, training_session)
    assert [u.unit_id for u in proposal.units] == [weak.id]
    assert [o.official_id for o in proposal.officials] == [never.id, failing.id]  # need 100, then failing
    login_as(client, staff)
    html = client.get(f"/training/{training_session.id}/targeting").get_data(as_text=True)
    assert "Xã Yếu" in html and html.index(never.full_name) < html.index(failing.full_name)
    chosen = {"official_id": [str(never.id), str(failing.id)], "unit_id": [str(weak.id)]}
    preview = client.post(f"/training/{training_session.id}/targeting", data=chosen)
    assert preview.status_code == 200 and "Xã Yếu" in preview.text, "first says whom it reaches"
    assert session.scalars(select(Participant)).all() == []
    r = client.post(f"/training/{training_session.id}/targeting", data={**chosen, "action": "confirm"})
    assert r.status_code == 302
    assert {p.official_id for p in session.scalars(select(Participant))} == {never.id, failing.id}


def test_unit_head_cannot_nominate_other_units_staff(client, session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    mine, theirs = make_official(session, unit_x), make_official(session, unit_y)
    training_session = make_session(session, kind=SessionKind.ONSITE, target_unit_ids=[unit_x.id])
    elsewhere = make_session(session, kind=SessionKind.ONSITE, target_unit_ids=[unit_y.id])
    session.commit()
    login_as(client, head)
    page = client.get(f"/training/{training_session.id}/nominate").get_data(as_text=True)
    assert mine.full_name in page and theirs.full_name not in page
    assert (
        client.post(f"/training/{training_session.id}/nominate", data={"official_id": [str(theirs.id)]}).status_code
        == 403
    )
    assert (
        client.post(
            f"/training/{training_session.id}/nominate", data={"official_id": [str(mine.id), str(theirs.id)]}
        ).status_code
        == 403
    )
    assert session.scalars(select(Participant)).all() == []
    assert client.get(f"/training/{elsewhere.id}/nominate").status_code == 403  # not their unit's session
    assert (
        client.post(f"/training/{training_session.id}/nominate", data={"official_id": [str(mine.id)]}).status_code
        == 302
    )
    assert session.scalars(select(Participant)).one().official_id == mine.id
    html = client.get("/training/unit").get_data(as_text=True)
    assert training_session.title in html and elsewhere.title not in html


def test_official_cannot_mark_attendance(client, session):
    trainer = make_user(session, Role.IT_STAFF)
    learner = make_user(session, Role.OFFICIAL)
    training_session = make_session(session, open_registration=True, trainer_ids=[trainer.id])
    services.register_self(session, training_session, learner.official)
    training_session.starts_at = utcnow() - timedelta(hours=1)
    session.commit()
    login_as(client, learner)
    assert client.get(f"/training/{training_session.id}/attendance").status_code == 403
    assert (
        client.post(
            f"/training/{training_session.id}/attendance", data={"present": [str(learner.official_id)]}
        ).status_code
        == 403
    )
    login_as(client, trainer)
    page = client.get(f"/training/{training_session.id}/attendance").get_data(as_text=True)
    assert learner.official.full_name in page
    assert (
        client.post(
            f"/training/{training_session.id}/attendance", data={"present": [str(learner.official_id)]}
        ).status_code
        == 302
    )
    session.expire_all()
    assert session.scalars(select(Participant)).one().state == ParticipantState.ATTENDED


def test_official_accepts_from_dashboard_and_sees_waiting_position(client, session):
    learner = make_user(session, Role.OFFICIAL)
    training_session = make_session(session, capacity=1, title="Buổi đã đầy")
    invite_only = make_session(session, starts_in=timedelta(days=4), title="Buổi được mời")
    services.invite(session, training_session, official_ids=[make_official(session).id, learner.official_id])
    first = session.scalars(select(Participant).where(Participant.official_id != learner.official_id)).one()
    services.respond(session, first, accept=True)
    services.invite(session, invite_only, official_ids=[learner.official_id])
    session.commit()
    login_as(client, learner)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Buổi đã đầy" in html and "Buổi được mời" in html and "Nhận lời" in html
    r = client.post(
        f"/training/{training_session.id}/respond",
        data={"answer": "accept", "next": "dashboard"},
        follow_redirects=True,
    )
    assert "vị trí 1 trong danh sách chờ" in r.get_data(as_text=True)
    r = client.post(f"/training/{invite_only.id}/respond", data={"answer": "accept"}, follow_redirects=True)
    assert "Đã xác nhận chỗ tham dự" in r.get_data(as_text=True)


def test_official_cannot_see_unrelated_session(client, session):
    learner = make_user(session, Role.OFFICIAL)
    training_session = make_session(session)
    session.commit()
    login_as(client, learner)
    assert client.get(f"/training/{training_session.id}").status_code == 403
    assert client.get("/training/999999").status_code == 404


def test_pages_render(client, session):
    staff = make_user(session, Role.IT_STAFF)
    training_session = make_session(session, open_registration=True)
    session.commit()
    login_as(client, staff)
    for url in (
        "/training/",
        f"/training/{training_session.id}",
        f"/training/{training_session.id}/edit",
        "/admin/outbox",
        "/training/unit",
        "/training/calendar-feed",
    ):
        assert client.get(url).status_code == 200, url


def test_inviting_units_without_a_head_account_warns_and_offers_their_officials(client, session):
    """Issue 14: inviting the three weakest units reported "Đã mời 0 cán bộ và 3 đơn vị" and sent nothing,
    because none had a unit-head account."""
    staff = make_user(session, Role.IT_STAFF)
    headless = [make_unit(session, name=f"Xã Không Thủ Trưởng {i}") for i in range(2)]
    led = make_unit(session, name="Xã Có Thủ Trưởng")
    head = make_user(session, Role.UNIT_HEAD, unit=led)
    staff_a = [make_official(session, headless[0]) for _ in range(3)] + [
        make_official(session, headless[0], email=None)
    ]
    make_official(session, headless[1])
    training_session = make_session(session)
    session.commit()
    login_as(client, staff)
    units = {"unit_id": [str(u.id) for u in [*headless, led]]}
    page = client.post(f"/training/{training_session.id}/targeting", data=units).text
    assert "chưa có tài khoản thủ trưởng" in page
    assert "Xã Không Thủ Trưởng 0: mời thẳng 4 cán bộ của đơn vị (3 người có thư điện tử)" in page
    assert "Lời mời sẽ đến 1 người: 0 cán bộ được mời trực tiếp và 1 thủ trưởng đơn vị; 1 thư điện tử" in page
    direct = {**units, "direct_unit_id": [str(headless[0].id)]}
    page = client.post(f"/training/{training_session.id}/targeting", data=direct).text
    assert "Lời mời sẽ đến 5 người: 4 cán bộ được mời trực tiếp và 1 thủ trưởng đơn vị; 4 thư điện tử" in page
    assert "1 cán bộ không có thư điện tử" in page
    r = client.post(
        f"/training/{training_session.id}/targeting", data={**direct, "action": "confirm"}, follow_redirects=True
    )
    assert "Đã mời 4 cán bộ và 3 đơn vị (1 thủ trưởng được báo" in r.text and "4 thư điện tử" in r.text
    session.rollback()
    assert {p.official_id for p in session.scalars(select(Participant))} == {o.id for o in staff_a}
    kinds = sorted(m.kind for m in session.scalars(select(OutboxMessage)))
    assert kinds.count("unit-invitation") == 1 and len(kinds) == 4
    assert head.official.email in {m.to_email for m in session.scalars(select(OutboxMessage))}


def test_a_trainer_is_told_they_teach_and_someone_not_listed_why_there_is_no_button(client, session):
    """The "my attendance" box was empty for a trainer and for a unit head whose unit is targeted."""
    unit = make_unit(session)
    trainer = make_user(session, Role.OFFICIAL, unit=unit)
    staff_trainer = make_user(session, Role.IT_STAFF)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    training_session = make_session(session, trainer_ids=[trainer.id, staff_trainer.id], target_unit_ids=[unit.id])
    session.commit()

    def box(user) -> str:
        client.post("/logout")
        login_as(client, user)
        return client.get(f"/training/{training_session.id}").text.split('id="my-answer"')[1].split("</section>")[0]

    for user in (trainer, staff_trainer):
        text = box(user)
        assert "Bạn là giảng viên của buổi tập huấn này." in text
        assert "Đăng ký tham dự" not in text and "Bạn không có trong danh sách" not in text
    text = box(head)
    assert "Bạn không có trong danh sách tham dự buổi này" in text and "giảng viên" not in text


def test_the_decline_button_and_the_declined_state_read_differently_in_english(app):
    from flask_babel import force_locale

    from training.models import ParticipantState

    with app.test_request_context("/"), force_locale("en"):
        from flask_babel import gettext

        assert gettext("Từ chối") == "Decline"
        assert str(ParticipantState.DECLINED.label) == "Declined"


def test_the_outbox_says_when_the_sender_last_ran_and_how_to_run_it(client, session):
    """Before: 71 messages "waiting" and no hint that no sender was running."""
    now = utcnow()
    login_as(client, make_user(session, Role.IT_STAFF))

    def status() -> str:
        html = client.get("/admin/outbox").text
        start = html.index('id="sender-status"')
        return html[start : html.index("</", html.index("</p>", start) + 4)]

    queue_message(session, to_email="a@example.gov.vn", subject="Mới", text_body="x", kind="t", dedupe_key="s1")
    session.commit()
    assert "1 thư đang chờ đến lượt gửi" in status() and "không chạy" not in status()

    queue_message(session, to_email="b@example.gov.vn", subject="Cũ", text_body="x", kind="t", dedupe_key="s2")
    old = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "s2")).one()
    old.next_attempt_at = now - timedelta(hours=2)
    session.commit()
    text = status()
    assert "Có vẻ bộ gửi thư không chạy" in text and "Bộ gửi thư chưa gửi thư nào" in text
    assert "flask lms mail send" in text and to_local(old.next_attempt_at).strftime("%d/%m/%Y %H:%M") in text

    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == "s1")).one()
    sent.state, sent.sent_at = "sent", now - timedelta(minutes=90)
    session.commit()
    assert f"Lần gửi gần nhất: {to_local(sent.sent_at).strftime('%d/%m/%Y %H:%M')}" in status()


def test_the_new_session_form_opened_for_a_unit_is_an_onsite_session_there_on_a_working_day(client, session):
    from lms.workdays import is_working_day

    unit = make_unit(session, code="X-DAOTRU", name="Xã Đạo Trù")
    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get(f"/training/new?unit={unit.id}&topic=email").get_data(as_text=True)
    assert 'value="Hỗ trợ tại đơn vị: Xã Đạo Trù"' in page and 'value="Xã Đạo Trù"' in page
    assert re.search(r'<option selected value="onsite"|<option value="onsite" selected', page)
    assert re.search(rf'value="{unit.id}"[^>]*checked', page)
    day = re.search(r'value="(\d\d)/(\d\d)/(\d{4}) 08:00"', page)
    assert day and is_working_day(date(int(day[3]), int(day[2]), int(day[1])))
    for junk in ("?unit=abc", "?unit=999999", "?topic=nope"):  # ignored, never an error
        assert client.get(f"/training/new{junk}").status_code == 200
