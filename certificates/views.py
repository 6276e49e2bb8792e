"""Certificates: my certificates, downloads, IT staff management and the public verification pages."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from certificates import services
from certificates.badges import open_badge_credential, revocation_list
from certificates.forms import BatchForm, ManualIssueForm, ReissueForm, RevokeForm, UploadForm
from certificates.models import Certificate, CertificateReminder
from certificates.permissions import (
    can_view_certificate,
    has_certificates_page,
)
from courses import api as courses_api
from courses.api import Course
from lms.auth.access import STAFF, login_required, public, roles_required
from lms.auth.models import User
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.features import AuditField, AuditObject
from lms.formatting import format_date, format_percent
from lms.forms import choices
from lms.inputs import db_int, db_ints
from lms.org.models import Official, Unit
from lms.ratelimit import limited
from lms.text import slugify
from lms.time import local_today
from lms.views import perform

bp = Blueprint(
    "certificates",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/certificates/static",
)

# the certificate check pages together, per client address, counted in the database (every server)
verify_limit = limited("certificate-verify", "CERT_VERIFY_RATE_LIMIT", services.DEFAULTS["CERT_VERIFY_RATE_LIMIT"])

STATE_LABELS = {
    "valid": _l("Còn hiệu lực"),
    "expired": _l("Đã hết hạn"),
    "revoked": _l("Đã bị thu hồi"),
    "superseded": _l("Đã được thay thế"),
}
STATE_CLASSES = {"valid": "ok", "expired": "warn", "revoked": "bad", "superseded": "warn"}


def state_label(state: str) -> str:
    return str(STATE_LABELS[state])


def panel_data(user) -> dict:
    if not has_certificates_page(user):
        return {"certificates": [], "reminders": [], "today": local_today()}
    certs = services.certificates_of(db.session, user.official_id)
    return {
        "certificates": certs[:5],
        "more": len(certs) > 5,
        "reminders": services.pending_reminders(db.session, user.official_id),
        "today": local_today(),
    }


def certificate_for_course(official_id: int | None, course_id: int | None):
    """The ``id`` and ``serial`` of the official's certificate of the course valid today, or None: the
    quiz result and the course page link it ("your certificate has been issued")."""
    if official_id is None or course_id is None:
        return None
    return services.current_valid_serial(db.session, official_id, course_id, local_today())


def course_url(course: Course) -> str:
    """The course's page, for a re-take."""
    return url_for("courses.course", slug=course.slug)


def _load(cert_id: int) -> Certificate:
    return load_or_404(Certificate, cert_id, check=can_view_certificate)


# -- the holder ------------------------------------------------------------------------------------
@bp.get("/certificates")
@login_required
def mine():
    certs = services.certificates_of(db.session, current_user.official_id) if current_user.official_id else []
    reminders = services.pending_reminders(db.session, current_user.official_id) if current_user.official_id else []
    return render_template(
        "certificates/mine.html",
        certificates=certs,
        reminders=reminders,
        today=local_today(),
        course_url=course_url,
    )


@bp.get("/certificates/<int:cert_id>/pdf")
@login_required
def pdf(cert_id: int):
    cert = _load(cert_id)
    pdf = services.ensure_pdf(db.session, cert)
    db.session.commit()
    return send_file(
        io.BytesIO(pdf),  # ~30 KB
        mimetype="application/pdf",
        as_attachment=True,
        download_name=cert.pdf_filename,
        max_age=0,
        etag=cert.pdf_sha256,
    )


@bp.get("/certificates/<int:cert_id>/badge.json")
@login_required
def badge(cert_id: int):
    cert = _load(cert_id)
    data = services.render_data(cert, services.verify_url_for(cert.verification_code))
    data["issued_at"] = None
    data["status_url"] = services.status_url_for(cert.verification_code)  # revoked: listed there
    credential = open_badge_credential(data)
    response = jsonify(credential)
    response.headers["Content-Disposition"] = f'attachment; filename="{cert.serial}-r{cert.revision}.json"'
    return response


@bp.post("/certificates/reminders/seen")
@login_required
def reminder_seen():
    """Dismiss one of *my* reminders (``reminder_id`` in the form); others' ids are ignored."""
    reminder_id = request.form.get("reminder_id", type=db_int)
    if current_user.official_id is not None and reminder_id is not None:
        reminder = db.session.scalars(
            select(CertificateReminder)
            .join(Certificate, Certificate.id == CertificateReminder.certificate_id)
            .where(CertificateReminder.id == reminder_id, Certificate.official_id == current_user.official_id)
        ).first()
        if reminder is not None:
            services.mark_reminder_seen(db.session, reminder)
            db.session.commit()
    return redirect(url_for("certificates.mine"))


