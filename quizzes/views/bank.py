"""The question bank (IT staff): the list, one question, archive and restore, editing, importing
(upload -> preview -> confirm) and exporting GIFT."""

from __future__ import annotations

import secrets

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import storage
from lms.auth.access import STAFF, roles_required, safe_next_url
from lms.auth.permissions import load_or_404
from lms.exports import send_table, spreadsheet_export
from lms.extensions import db
from lms.inputs import db_int
from lms.storage import Store
from lms.time import utcnow
from lms.topics import Topic
from quizzes import fieldsets, gift, qtypes, services, tabular
from quizzes.forms import (
    ArchiveForm,
    EditQuestionForm,
    ImportConfirmForm,
    ImportForm,
)
from quizzes.models import (
    DIFFICULTY_LABELS,
    Question,
)
from quizzes.views.common import bp, question_categories

BANK_STATUSES = {"active": _l("Đang dùng"), "archived": _l("Đã lưu trữ")}


@bp.get("/bank")
@roles_required(*STAFF)
def bank():
    topic = request.args.get("topic", "")
    topic = topic if topic in {t.value for t in Topic} else ""
    category_id = request.args.get("category", type=db_int)
    q = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "active")
    status = status if status in BANK_STATUSES else "active"
    page = db.paginate(
        services.bank_query(topic or None, category_id, q, archived=status == "archived"), per_page=25, error_out=False
    )
    counts = services.questions_per_category(db.session)
    return render_template(
        "quizzes/bank.html",
        page=page,
        topic=topic,
        category_id=category_id,
        q=q,
        status=status,
        statuses=BANK_STATUSES,
        status_counts=services.bank_counts(db.session, topic or None, category_id, q),
        topics=Topic.choices(),
        categories=question_categories(topic or None),
        counts=counts,
        qtypes=qtypes.QUESTION_TYPES,
        difficulty_labels=DIFFICULTY_LABELS,
        plain_text=qtypes.plain_text,
        archive_form=ArchiveForm(formdata=None, next=request.full_path),
    )


@bp.get("/bank/questions/<int:question_id>")
@roles_required(*STAFF)
def question_detail(question_id: int):
    question = load_or_404(Question, question_id)
    version = question.current_version
    if version is None:
        abort(404)
    qtype = qtypes.get_type(question.qtype)
    import random

    layout = qtype.prepare(version.config, random.Random(0), False)
    view = qtype.public_view(version.config, layout, version.text)
    return render_template(
        "quizzes/question_detail.html",
        question=question,
        version=version,
        fields=fieldsets.fieldset(question.qtype, view, None, "preview"),  # as the attempt page writes them
        label=qtype.label,
        difficulty=DIFFICULTY_LABELS.get(question.difficulty, question.difficulty),
        right_answer=qtype.describe_right_answer(version.config),
        archive_form=ArchiveForm(formdata=None),
    )


def _archive_or_restore(question_id: int, archive: bool):
    question = load_or_404(Question, question_id)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    change = services.archive_question if archive else services.restore_question
    if change(db.session, current_user, question, utcnow(), ip=request.remote_addr or ""):
        short = services.quizzes_short_of_questions(db.session, question.category_id) if archive else []
        db.session.commit()
        if archive:
            flash(
                _(
                    "Đã lưu trữ câu hỏi «%(t)s». Câu hỏi không còn được rút vào các lần làm bài mới; các bài đã "
                    "làm và đang làm vẫn giữ nguyên.",
                    t=question.title,
                ),
                "success",
            )
        else:
            flash(
                _("Đã khôi phục câu hỏi «%(t)s». Câu hỏi lại được rút vào các lần làm bài mới.", t=question.title),
                "success",
            )
        if short:
            flash(
                _(
                    "Chú ý: các bài kiểm tra sau không còn đủ câu hỏi để rút đề: %(q)s. Hãy thêm câu hỏi hoặc "
                    "giảm số câu rút.",
                    q=", ".join(quiz.title for quiz in short),
                ),
                "warning",
            )
    else:
        db.session.rollback()
        flash(
            _("Câu hỏi đã được lưu trữ trước đó.") if archive else _("Câu hỏi đang được dùng, không cần khôi phục."),
            "info",
        )
    return redirect(safe_next_url(form.next.data) or url_for("quizzes.question_detail", question_id=question.id))


@bp.post("/bank/questions/<int:question_id>/archive")
@roles_required(*STAFF)
def archive_question(question_id: int):
    """Archive (after the confirmation shown on the page): no longer drawn for new attempts."""
    return _archive_or_restore(question_id, archive=True)


@bp.post("/bank/questions/<int:question_id>/restore")
@roles_required(*STAFF)
def restore_question(question_id: int):
    return _archive_or_restore(question_id, archive=False)


