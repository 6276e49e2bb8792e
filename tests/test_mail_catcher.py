"""The demo's mail catcher (``flask lms mail catcher``, started by scripts/start.sh): the outbox sender
delivers to it through real SMTP, and each message lands in the folder as an .eml file a mail program
opens (Vietnamese subject and body intact)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy.orm import sessionmaker

from lms.auth.models import Role
from lms.extensions import db
from lms.mail import catcher, sender
from lms.time import utcnow
from tests.factories import login_as, make_official, make_user
from tests.training.conftest import free_port
from tests.training.factories import make_session
from training import services


@pytest.fixture
def mail_folder(tmp_path):
    port = free_port()
    controller = catcher.start(tmp_path / "mail", port=port)
    try:
        yield tmp_path / "mail", sender.SmtpConfig(host="127.0.0.1", port=port, mail_from="taphuan@vinhphuc.gov.vn")
    finally:
        controller.stop()


def test_the_outbox_sender_delivers_to_the_catcher_which_writes_a_readable_eml(session, mail_folder):
    folder, config = mail_folder
    training = make_session(session, title="Tập huấn thư điện tử công vụ")
    official = make_official(session, family_name="Đặng", middle_name="Thị", given_name="Ánh")
    services.invite(session, training, official_ids=[official.id])
    session.commit()

    report = sender.send_pending(sessionmaker(bind=db.engine), utcnow(), config)

    assert report.sent == 1
    (eml,) = sorted(folder.glob("*.eml"))
    assert not list(folder.glob("*.part"))
    assert official.email.replace("@", "_at_") in eml.name
    with eml.open("rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    assert msg["Delivered-To"] == official.email and msg["To"] == official.email
    assert str(msg["Subject"]) == "Thư mời tập huấn: Tập huấn thư điện tử công vụ"
    assert "Kính gửi đồng chí Đặng Thị Ánh" in msg.get_body(("plain",)).get_content()


def test_a_message_to_two_people_is_one_file_each(mail_folder):
    import smtplib

    folder, config = mail_folder
    with smtplib.SMTP(config.host, config.port, timeout=5) as smtp:
        smtp.sendmail("a@x.vn", ["b@x.vn", "c@x.vn"], b"Subject: test\r\n\r\nhello\r\n")
    names = sorted(p.name for p in folder.glob("*.eml"))
    assert len(names) == 2 and "b_at_x.vn" in names[0] and "c_at_x.vn" in names[1]


def test_the_outbox_page_says_where_the_demo_writes_messages(app, session):
    staff = make_user(session, Role.IT_STAFF)
    client = app.test_client()
    login_as(client, staff)
    assert 'id="mail-folder"' not in client.get("/admin/outbox").text
    app.config["MAIL_CATCHER_DIR"] = "/srv/lms/instance/mail"
    try:
        page = client.get("/admin/outbox").text
    finally:
        app.config.pop("MAIL_CATCHER_DIR")
    assert 'id="mail-folder"' in page and "/srv/lms/instance/mail" in page and ".eml" in page


def test_the_catcher_command_refuses_to_run_in_production(app, runner):
    app.config["LMS_ENV"], before = "production", app.config["LMS_ENV"]
    try:
        result = runner.invoke(args=["lms", "mail", "catcher", "--port", str(free_port())])
    finally:
        app.config["LMS_ENV"] = before
    assert result.exit_code != 0 and "demo" in result.output