# -- IT staff --------------------------------------------------------------------------------------
def _filters() -> services.CertificateFilters:
    state = request.args.get("state", "")
    return services.CertificateFilters(
        unit_id=request.args.get("unit", type=db_int),
        course_id=request.args.get("course", type=db_int),
        state=state if state in STATE_LABELS else "",
        q=request.args.get("q", "").strip()[:200],
    )


@bp.get("/certificates/manage")
@roles_required(*STAFF)
def manage():
    filters = _filters()
    today = local_today()
    page = db.paginate(
        services.certificates_query(filters, today), per_page=current_app.config["PER_PAGE"], error_out=False
    )
    return render_template(
        "certificates/manage.html",
        page=page,
        filters=filters,
        args={"unit": filters.unit_id or "", "course": filters.course_id or "", "state": filters.state, "q": filters.q},
        units=db.session.scalars(select(Unit).order_by(Unit.name)).all(),
        courses=courses_api.list_courses(db.session),
        states=STATE_LABELS,
        today=today,
        batch_form=BatchForm(),
    )


@bp.route("/certificates/manage/issue", methods=["GET", "POST"])
@roles_required(*STAFF)
def issue():
    form = ManualIssueForm()
    form.course_id.choices = choices((c.id, c.title) for c in courses_api.list_courses(db.session))
    if request.method == "GET" and form.issued_on.data is None:
        form.issued_on.data = local_today()
    error = None
    if form.validate_on_submit():
        code = form.official_code.data.strip().upper()
        official = db.session.scalars(select(Official).where(Official.code == code)).first()
        course = courses_api.get_course(db.session, form.course_id.data)
        if official is None:
            form.official_code.errors = [*form.official_code.errors, _("Không có cán bộ nào mang mã %(c)s.", c=code)]
        else:
            outcome = perform(
                lambda: services.issue_manual(
                    db.session,
                    current_user,
                    official,
                    course,
                    form.score_percent.data,
                    form.issued_on.data,
                    note=form.note.data or "",
                ),
                flash_error=False,
            )
            error = outcome.message
            if outcome.ok:
                cert = outcome.value
                flash(_("Đã cấp chứng nhận %(s)s cho %(n)s.", s=cert.serial, n=cert.holder_name), "success")
                return redirect(url_for("certificates.detail", cert_id=cert.id))
    return render_template("certificates/issue.html", form=form, error=error)


@bp.get("/certificates/manage/<int:cert_id>")
@roles_required(*STAFF)
def detail(cert_id: int):
    cert = load_or_404(Certificate, cert_id)
    return _render_detail(cert)


def describe_source(source: str) -> tuple[str, str | None]:
    """What caused a certificate, as a person reads it, with a link where it names an object:
    ``attempt:123`` is the quiz attempt (its result page), ``manual:<user id>:<uuid>`` issued by hand
    by that account, ``lessons:...`` the lessons of a course without a final quiz."""
    kind, _sep, rest = (source or "").partition(":")
    if kind == "attempt" and rest.isdigit():
        linked = "quizzes.review" in current_app.view_functions  # the quizzes feature is installed
        url = url_for("quizzes.review", attempt_id=int(rest)) if linked else None
        return _("Đạt bài kiểm tra cuối khóa (bài làm số %(n)s)", n=rest), url
    if kind == "manual":
        user_id = rest.partition(":")[0]
        user = db.session.get(User, int(user_id)) if user_id.isdigit() and int(user_id) else None
        return (_("Cấp thủ công bởi %(u)s", u=user.name) if user else _("Cấp thủ công")), None
    if kind == "lessons":
        return _("Học xong các bài học của khóa"), None
    return _("Không rõ"), None


def _render_detail(cert, revoke_form=None, reissue_form=None, error=None, status=200):
    today = local_today()
    revisions = db.session.scalars(
        select(Certificate).where(Certificate.serial == cert.serial).order_by(Certificate.revision)
    ).all()
    if reissue_form is None:
        reissue_form = ReissueForm()
        official = cert.official
        reissue_form.holder_name.data = official.full_name
        reissue_form.unit_name.data = official.unit.name if official.unit else cert.unit_name
        reissue_form.course_title.data = cert.course.title
        reissue_form.score_percent.data = cert.score_percent
    return (
        render_template(
            "certificates/detail.html",
            cert=cert,
            source=describe_source(cert.source),
            state=cert.state_on(today),
            revisions=revisions,
            revoke_form=revoke_form or RevokeForm(),
            reissue_form=reissue_form,
            error=error,
        ),
        status,
    )


