"""Pages: downloads and access rules, verification (public), management, ZIP, Open Badges JSON."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import time_machine
from flask import url_for

from certificates import services
from certificates.models import CertificateStatus
from lms.auth.models import Role
from lms.time import local_today
from tests.certificates_app.factories import make_certificate, make_course, pdf_text
from tests.factories import login_as, make_official, make_unit, make_user


def _holder(session, unit=None):
    user = make_user(session, Role.OFFICIAL, unit=unit)
    cert = make_certificate(session, official=user.official)
    session.commit()
    return user, cert


def test_holder_downloads_pdf_with_ascii_filename(client, session):
    user, cert = _holder(session)
    login_as(client, user)
    r = client.get(f"/certificates/{cert.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f"attachment; filename={cert.serial}.pdf"
    assert r.data == services.stored_pdf(cert)
    text = pdf_text(r.data)
    assert cert.holder_name in text and cert.serial in text
    assert f"http://localhost/verify/{cert.verification_code}" in text.replace(" ", "")


def test_public_base_url_is_printed_in_the_qr_url(app, session):
    app.config["PUBLIC_BASE_URL"] = "https://hoctap.vinhphuc.gov.vn/"
    cert = make_certificate(session)
    assert "https://hoctap.vinhphuc.gov.vn/verify/" + cert.verification_code in pdf_text(
        services.stored_pdf(cert)
    ).replace(" ", "")


def test_access_rules_for_downloads(client, session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    a, cert_a = _holder(session, unit_x)
    b = make_user(session, Role.OFFICIAL, unit=unit_x)
    head_x = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    head_y = make_user(session, Role.UNIT_HEAD, unit=unit_y)
    staff = make_user(session, Role.IT_STAFF)
    admin = make_user(session, Role.ADMIN)
    for user, expected in ((b, 403), (head_y, 403), (head_x, 200), (staff, 200), (admin, 200), (a, 200)):
        login_as(client, user)
        for url in (f"/certificates/{cert_a.id}/pdf", f"/certificates/{cert_a.id}/badge.json"):
            assert client.get(url).status_code == expected, (user.username, url)
    login_as(client, staff)
    assert client.get("/certificates/999999/pdf").status_code == 404


def test_open_badges_json_shape(client, session):
    user, cert = _holder(session)
    login_as(client, user)
    r = client.get(f"/certificates/{cert.id}/badge.json")
    data = r.get_json()
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert data["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert data["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert data["id"] == f"http://localhost/verify/{cert.verification_code}"
    assert data["issuer"]["name"] == cert.issuer_name and data["issuer"]["type"] == ["Profile"]
    assert data["credentialSubject"]["achievement"]["name"] == cert.course_title
    assert data["credentialSubject"]["identifier"][0]["identityHash"] == cert.holder_name
    assert data["credentialSubject"]["result"][0]["value"] == "85"
    assert data["validFrom"].startswith(cert.issued_on.isoformat()) and "validUntil" in data


def test_my_certificates_page_shows_expiry_and_retake(client, session):
    user = make_user(session, Role.OFFICIAL)
    course = make_course(session, validity_months=12, title="Thư điện tử công vụ")
    old = make_certificate(session, official=user.official, course=course, issued_on=date(2020, 1, 1))
    session.commit()
    login_as(client, user)
    html = client.get("/certificates").get_data(as_text=True)
    assert old.serial in html and "Đã hết hạn" in html and "Học lại" in html
    assert f'href="{url_for("courses.course", slug=course.slug, _external=False)}"' in html  # the re-take link
    assert "01/01/2021" in html


def test_dashboard_panel_lists_certificates_and_reminders(client, session):
    user = make_user(session, Role.OFFICIAL)
    cert = make_certificate(session, official=user.official, course=make_course(session, validity_months=1))
    services.queue_expiry_reminders(session, local_today(), 40)
    session.commit()
    login_as(client, user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Chứng nhận của tôi" in html and cert.course_title in html and "hết hạn ngày" in html
    reminder = cert.reminders[0]
    other = make_user(session, Role.OFFICIAL)
    login_as(client, other)
    assert client.post("/certificates/reminders/seen", data={"reminder_id": reminder.id}).status_code == 302
    session.refresh(reminder)
    assert reminder.seen_at is None  # not theirs: ignored
    login_as(client, user)
    assert client.post("/certificates/reminders/seen", data={"reminder_id": reminder.id}).status_code == 302
    session.refresh(reminder)
    assert reminder.seen_at is not None


# -- public verification ---------------------------------------------------------------------------
def test_verify_page_valid_without_login(client, session):
    _user, cert = _holder(session)
    r = client.get(f"/verify/{cert.verification_code}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Còn hiệu lực" in html and "còn hiệu lực" in html
    for value in (cert.holder_name, cert.unit_name, cert.course_title, cert.serial, cert.pdf_sha256, "85%"):
        assert value in html
    assert cert.official.email not in html and cert.official.code not in html  # nothing else personal
    # lower case / no dashes: redirected to the canonical URL
    r = client.get(f"/verify/{cert.code_compact.lower()}")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/verify/{cert.verification_code}")


def test_verify_page_expired_and_revoked(client, session):
    staff = make_user(session, Role.IT_STAFF)
    cert = make_certificate(session, course=make_course(session, validity_months=12), issued_on=date(2026, 1, 10))
    session.commit()
    with time_machine.travel("2027-02-01 10:00+07:00", tick=False):
        html = client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
        assert "Đã hết hạn" in html and "10/01/2027" in html
    with time_machine.travel("2026-06-15 10:00+07:00", tick=False):
        services.revoke_certificate(session, staff, cert, "Sai sót")
        session.commit()
        html = client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    assert "Đã bị thu hồi" in html and "thu hồi ngày 15/06/2026" in html and "Sai sót" not in html


def test_verify_superseded_points_to_current(client, session):
    staff = make_user(session, Role.IT_STAFF)
    cert = make_certificate(session)
    new = services.reissue_certificate(session, staff, cert, "Sửa tên", {"holder_name": "Trần Thị Mới"})
    session.commit()
    html = client.get(f"/verify/{cert.verification_code}").get_data(as_text=True)
    assert "Đã được thay thế" in html and f"/verify/{new.verification_code}" in html
    data = client.get(f"/verify/{cert.verification_code}.json").get_json()
    assert data["state"] == "superseded" and data["superseded_by"]["revision"] == 2
    assert data["superseded_by"]["verify_url"] == f"http://localhost/verify/{new.verification_code}"


def test_verify_json(client, session):
    _user, cert = _holder(session)
    r = client.get(f"/verify/{cert.verification_code}.json")
    data = r.get_json()
    assert r.status_code == 200 and data["found"] is True and data["state"] == "valid"
    assert data["serial"] == cert.serial and data["holder_name"] == cert.holder_name
    assert data["pdf_sha256"] == cert.pdf_sha256 and data["score_percent"] == 85.0
    assert set(data) == {
        "found",
        "state",
        "serial",
        "revision",
        "holder_name",
        "unit_name",
        "course_title",
        "score_percent",
        "issued_on",
        "expires_on",
        "issuer_parent",
        "issuer_name",
        "signer_title",
        "signer_name",
        "place",
        "revoked_on",
        "superseded_by",
        "pdf_sha256",
        "verification_code",
        "verify_url",
        "id",
        "issuer",
        "revokedCredentials",
        "revoked",
    }
    assert data["revoked"] is False and data["revokedCredentials"] == []
    r = client.get("/verify/NOPE.json")
    assert r.status_code == 404 and r.get_json()["found"] is False


def test_a_revoked_certificates_badge_and_verification_json_say_so(client, session):
    """The badge carries its credential status (OB 3.0 / VC ``credentialStatus``): the verification
    JSON, which lists the credential as revoked once it is, and says so in its own fields."""
    user, cert = _holder(session)
    login_as(client, user)
    status_url = f"http://localhost/verify/{cert.verification_code}.json"
    before = client.get(f"/certificates/{cert.id}/badge.json").get_json()
    assert before["credentialStatus"] == {"id": status_url, "type": "1EdTechRevocationList"}
    listed = client.get(status_url).get_json()
    assert listed["id"] == status_url and listed["issuer"] == before["issuer"]["id"]
    assert listed["revokedCredentials"] == [] and listed["revoked"] is False and listed["state"] == "valid"

    services.revoke_certificate(session, make_user(session, Role.IT_STAFF), cert, "Gian lận khi thi")
    session.commit()
    after = client.get(f"/certificates/{cert.id}/badge.json").get_json()
    assert after["credentialStatus"] == before["credentialStatus"]
    listed = client.get(status_url).get_json()
    assert listed["revokedCredentials"] == [{"id": after["id"]}], "the credential is on its revocation list"
    assert listed["revoked"] is True and listed["state"] == "revoked" and listed["revoked_on"]
    assert "Gian lận" not in str(listed), "the reason stays internal"


def test_malformed_or_unknown_code_is_a_404_page(client, session):
    for code in ("x", "0" * 28, "2222-2222-2222-2222-2222-2222-2222", "%E2%80%94", "a" * 300, "<script>"):
        r = client.get(f"/verify/{code}")
        assert r.status_code == 404, code
        assert "Không tìm thấy chứng nhận" in r.get_data(as_text=True)


def test_upload_identical_and_modified_pdf(client, session):
    user, cert = _holder(session)
    login_as(client, user)
    pdf = client.get(f"/certificates/{cert.id}/pdf").data
    anonymous = client.application.test_client()
    r = anonymous.post(
        f"/verify/{cert.verification_code}",
        data={"pdf": (io.BytesIO(pdf), "cn.pdf")},
        content_type="multipart/form-data",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "giống hệt bản đã cấp" in html
    tampered = pdf.replace(b"%PDF-1.7", b"%PDF-1.7 ", 1) if b"%PDF-1.7" in pdf else pdf + b"\n"
    r = anonymous.post(
        f"/verify/{cert.verification_code}",
        data={"pdf": (io.BytesIO(tampered), "cn.pdf")},
        content_type="multipart/form-data",
    )
    assert "KHÁC bản đã cấp" in r.get_data(as_text=True)
    assert [key for key, _when in services.get_settings().store.listing()] == [services.storage_key(cert)]
    r = anonymous.post(f"/verify/{cert.verification_code}", data={}, content_type="multipart/form-data")
    assert r.status_code == 400


NOT_A_PDF = "không phải tệp PDF"
EMPTY_FILE = "Tệp bạn chọn trống"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _check(client, cert, content: bytes, filename: str = "cn.pdf", content_type: str | None = None):
    upload = (io.BytesIO(content), filename) if content_type is None else (io.BytesIO(content), filename, content_type)
    r = client.post(f"/verify/{cert.verification_code}", data={"pdf": upload}, content_type="multipart/form-data")
    return r, r.get_data(as_text=True)


@pytest.mark.parametrize(
    "content,filename,content_type,message",
    [
        (PNG, "anh-chup.png", "image/png", NOT_A_PDF),
        (PNG, "anh-chup.pdf", "application/pdf", NOT_A_PDF),  # renamed: the bytes decide
        (b"Giay chung nhan so VP-2026-000001\n", "cn.txt", "text/plain", NOT_A_PDF),
        (b"Giay chung nhan so VP-2026-000001\n", "cn.pdf", "application/pdf", NOT_A_PDF),
        (b"", "cn.pdf", "application/pdf", EMPTY_FILE),
    ],
)
def test_upload_that_is_no_pdf_is_refused_with_a_message(client, session, content, filename, content_type, message):
    _user, cert = _holder(session)
    r, html = _check(client, cert, content, filename, content_type)
    assert r.status_code == 400
    assert message in html and 'aria-invalid="true"' in html
    assert 'id="compare-result"' not in html  # no "same" or "different" verdict for a file that is no PDF


def test_a_real_pdf_with_a_wrong_name_or_type_is_refused(client, session):
    user, cert = _holder(session)
    login_as(client, user)
    pdf = client.get(f"/certificates/{cert.id}/pdf").data
    for filename, content_type in (("cn.png", "image/png"), ("cn.pdf", "image/png"), ("cn.html", "text/html")):
        r, html = _check(client, cert, pdf, filename, content_type)
        assert r.status_code == 400 and NOT_A_PDF in html, (filename, content_type)


def test_upload_check_accepts_what_browsers_send_for_a_pdf(client, session):
    """Browsers send application/pdf, an older PDF type or a generic one; a saved file may lose its extension."""
    user, cert = _holder(session)
    login_as(client, user)
    pdf = client.get(f"/certificates/{cert.id}/pdf").data
    for filename, content_type in (
        ("cn.pdf", "application/pdf"),
        ("CN.PDF", "application/x-pdf"),
        ("cn.pdf", "application/octet-stream"),
        ("giay-chung-nhan", "application/octet-stream"),
        ("C:\\Users\\a\\cn.pdf", "application/pdf; name=cn.pdf"),
    ):
        r, html = _check(client, cert, pdf, filename, content_type)
        assert r.status_code == 200 and "giống hệt bản đã cấp" in html, (filename, content_type)


def test_another_valid_pdf_does_not_match(client, session):
    user, cert = _holder(session)
    other = make_certificate(session, official=user.official)
    session.commit()
    login_as(client, user)
    other_pdf = client.get(f"/certificates/{other.id}/pdf").data
    assert other_pdf.startswith(b"%PDF-")
    r, html = _check(client, cert, other_pdf)
    assert r.status_code == 200 and "KHÁC bản đã cấp" in html and NOT_A_PDF not in html
    assert f"<code>{services.compare_pdf(cert, io.BytesIO(other_pdf))[1]}</code>" in html


def test_lookup_by_serial_and_name(client, session):
    official = make_official(session, family_name="Lê", middle_name="Hoàng", given_name="Phương")
    cert = make_certificate(session, official=official)
    session.commit()
    r = client.get("/verify", query_string={"serial": cert.serial.lower(), "name": "LE HOANG PHUONG"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/verify/{cert.verification_code}")
    bad = cert.serial[:-1] + ("0" if cert.serial[-1] != "0" else "1")
    r = client.get("/verify", query_string={"serial": bad, "name": "Lê Hoàng Phương"})
    assert "sai ký tự kiểm tra" in r.get_data(as_text=True)
    r = client.get("/verify", query_string={"serial": cert.serial, "name": "Người Lạ"})
    assert r.status_code == 404 and "Không tìm thấy" in r.get_data(as_text=True)
    assert client.get("/verify").status_code == 200


def test_verify_is_rate_limited(app, client, session):
    app.config["CERT_VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.get("/verify/2222-2222-2222-2222-2222-2222-2222").status_code for _ in range(5)]
    finally:
        app.config["CERT_VERIFY_RATE_LIMIT"] = None
    assert codes == [404, 404, 404, 429, 429]


# -- management --------------------------------------------------------------------------------
def test_staff_list_filters_and_actions(client, session):
    staff = make_user(session, Role.IT_STAFF)
    unit = make_unit(session, code="H-TAMDAO", name="Huyện Tam Đảo")
    course = make_course(session, slug="attt", title="An toàn thông tin")
    certs = [make_certificate(session, official=make_official(session, unit=unit), course=course) for _ in range(3)]
    other = make_certificate(session)
    session.commit()
    login_as(client, staff)
    html = client.get(f"/certificates/manage?unit={unit.id}").get_data(as_text=True)
    assert all(c.serial in html for c in certs) and other.serial not in html
    html = client.get(f"/certificates/manage?course={other.course_id}&state=valid").get_data(as_text=True)
    assert other.serial in html and certs[0].serial not in html
    # revoke: reason required
    assert client.post(f"/certificates/manage/{certs[0].id}/revoke", data={"reason": ""}).status_code == 400
    r = client.post(f"/certificates/manage/{certs[0].id}/revoke", data={"reason": "Nhầm người"})
    assert r.status_code == 302
    session.refresh(certs[0])
    assert certs[0].status == CertificateStatus.REVOKED
    html = client.get("/certificates/manage?state=revoked").get_data(as_text=True)
    assert certs[0].serial in html and certs[1].serial not in html
    # re-issue with a corrected name
    r = client.post(
        f"/certificates/manage/{certs[1].id}/reissue", data={"holder_name": "Tên Đã Sửa", "reason": "Sai tên"}
    )
    assert r.status_code == 302
    session.refresh(certs[1])
    assert certs[1].status == CertificateStatus.SUPERSEDED
    # batch revoke
    r = client.post(
        "/certificates/manage/batch",
        data={"ids": [str(certs[2].id), str(other.id)], "action": "revoke", "reason": "Rà soát"},
    )
    assert r.status_code == 302
    session.refresh(other)
    assert other.status == CertificateStatus.REVOKED


def test_manual_issue_form(client, session):
    staff = make_user(session, Role.IT_STAFF)
    official = make_official(session, code="T-777777")
    course = make_course(session)
    session.commit()
    login_as(client, staff)
    assert client.get("/certificates/manage/issue").status_code == 200
    data = {"official_code": "t-777777", "course_id": str(course.id), "score_percent": "88", "issued_on": "2026-03-01"}
    r = client.post("/certificates/manage/issue", data=data)
    assert r.status_code == 302
    cert = services.current_valid_certificate(session, official.id, course.id, date(2026, 3, 1))
    assert cert is not None and cert.source.startswith("manual:")
    r = client.post("/certificates/manage/issue", data=data)
    assert r.status_code == 200 and "còn hiệu lực" in r.get_data(as_text=True)
    r = client.post("/certificates/manage/issue", data={**data, "official_code": "T-NOPE"})
    assert "Không có cán bộ nào" in r.get_data(as_text=True)


def test_zip_of_a_unit_and_of_a_course(client, session):
    staff = make_user(session, Role.IT_STAFF)
    unit = make_unit(session, code="X-VINHYEN")
    course = make_course(session, slug="qlvb-co-ban")
    names = [("Nguyễn", "Thị", "Hằng"), ("Trần", "Văn", "Minh")]
    certs = [
        make_certificate(
            session,
            official=make_official(session, unit=unit, family_name=f, middle_name=m, given_name=g),
            course=course,
        )
        for f, m, g in names
    ]
    revoked = make_certificate(session, official=make_official(session, unit=unit))
    services.revoke_certificate(session, staff, revoked, "x")
    make_certificate(session)  # another unit and course
    session.commit()
    login_as(client, staff)
    with client.get("/certificates/manage/export.zip?unit=x-vinhyen") as r:
        assert r.status_code == 200 and r.mimetype == "application/zip"
        assert r.headers["Content-Disposition"] == "attachment; filename=chung-nhan_x-vinhyen_2.zip"
        data = r.data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == sorted(
            [f"{certs[0].serial}_nguyen-thi-hang.pdf", f"{certs[1].serial}_tran-van-minh.pdf"]
        )
        assert z.read(f"{certs[0].serial}_nguyen-thi-hang.pdf") == services.stored_pdf(certs[0])
    with client.get("/certificates/manage/export.zip?course=qlvb-co-ban") as r:
        data = r.data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert len(z.namelist()) == 2
    assert client.get("/certificates/manage/export.zip?unit=NOPE").status_code == 404
    assert client.get("/certificates/manage/export.zip").status_code == 302


def test_cli_render_and_remind(app, runner, session):
    app.config["CERT_RENDER_ON_ISSUE"] = False
    try:
        unit = make_unit(session, code="U-CLI")
        certs = [make_certificate(session, official=make_official(session, unit=unit)) for _ in range(3)]
        session.commit()
    finally:
        app.config["CERT_RENDER_ON_ISSUE"] = True
    assert runner.invoke(args=["lms", "certificates", "render"]).exit_code == 2
    r = runner.invoke(args=["lms", "certificates", "render", "--unit", "U-CLI", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "Rendered 3, already current 0, failed 0." in r.output
    session.expire_all()
    assert all(c.pdf_sha256 for c in certs)
    r = runner.invoke(args=["lms", "certificates", "render", "--all", "--workers", "1"])
    assert "Rendered 0, already current 3" in r.output
    r = runner.invoke(args=["lms", "certificates", "remind", "--days", "30"])
    assert r.exit_code == 0 and "Queued 0 reminder(s)" in r.output


def test_the_certificate_page_says_what_caused_it_in_words_with_a_link(app, client, session):
    """Before: "Nguồn cấp: attempt:2360" (an internal code)."""
    staff = make_user(session, Role.IT_STAFF)
    by_quiz = make_certificate(session, source="attempt:2360")
    by_hand = make_certificate(session, source=f"manual:{staff.id}:0f3c")
    by_lessons = make_certificate(session, source="lessons:5:7")
    login_as(client, staff)

    def source_of(cert) -> str:
        html = client.get(f"/certificates/manage/{cert.id}").text
        return html.split('id="cert-source">')[1].split("</dd>")[0]

    quiz = source_of(by_quiz)
    assert quiz == '<a href="/quizzes/attempts/2360">Đạt bài kiểm tra cuối khóa (bài làm số 2360)</a>'
    assert source_of(by_hand) == f"Cấp thủ công bởi {staff.name}"
    assert source_of(by_lessons) == "Học xong các bài học của khóa"
    assert "attempt:" not in quiz and "manual:" not in source_of(by_hand)
