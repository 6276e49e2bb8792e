"""The e-mail outbox page (IT staff): what is waiting, what failed and why, "send again now".

The outbox is the kernel's (any feature queues through ``lms.mail.outbox``), so is its page:
/admin/outbox, served with or without the features that mail.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.access import STAFF, roles_required
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.mail.models import OutboxMessage, OutboxState
from lms.mail.outbox import sender_status
from lms.mail.sender import retry_now
from lms.time import utcnow

bp = Blueprint("mail", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/outbox")
@roles_required(*STAFF)
def outbox():
    state = request.args.get("state", "")
    stmt = select(OutboxMessage)
    if state in {s.value for s in OutboxState}:
        stmt = stmt.where(OutboxMessage.state == state)
    else:
        stmt = stmt.where(OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.FAILED, OutboxState.SENDING)))
    per_page = current_app.config.get("PER_PAGE", 25)
    page = db.paginate(stmt.order_by(OutboxMessage.id.desc()), per_page=per_page, error_out=False)
    return render_template(
        "mail/outbox.html",
        page=page,
        state=state,
        states=OutboxState,
        sender=sender_status(db.session),
        mail_folder=current_app.config.get("MAIL_CATCHER_DIR"),
    )


@bp.post("/outbox/<int:message_id>/retry")
@roles_required(*STAFF)
def outbox_retry(message_id: int):  # the CSRF token is checked for every POST (lms.extensions.csrf)
    load_or_404(OutboxMessage, message_id)
    if retry_now(db.session, message_id, utcnow()):
        flash(_("Thư sẽ được gửi lại trong lần gửi tới."), "success")
    else:
        flash(_("Thư này đã được gửi hoặc đang gửi."), "error")
    db.session.commit()
    return redirect(url_for("mail.outbox"))