@bp.route("/bank/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_question(question_id: int):
    question = load_or_404(Question, question_id)
    form = EditQuestionForm()
    errors: list = []
    error = None
    if request.method == "GET":
        form.gift_text.data = services.question_gift(question)
    elif form.validate_on_submit():
        try:
            version = services.edit_question(db.session, question, form.gift_text.data, utcnow(), current_user.id)
        except services.QuestionImportError as exc:
            db.session.rollback()
            errors = exc.errors
        except services.QuizError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            if version is None:
                flash(_("Nội dung không thay đổi."), "info")
            else:
                flash(_("Đã lưu phiên bản %(n)d của câu hỏi.", n=version.number), "success")
            return redirect(url_for("quizzes.question_detail", question_id=question.id))
    return render_template("quizzes/edit_question.html", question=question, form=form, errors=errors, error=error)


def _import_store() -> Store:
    return storage.store(services.IMPORT_AREA)


def _import_max_age_hours() -> float:
    return float(current_app.config.get("QUIZ_IMPORT_MAX_AGE_HOURS", services.DEFAULT_IMPORT_MAX_AGE_HOURS))


def _purge_old_uploads() -> None:
    """Every upload removes the files of earlier uploads never confirmed (older than the limit)."""
    try:
        removed = services.purge_import_uploads(_import_store(), utcnow(), _import_max_age_hours())
    except (OSError, ValueError, storage.StorageError):  # housekeeping (or a bad max age) must not cost the upload
        current_app.logger.exception("Could not purge old question import files")
    else:
        if removed:
            current_app.logger.info("Removed %d unconfirmed question import file(s)", removed)


def _parse_upload(data: bytes, ext: str) -> gift.GiftResult:
    return services.parse_question_file(data, ext)


@bp.route("/bank/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_questions():
    """Upload -> full check -> preview (or the errors by line) -> confirm -> everything in one commit."""
    form = ImportForm()
    confirm = ImportConfirmForm()
    result = preview = None
    errors: list = []
    file_error = None
    if request.form.get("step") == "confirm":
        if not confirm.validate_on_submit() or confirm.topic.data not in {t.value for t in Topic}:
            abort(400)
        token = confirm.token.data
        data = services.read_import_upload(_import_store(), token, utcnow(), _import_max_age_hours())
        if data is None:
            flash(
                _(
                    "Tệp đã tải lên không còn trên máy chủ (tệp chưa xác nhận chỉ được giữ %(h)s giờ, hoặc đã được "
                    "nhập rồi). Chưa ghi câu hỏi nào. Hãy tải tệp lên lại.",
                    h=f"{_import_max_age_hours():g}",
                ),
                "error",
            )
            return redirect(url_for("quizzes.import_questions"))
        topic = Topic(confirm.topic.data)
        result = _parse_upload(data, token.rsplit(".", 1)[1])
        if result.unsupported and not confirm.skip_unsupported.data:
            plan = services.plan_import(db.session, result.questions, topic)
            errors = plan.errors
            if not errors:
                file_error = _(
                    "Tệp có %(n)d câu hỏi loại chưa hỗ trợ. Hãy đánh dấu ô «Bỏ qua...» dưới danh sách "
                    "các câu ấy rồi bấm Xác nhận lại. Chưa ghi câu hỏi nào.",
                    n=len(result.unsupported),
                )
                preview = _preview(result, plan)
        else:
            try:
                summary = services.import_questions(db.session, result.questions, topic, utcnow(), current_user.id)
            except services.QuestionImportError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                _import_store().delete(token)
                flash(
                    _(
                        "Đã nhập %(c)d câu hỏi mới, cập nhật %(u)d câu, %(s)d câu không đổi, bỏ qua %(k)d câu "
                        "loại chưa hỗ trợ.",
                        c=summary.created,
                        u=summary.updated,
                        s=summary.unchanged,
                        k=len(result.unsupported),
                    ),
                    "success",
                )
                return redirect(url_for("quizzes.bank", topic=topic.value))
    elif form.validate_on_submit():
        _purge_old_uploads()
        upload = form.file.data
        ext = upload.filename.rsplit(".", 1)[-1].lower()
        data = upload.read()
        topic = Topic(form.topic.data)
        try:
            result = _parse_upload(data, ext)
        except ValueError as exc:
            file_error = str(exc)
        else:
            plan = None if result.errors else services.plan_import(db.session, result.questions, topic)
            errors = result.errors or plan.errors
            if not errors and not result.questions:
                file_error = _(
                    "Không tìm thấy câu hỏi nào nhập được trong tệp. Hãy kiểm tra tệp đúng định dạng GIFT "
                    "hoặc bảng tính theo mẫu."
                )
            elif not errors:
                token = f"{secrets.token_hex(16)}.{ext}"
                _import_store().write(token, data)
                confirm = ImportConfirmForm(formdata=None, token=token, topic=topic.value)
                preview = _preview(result, plan)
    refused = bool(errors or file_error or form.errors)  # the same page and report, a status scripts can test
    return render_template(
        "quizzes/import.html",
        form=form,
        confirm=confirm,
        result=result,
        preview=preview,
        errors=errors,
        file_error=file_error,
        max_age_hours=_import_max_age_hours(),
    ), (400 if refused else 200)


def _preview(result: gift.GiftResult, plan: services.ImportPlan) -> dict:
    by_category: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for question in result.questions:
        by_category[question.category or "—"] = by_category.get(question.category or "—", 0) + 1
        by_type[qtypes.get_type(question.qtype).label] = by_type.get(qtypes.get_type(question.qtype).label, 0) + 1
    return {
        "count": len(result.questions),
        "by_category": by_category,
        "by_type": by_type,
        "unsupported": result.unsupported,
        "warnings": result.warnings,
        "plan": plan,
        "listed": plan.items[:200],
    }


@bp.get("/bank/import/template.<any(csv, xlsx):ext>")
@roles_required(*STAFF)
@spreadsheet_export
def import_template(ext: str):
    return send_table(tabular.COLUMNS, tabular.template_rows(), fmt=ext, stem="mau-cau-hoi", sheet="cau-hoi")


@bp.get("/bank/export.gift")
@roles_required(*STAFF)
def export_gift():
    topic = request.args.get("topic", "")
    topic = topic if topic in {t.value for t in Topic} else None
    category_id = request.args.get("category", type=db_int)
    text = services.export_questions(db.session, topic, category_id)
    name = f"cau-hoi-{topic or 'tat-ca'}{'-' + str(category_id) if category_id else ''}.gift"
    return Response(text, mimetype="text/plain", headers={"Content-Disposition": f"attachment; filename={name}"})