@bp.post("/certificates/manage/<int:cert_id>/revoke")
@roles_required(*STAFF)
def revoke(cert_id: int):
    cert = load_or_404(Certificate, cert_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_detail(cert, revoke_form=form, status=400)
    outcome = perform(
        lambda: services.revoke_certificate(db.session, current_user, cert, form.reason.data), flash_error=False
    )
    if not outcome.ok:
        return _render_detail(cert, revoke_form=form, error=outcome.message, status=400)
    flash(_("Đã thu hồi chứng nhận %(s)s.", s=cert.serial), "success")
    return redirect(url_for("certificates.detail", cert_id=cert.id))


@bp.post("/certificates/manage/<int:cert_id>/reissue")
@roles_required(*STAFF)
def reissue(cert_id: int):
    cert = load_or_404(Certificate, cert_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _render_detail(cert, reissue_form=form, status=400)
    corrections = {k: getattr(form, k).data for k in services.REISSUE_FIELDS}
    outcome = perform(
        lambda: services.reissue_certificate(db.session, current_user, cert, form.reason.data, corrections),
        flash_error=False,
    )
    if not outcome.ok:
        return _render_detail(cert, reissue_form=form, error=outcome.message, status=400)
    new = outcome.value
    flash(_("Đã cấp lại chứng nhận %(s)s (lần %(r)d).", s=new.serial, r=new.revision), "success")
    return redirect(url_for("certificates.detail", cert_id=new.id))


@bp.post("/certificates/manage/batch")
@roles_required(*STAFF)
def batch():
    form = BatchForm()
    ids = db_ints(request.form.getlist("ids"))[:1000]
    back = request.form.get("back") or url_for("certificates.manage")
    if not ids:
        flash(_("Chưa chọn chứng nhận nào."), "error")
        return redirect(_safe(back))
    if not form.validate_on_submit():
        flash(_("Cần chọn thao tác và ghi rõ lý do."), "error")
        return redirect(_safe(back))
    outcome = perform(lambda: services.batch_action(db.session, current_user, form.action.data, ids, form.reason.data))
    if not outcome.ok:
        return redirect(_safe(back))
    result = outcome.value
    flash(_("Đã xử lý %(n)d chứng nhận; bỏ qua %(k)d.", n=len(result.done), k=len(result.skipped)), "success")
    for cert_id, why in result.skipped[:20]:
        flash(_("Bỏ qua chứng nhận #%(i)d: %(w)s", i=cert_id, w=why), "error")
    return redirect(_safe(back))


def _safe(target: str) -> str:
    from lms.auth.access import safe_next_url

    return safe_next_url(target) or url_for("certificates.manage")


@bp.get("/certificates/manage/export.zip")
@roles_required(*STAFF)
def export_zip():
    """All valid certificates of a unit (``?unit=CODE``) or a course (``?course=SLUG``) in one ZIP.

    Written to a temporary file and streamed from there: memory stays flat whatever the count.
    """
    unit = course = None
    if request.args.get("unit"):
        unit = services.unit_by_code(db.session, request.args["unit"]) or abort(404)
    if request.args.get("course"):
        course = courses_api.get_course_by_slug(db.session, request.args["course"]) or abort(404)
    if unit is None and course is None:
        flash(_("Hãy chọn một đơn vị hoặc một khóa học để tải về."), "error")
        return redirect(url_for("certificates.manage"))
    settings = services.get_settings()
    spool = tempfile.TemporaryFile()
    count = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in services.valid_certificates_for_export(
            db.session,
            local_today(),
            unit_id=unit.id if unit else None,
            course_id=course.id if course else None,
        ):
            pdf = services.ensure_pdf(db.session, cert, settings)
            archive.writestr(f"{cert.serial}_{slugify(cert.holder_name) or 'chung-nhan'}.pdf", pdf)
            count += 1
    db.session.commit()
    spool.seek(0)
    name = f"chung-nhan_{slugify(unit.code if unit else course.slug)}_{count}.zip"
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)


# -- public verification ---------------------------------------------------------------------------
def _not_found(code: str = ""):
    return render_template("certificates/verify_not_found.html", code=code[:60]), 404


def _find(code: str):
    return services.find_by_code(db.session, code)


def _prepare_public(cert: Certificate) -> dict:
    today = local_today()
    if cert.pdf_sha256 is None and cert.state_on(today) in ("valid", "expired"):
        services.ensure_pdf(db.session, cert)
        db.session.commit()
    return services.public_record(db.session, cert, today)


@bp.get("/verify")
@public
@verify_limit
def verify_lookup():
    serial = request.args.get("serial", "").strip()[:40]
    name = request.args.get("name", "").strip()[:200]
    error = None
    if serial or name:
        if not serial or not name:
            error = _("Hãy nhập cả số hiệu và họ tên người được cấp.")
        elif not services.parse_serial(serial):
            error = _("Số hiệu %(s)s không đúng dạng hoặc sai ký tự kiểm tra (ví dụ: VP-2026-000123-K).", s=serial)
        else:
            cert = services.find_by_serial_and_name(db.session, serial, name)
            if cert is not None:
                return redirect(url_for("certificates.verify", code=cert.verification_code))
            error = _("Không tìm thấy chứng nhận có số hiệu và họ tên này.")
    status = 404 if error and serial and name else 200
    return render_template("certificates/verify_lookup.html", serial=serial, name=name, error=error), status


@bp.get("/verify/<code>.json")
@public
@verify_limit
def verify_json(code: str):
    cert = _find(code)
    if cert is None:
        return jsonify({"found": False, "error": "not found"}), 404
    record = _prepare_public(cert)
    record["found"] = True
    record["verify_url"] = services.verify_url_for(cert.verification_code)
    if record["superseded_by"]:
        record["superseded_by"]["verify_url"] = services.verify_url_for(record["superseded_by"]["verification_code"])
    # this document is also the credential's status (its Open Badges credentialStatus points here):
    # a 1EdTech revocation list that lists the credential once it is revoked
    revoked = record["state"] == "revoked"
    record.update(revocation_list(services.status_url_for(cert.verification_code), record["verify_url"], revoked))
    record["revoked"] = revoked
    return jsonify(record)


@bp.get("/verify/<code>")
@public
@verify_limit
def verify(code: str):
    cert = _find(code)
    if cert is None:
        return _not_found(code)
    if cert.verification_code != code:  # canonical URL (upper case, dashes)
        return redirect(url_for("certificates.verify", code=cert.verification_code), 301)
    return _render_verify(cert, UploadForm())


@bp.post("/verify/<code>")
@public
@verify_limit
def verify_upload(code: str):
    """Compare an uploaded PDF with the issued one by SHA-256; the upload is hashed, never stored."""
    cert = _find(code)
    if cert is None:
        return _not_found(code)
    form = UploadForm()
    comparison = None
    status = 200
    if form.validate_on_submit():
        record_sha = cert.pdf_sha256 or _prepare_public(cert)["pdf_sha256"]
        same, sha = services.compare_pdf(cert, form.pdf.data.stream)
        comparison = {"same": same, "sha256": sha, "expected": record_sha, "filename": form.pdf.data.filename or ""}
    else:
        status = 400
    return _render_verify(cert, form, comparison, status)


def _render_verify(cert: Certificate, form: UploadForm, comparison: dict | None = None, status: int = 200):
    record = _prepare_public(cert)
    return (
        render_template(
            "certificates/verify.html",
            cert=cert,
            record=record,
            form=form,
            comparison=comparison,
            state_label=STATE_LABELS[record["state"]],
            state_class=STATE_CLASSES[record["state"]],
        ),
        status,
    )


# -- the audit log ---------------------------------------------------------------------------------
def _source_link(source: str):
    text, url = describe_source(source)
    return Markup('<a href="{}">{}</a>').format(url, text) if url else text


def _find_certificate(cert_id: int):
    cert = db.session.get(Certificate, cert_id)
    if cert is None:
        return None
    return _("%(serial)s (lần %(n)s)", serial=cert.serial, n=cert.revision), url_for(
        "certificates.detail", cert_id=cert_id
    )


AUDIT_OBJECTS = {"certificate": AuditObject(lazy_pgettext("audit", "Chứng nhận"), _find_certificate)}
AUDIT_FIELDS = {
    "source": AuditField(lazy_pgettext("audit", "Nguồn cấp"), show=_source_link),
    "score": AuditField(lazy_pgettext("audit", "Kết quả đánh giá"), show=format_percent),
    "supersedes": AuditField(lazy_pgettext("audit", "Thay cho"), object="certificate"),
    "renews": AuditField(lazy_pgettext("audit", "Gia hạn chứng nhận"), object="certificate"),
    "until": AuditField(
        lazy_pgettext("audit", "Chứng nhận cũ hết hạn ngày"), show=lambda v: format_date(date.fromisoformat(v))
    ),
    "certificates": AuditField(lazy_pgettext("audit", "Các chứng nhận"), object="certificate"),
    "skipped": AuditField(lazy_pgettext("audit", "Bỏ qua"), object="certificate"),
    "changed": AuditField(
        lazy_pgettext("audit", "Đã sửa"),
        values={
            "holder_name": lazy_pgettext("audit", "họ và tên"),
            "unit_name": lazy_pgettext("audit", "đơn vị công tác"),
            "course_title": lazy_pgettext("audit", "tên khóa học"),
            "score_percent": lazy_pgettext("audit", "kết quả đánh giá"),
        },
    ),
}
