"""The monthly digest to unit heads: content, once per month, opt-out, who received it."""

from sqlalchemy import func, select

from adoption.digest import queue_digests
from adoption.models import DigestSent, System
from adoption.months import add_months, local_today, month_start
from lms.auth.models import Role
from lms.mail.models import OutboxMessage
from tests.adoption_app.factories import give_certificate, run_import, small_province
from tests.factories import login_as, make_user

LAST = add_months(month_start(local_today()), -1)


def _month(session, p):
    give_certificate(session, p.people["a2"], "email")  # certified, does not log in: "certified but not using"
    rows = [{"mailbox": f"{k}@thu.gov.vn", "last_login": LAST.strftime("%d/%m/%Y")} for k in ("a1", "a3", "b1")]
    rows.append({"mailbox": "a2@thu.gov.vn", "last_login": "01/01/2025"})
    run_import(session, System.EMAIL, LAST, rows, local_today())
    session.commit()


def test_each_head_gets_their_units_figures_once_a_month(session):
    p = small_province(session)
    head = make_user(session, Role.UNIT_HEAD, unit=p.units["A"])
    no_mail = make_user(session, Role.UNIT_HEAD, unit=p.units["B"])
    no_mail.official.email = None
    session.commit()
    _month(session, p)
    run = queue_digests(session)
    session.commit()
    assert (run.month, run.queued, run.no_email) == (LAST, 1, 1)
    message = session.scalar(select(OutboxMessage))
    assert message.to_email == head.official.email and message.kind == "adoption_digest"
    assert "Sở Thử Nghiệm A" in message.subject and f"{LAST.month:02d}/{LAST.year}" in message.subject
    # A: the head (an official of A too), a1, a3 on e-mail out of 5; first of the two sở (B: 1 of 3)
    assert "xếp thứ 1/3 trong khối" in message.text_body and "2/5 (40,0%)" in message.text_body
    assert "Có chứng nhận nhưng chưa sử dụng (1 người): Trần Thị Bình." in message.text_body
    assert "Chưa bắt đầu học" in message.text_body and "/adoption/units/" in message.text_body
    again = queue_digests(session)
    session.commit()
    assert (again.queued, again.already) == (0, 1)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_head_can_turn_it_off_and_it_staff_see_who_received_it(client, session):
    p = small_province(session)
    head = make_user(session, Role.UNIT_HEAD, unit=p.units["A"])
    other = make_user(session, Role.UNIT_HEAD, unit=p.units["C"])
    _month(session, p)
    login_as(client, head)
    page = client.get(f"/adoption/units/{p.units['A'].id}").get_data(as_text=True)
    assert "Tắt thư tổng hợp hằng tháng" in page
    assert client.post("/adoption/digest/subscription", data={"wanted": "0"}).status_code == 302
    assert "Bật lại thư tổng hợp" in client.get(f"/adoption/units/{p.units['A'].id}").get_data(as_text=True)
    run = queue_digests(session)
    session.commit()
    assert (run.queued, run.opted_out) == (1, 1)
    assert session.scalar(select(DigestSent.user_id)) == other.id
    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get("/adoption/digests").get_data(as_text=True)
    assert other.official.email in page and "Đang chờ gửi" in page
    assert "Thủ trưởng đã tắt thư tổng hợp" in page and head.name in page
    login_as(client, head)
    client.post("/adoption/digest/subscription", data={"wanted": "1"})
    assert queue_digests(session).queued == 1
